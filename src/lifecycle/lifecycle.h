#pragma once
// The lifecycle of supplier organisations and their people's accounts, in its parts:
// organisations and remits, joiners, movers and leavers (accounts), and SCIM provisioning. One
// Lifecycle per instance.

#include "lifecycle/accounts.h"
#include "lifecycle/admin_actions.h"
#include "lifecycle/joiners.h"
#include "lifecycle/organisations.h"
#include "lifecycle/scim.h"

namespace strongroom::lifecycle {

class Lifecycle {
 public:
  // Everything passed must outlive the lifecycle.
  Lifecycle(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys, const Clock& clock,
            crypto::Random& random, identity::Sessions& sessions, LifecycleOptions options = {})
      : options_(std::move(options)),
        deps_{store, audit, keys, clock, random, sessions, options_},
        organisations(deps_),
        joiners(deps_),
        accounts(deps_),
        scim(deps_, joiners) {}
  Lifecycle(const Lifecycle&) = delete;
  Lifecycle& operator=(const Lifecycle&) = delete;

  // A request too malformed to reach a workflow, refused and audited as `action` by `admin`.
  std::unexpected<Error> RefuseMalformed(const identity::Principal& admin, std::string action,
                                         const Error& error, const identity::RequestContext& ctx) {
    return deps_.audit.Refuse(identity::EventFor(admin, std::move(action), "request", "", ctx),
                              error);
  }

 private:
  const LifecycleOptions options_;
  const LifecycleDeps deps_;

 public:
  Organisations organisations;
  Joiners joiners;
  Accounts accounts;
  Scim scim;
};

}  // namespace strongroom::lifecycle
