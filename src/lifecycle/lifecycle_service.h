#pragma once
// Organisations, remits and joiners: how supplier organisations and their accounts come to exist.
//
// Rules:
// - Only a security officer creates an organisation, and only with its ISO 27001 and Cyber
//   Essentials Plus certificate references and expiry dates (neither lapsed): it is then active.
// - Remits (named caseloads) are created by the organisation's admin or a security officer.
// - Accounts come to exist only through an approved join request (or `init`'s two officers). A
//   request is raised by an org admin for their own organisation or by a security officer, with
//   the person's BPSS clearance date and who verified it. It is approved by a different admin:
//   never the requester, never another account of the requester's person, never the person the
//   request is for. Privileged requests are approved only by a security officer. Approval creates
//   the account `pending_enrolment`, expiring after the organisation's agreed period, with a
//   one-time enrolment token (72 hours) returned to the approver.
// - One person holds at most one standard and one privileged account; a username is never
//   reused, even after its account has left.
// - An org admin sees and acts on their own organisation only; anything else is "not found".
// - Approval and rejection need a second factor proved within the last five minutes.
// Every call, allowed or refused, is an audit event; changes commit with their event.
//
// Thread-safety: all methods may be called from any thread.

#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "crypto/random.h"
#include "identity/auth_service.h"
#include "store/key_store.h"
#include "store/store.h"

namespace strongroom::lifecycle {

inline constexpr std::chrono::hours kJoinTokenLifetime{72};
inline constexpr int kMaxAgreedExpiryDays = 365;

struct LifecycleOptions {
  std::vector<std::string> descriptors = {"PERSONAL", "COMMERCIAL", "LOCSEN"};
};

struct Certificate {
  std::string reference;
  std::string expires_on;  // YYYY-MM-DD
};

struct OrgInput {
  std::string name;
  int agreed_expiry_days = 90;
  Certificate iso27001;
  Certificate cyber_essentials_plus;
};

struct Org {
  std::string id;
  std::string name;
  std::string status;
  int agreed_expiry_days = 0;
  Certificate iso27001;
  Certificate cyber_essentials_plus;
  std::string created_at;
};

struct JoinInput {
  std::string org_id;
  std::string username;
  std::string person_name;
  std::string person_email;
  std::string kind;  // "standard" or "privileged"
  std::vector<std::string> roles;
  std::vector<std::string> remits;
  std::vector<std::string> grants;
  std::string bpss_verified_on;  // YYYY-MM-DD
  std::string bpss_verified_by;
};

struct Approved {
  std::string account_id;
  std::string username;
  std::string enrolment_token;  // shown once, to the approver, to pass to the person
  TimePoint token_expires_at{};
  std::string account_expires_at;
};

class LifecycleService {
 public:
  // Everything passed must outlive the service.
  LifecycleService(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys,
                   const Clock& clock, crypto::Random& random, identity::AuthService& auth,
                   LifecycleOptions options = {});

  Result<Org> CreateOrg(const identity::Principal& admin, const OrgInput& input,
                        const identity::RequestContext& ctx);
  Result<std::vector<Org>> ListOrgs(const identity::Principal& admin,
                                    const identity::RequestContext& ctx);
  Result<void> CreateRemit(const identity::Principal& admin, std::string_view org_id,
                           std::string_view name, const identity::RequestContext& ctx);

  // Returns the request's id.
  Result<std::string> RequestJoin(const identity::Principal& admin, const JoinInput& input,
                                  const identity::RequestContext& ctx);
  Result<Approved> Approve(const identity::Principal& admin, std::string_view request_id,
                           const identity::RequestContext& ctx);
  Result<void> Reject(const identity::Principal& admin, std::string_view request_id,
                      std::string_view reason, const identity::RequestContext& ctx);

  // Audits a request refused before it could be read (a malformed body) as an attempt at
  // `action` ("admin.org.create", ...) and returns `error`.
  std::unexpected<Error> RefuseMalformed(const identity::Principal& admin, std::string action,
                                         const Error& error, const identity::RequestContext& ctx);

 private:
  audit::Event MakeEvent(const identity::Principal& admin, std::string action,
                         std::string target_type, std::string_view target_id,
                         const identity::RequestContext& ctx) const;
  std::unexpected<Error> Refuse(audit::Event event, const Error& error);
  Result<void> CheckJoin(store::Transaction& tx, const identity::Principal& admin, JoinInput& input,
                         audit::Event& event);

  store::Store& store_;
  audit::AuditLog& audit_;
  store::KeyStore& keys_;
  const Clock& clock_;
  crypto::Random& random_;
  identity::AuthService& auth_;
  const LifecycleOptions options_;
};

}  // namespace strongroom::lifecycle
