#pragma once
// SCIM 2.0 provisioning (RFC 7643/7644) as lifecycle operations. The protocol's JSON lives in
// api/scim.cc; here are the rules: a provisioner (a service account) works inside its own
// organisation only, creation is a join request (approved by an admin, or at once where the
// organisation's identity provider is its approving authority), deactivation is a leaver, and a
// leaver is never reactivated. Users are the organisation's standard accounts and the SCIM join
// requests still waiting for an admin.
//
// Thread-safety: all methods may be called from any thread.

#include "lifecycle/admin_actions.h"
#include "lifecycle/joiners.h"

namespace strongroom::lifecycle {

struct ScimUser {
  std::string id;  // the SCIM join request's id for users provisioned over SCIM, else the account's
  std::string username;
  std::string external_id;
  std::string name;
  std::string email;
  std::string status;  // an account status, or "pending_approval"
  std::string created;
  bool active() const {
    return status == "active" || status == "pending_enrolment" || status == "locked" ||
           status == "pending_approval";
  }
};

struct ScimUserInput {
  std::string username;
  std::string name;
  std::string email;
  std::string external_id;
  std::string bpss_verified_on;  // "" = recorded as vouched for by the identity provider today
  std::string bpss_verified_by;
};

struct ScimChange {
  std::optional<std::string> name;
  std::optional<std::string> external_id;
  std::optional<bool> active;           // false = a leaver; true never reactivates a leaver
  std::optional<std::string> username;  // must equal the current one: usernames never change
};

struct ScimPage {
  std::vector<ScimUser> users;
  int64_t total = 0;
};

class Scim : private AdminActions {
 public:
  Scim(const LifecycleDeps& deps, Joiners& joiners) : AdminActions(deps), joiners_(joiners) {}

  Result<ScimUser> Create(const identity::Principal& who, const ScimUserInput& input,
                          const identity::RequestContext& ctx);
  Result<ScimUser> Get(const identity::Principal& who, std::string_view id,
                       const identity::RequestContext& ctx);
  // `attribute` "userName" or "externalId" filters by `value`; "" lists every user.
  Result<ScimPage> List(const identity::Principal& who, std::string_view attribute,
                        std::string_view value, int64_t start_index, int64_t count,
                        const identity::RequestContext& ctx);
  Result<ScimUser> Update(const identity::Principal& who, std::string_view id,
                          const ScimChange& change, const identity::RequestContext& ctx);
  Result<void> Delete(const identity::Principal& who, std::string_view id,
                      const identity::RequestContext& ctx);

 private:
  Result<void> CheckProvisioner(const identity::Principal& who, audit::Event& event);
  Result<std::optional<ScimUser>> Find(store::Transaction& tx, const std::string& org_id,
                                       std::string_view id);
  // The user `id` of the provisioner's organisation; "not found" (and why, on `ev`) otherwise.
  Result<ScimUser> Visible(store::Transaction& tx, const identity::Principal& who,
                           std::string_view id, audit::Event& ev);
  Result<void> Apply(store::Transaction& tx, const identity::Principal& who, const ScimUser& user,
                     const ScimChange& change, audit::Event& event);

  Joiners& joiners_;
};

}  // namespace strongroom::lifecycle
