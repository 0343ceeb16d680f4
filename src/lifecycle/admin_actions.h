#pragma once
// What every lifecycle workflow shares: the services it is built on, and the first steps of every
// administrative call (its audit event, the authz decision, a refusal audited). The workflows are
// organisations.h, joiners.h, accounts.h and scim.h; lifecycle.h holds them together.

#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "authz/admin.h"
#include "common/clock.h"
#include "crypto/random.h"
#include "identity/auth.h"
#include "identity/directory.h"
#include "store/key_store.h"
#include "store/store.h"

namespace strongroom::lifecycle {

struct LifecycleOptions {
  std::vector<std::string> descriptors = {"PERSONAL", "COMMERCIAL", "LOCSEN"};
};

// The services the workflows are built on; all outlive them.
struct LifecycleDeps {
  store::Store& store;
  audit::AuditLog& audit;
  store::KeyStore& keys;
  const Clock& clock;
  crypto::Random& random;
  identity::Sessions& sessions;  // for a fresh second factor
  const LifecycleOptions& options;
};

class AdminActions {
 protected:
  explicit AdminActions(const LifecycleDeps& deps) : d_(deps) {}

  audit::Event MakeEvent(const identity::Principal& admin, std::string action,
                         std::string target_type, std::string_view target_id,
                         const identity::RequestContext& ctx) const;
  std::unexpected<Error> Refuse(audit::Event event, const Error& error);
  // Whether `admin` may take `action` at all (authz), with a fresh second factor where the action
  // needs one; a refusal is audited on `event`.
  Result<void> Admit(const identity::Principal& admin, authz::AdminAction action,
                     audit::Event& event);
  // Whether `admin` may take `action` on the account `target` (authz); the reason goes on
  // `event`. An account the admin may not see is "not found", exactly as one that does not exist.
  // Whether `admin` may take `action` in the organisation `org_id` (authz): authz's reason for
  // allowing it, or a refusal audited on `event`. An organisation beyond the admin's reach is
  // "not found", as one that does not exist.
  Result<std::string> AdmitIn(const identity::Principal& admin, authz::AdminAction action,
                              std::string_view org_id, audit::Event& event);
  Result<void> AdmitOn(const identity::Principal& admin, authz::AdminAction action,
                       const identity::Account& target, audit::Event& event);

  const LifecycleDeps& d_;
};

}  // namespace strongroom::lifecycle
