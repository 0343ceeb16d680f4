#pragma once
// Supplier organisations and their remits.
//
// - Only a security officer creates an organisation, and only with its ISO 27001 and Cyber
//   Essentials Plus certificate references and expiry dates (neither lapsed): it is then active.
//   When a certificate lapses the organisation is suspended (or, if so configured, only warned
//   about) until it is renewed.
// - Remits (named caseloads) are created by the organisation's admin or a security officer.
// Lifecycle owns the remits table: RemitExists and InsertRemit are the only ways to it.
//
// Thread-safety: all methods may be called from any thread.

#include "lifecycle/admin_actions.h"

namespace strongroom::lifecycle {

using identity::Certificate;
using identity::kMaxAgreedExpiryDays;
using identity::Org;
using identity::OrgInput;

struct Remit {
  std::string name;
  std::string created_at;
};

Result<bool> RemitExists(store::Transaction& tx, std::string_view org_id, std::string_view name);
Result<void> InsertRemit(store::Transaction& tx, std::string_view org_id, std::string_view name,
                         TimePoint now);
// The remits of `org_id`, by name.
Result<std::vector<Remit>> ListRemits(store::Transaction& tx, std::string_view org_id);

class Organisations : private AdminActions {
 public:
  explicit Organisations(const LifecycleDeps& deps) : AdminActions(deps) {}

  Result<Org> Create(const identity::Principal& admin, const OrgInput& input,
                     const identity::RequestContext& ctx);
  // `lapsing_within_days` >= 0: only those with a certificate expiring that soon.
  Result<std::vector<Org>> List(const identity::Principal& admin,
                                const identity::RequestContext& ctx, int lapsing_within_days = -1);
  // One organisation (an org admin: their own only; another is "not found", as one that is not).
  Result<Org> Find(const identity::Principal& admin, std::string_view org_id,
                   const identity::RequestContext& ctx);
  Result<Org> RenewCertificates(const identity::Principal& admin, std::string_view org_id,
                                const Certificate& iso27001,
                                const Certificate& cyber_essentials_plus,
                                const identity::RequestContext& ctx);
  // Which second factors the organisation's people may sign in with (identity/factor_policy.h):
  // a security officer's, with a fresh second factor. Their sessions go on: the policy applies
  // from their next sign-in. Without `user_verification`, the organisation's stays as it is
  // (policy.user_verification is not read).
  Result<Org> SetFactorPolicy(const identity::Principal& admin, std::string_view org_id,
                              identity::FactorPolicy policy, std::optional<bool> user_verification,
                              const identity::RequestContext& ctx);
  // The scheduled check: organisations with a lapsed certificate are suspended (or, with
  // `warn_only`, an event says so); how many.
  Result<int> CheckCertificates(bool warn_only);
  Result<void> CreateRemit(const identity::Principal& admin, std::string_view org_id,
                           std::string_view name, const identity::RequestContext& ctx);
  // The remits of the organisation `org_id` (an org admin: their own organisation only).
  Result<std::vector<Remit>> Remits(const identity::Principal& admin, std::string_view org_id,
                                    const identity::RequestContext& ctx);

 private:
  // The event of a read in the organisation `org_id`, once authz allows `action` there (a
  // refusal is audited).
  Result<audit::Event> ReadIn(const identity::Principal& admin, authz::AdminAction action,
                              std::string_view org_id, const identity::RequestContext& ctx);
};

}  // namespace strongroom::lifecycle
