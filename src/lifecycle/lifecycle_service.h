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
// - One person holds at most one live standard and one live privileged account. A leaver who
//   returns is given a new account (a new username, through a join request, with their BPSS
//   clearance checked again); the one that left stays as it was. A username is never reused,
//   even after its account has left.
// - An org admin sees and acts on their own organisation only; anything else is "not found".
// - Approval and rejection need a second factor proved within the last five minutes.
// Every call, allowed or refused, is an audit event; changes commit with their event.
//
// Thread-safety: all methods may be called from any thread.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "authz/admin.h"
#include "common/clock.h"
#include "crypto/random.h"
#include "identity/auth.h"
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
  // The organisation's identity provider is the approving authority for joiners it provisions
  // over SCIM: their join requests are approved as they arrive (and recorded as such).
  bool identity_provider_approves = false;
};

struct Org {
  std::string id;
  std::string name;
  std::string status;
  int agreed_expiry_days = 0;
  Certificate iso27001;
  Certificate cyber_essentials_plus;
  std::string created_at;
  bool identity_provider_approves = false;
};

// A user as SCIM sees it (RFC 7643 core User, the attributes Strongroom keeps).
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

struct JoinInput {
  std::string org_id;
  std::string username;
  std::string person_name;
  std::string person_email;
  std::string kind;  // "standard", "privileged" or "service" (automation: API tokens only)
  std::vector<std::string> roles;
  std::vector<std::string> remits;
  std::vector<std::string> grants;
  std::string bpss_verified_on;  // YYYY-MM-DD
  std::string bpss_verified_by;
};

struct IssuedToken {
  std::string id;
  std::string token;  // "srt_..."; shown once, never stored
  std::string expires_at;
};

inline constexpr int kMaxTokenDays = 365;

struct Approved {
  std::string account_id;
  std::string username;
  std::string enrolment_token;  // shown once, to the approver, to pass to the person
  TimePoint token_expires_at{};
  std::string account_expires_at;
};

struct UserFilter {
  std::string status;                    // "" = any
  int expiring_within_days = -1;         // -1 = no filter: else active accounts expiring that soon
  std::optional<TimePoint> moved_since;  // moved or left since
  int dormant_days = -1;                 // -1 = no filter: else no login for that many days
};

struct UserRow {
  std::string id;
  std::string username;
  std::string org_id;
  std::string kind;
  std::string roles;
  std::string remits;
  std::string grants;
  std::string status;
  std::string expires_at;
  std::string last_login_at;
  std::string moved_at;
  std::string left_at;
  std::string person_name;
  std::string person_email;
};

struct JoinRequestRow {
  std::string id;
  std::string org_id;
  std::string username;
  std::string kind;
  std::string roles;
  std::string remits;
  std::string requested_by;
  std::string requested_at;
  std::string status;
};

// One row of a bulk leavers upload, and what was (or would be) done with it.
struct LeaverRow {
  size_t line = 0;
  std::string username;
  // "removed", "will_remove", "not_found" (also: not one the admin may manage), "already_left",
  // "invalid", "self"
  std::string result;
};

inline constexpr size_t kMaxLeaverRows = 10'000;

// A person's new account, as an approved join request asks for it.
struct NewAccount {
  std::string org_id;
  std::string username;
  std::string person_name;
  std::string person_email;
  std::string kind;
  std::string roles;  // comma-separated lists, already checked
  std::string remits;
  std::string grants;
  std::string bpss_verified_on;
  std::string bpss_verified_by;
  std::optional<std::string> external_id;
  int64_t expiry_days = 90;  // the organisation's agreed period (at most 365)
};

// The one place an organisation row is written, with its key: active, created `now`. The checks
// (who may, valid input) are the caller's.
Result<Org> InsertOrg(store::Transaction& tx, store::KeyStore& keys, std::string_view id,
                      const OrgInput& input, TimePoint now);
// The one place an account is written, with its person (reused if one has that email: one
// standard and one privileged account per person): `pending_enrolment` with a one-time enrolment
// token if `enrolment_token`, or, for a service account, active at once. kAlreadyExists if the
// username was ever used. The checks (who approved, valid input) are the caller's.
Result<Approved> InsertAccount(store::Transaction& tx, crypto::Random& random, TimePoint now,
                               const NewAccount& account, bool enrolment_token);

class LifecycleService {
 public:
  // Everything passed must outlive the service.
  LifecycleService(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys,
                   const Clock& clock, crypto::Random& random, identity::Auth& auth,
                   LifecycleOptions options = {});

  Result<Org> CreateOrg(const identity::Principal& admin, const OrgInput& input,
                        const identity::RequestContext& ctx);
  // `lapsing_within_days` >= 0 lists only organisations with a certificate lapsing that soon
  // (or lapsed).
  Result<std::vector<Org>> ListOrgs(const identity::Principal& admin,
                                    const identity::RequestContext& ctx,
                                    int lapsing_within_days = -1);
  // New certificate references and dates (security officers); a suspended organisation whose
  // certificates are now current is active again.
  Result<Org> RenewCertificates(const identity::Principal& admin, std::string_view org_id,
                                const Certificate& iso27001,
                                const Certificate& cyber_essentials_plus,
                                const identity::RequestContext& ctx);
  // The certificate job: an active organisation with a lapsed certificate is suspended (its
  // people cannot sign in; sessions and tokens end) or, with `warn_only`, reported in the audit
  // log. Returns how many organisations were found lapsed.
  Result<int> CheckCertificates(bool warn_only);
  Result<void> CreateRemit(const identity::Principal& admin, std::string_view org_id,
                           std::string_view name, const identity::RequestContext& ctx);

  // Returns the request's id.
  Result<std::string> RequestJoin(const identity::Principal& admin, const JoinInput& input,
                                  const identity::RequestContext& ctx);
  Result<Approved> Approve(const identity::Principal& admin, std::string_view request_id,
                           const identity::RequestContext& ctx);
  Result<void> Reject(const identity::Principal& admin, std::string_view request_id,
                      std::string_view reason, const identity::RequestContext& ctx);

  Result<std::vector<JoinRequestRow>> ListJoinRequests(const identity::Principal& admin,
                                                       std::string_view status,
                                                       const identity::RequestContext& ctx);

  // Joiners, movers, leavers. Security officers manage any account; org admins the standard
  // accounts of their own organisation (others are "not found"). No admin acts on their own
  // account. Leave, move and forced expiry end the account's sessions at once.
  Result<void> Leave(const identity::Principal& admin, std::string_view account_id,
                     const identity::RequestContext& ctx);
  Result<void> Move(const identity::Principal& admin, std::string_view account_id,
                    std::vector<std::string> roles, std::vector<std::string> remits,
                    std::optional<std::vector<std::string>> grants,
                    const identity::RequestContext& ctx);
  // `at` = nullopt: now.
  Result<void> Expire(const identity::Principal& admin, std::string_view account_id,
                      std::optional<TimePoint> at, const identity::RequestContext& ctx);
  // A re-validation: needs a fresh second factor; `until` at most the organisation's agreed
  // period (capped at 365 days) from now. A left account is never renewed.
  // With a reason and a fresh second factor. Lock ends the account's sessions and refuses every
  // sign-in until Unlock, which also lifts every lock the sign-in throttle set (identity/locks.h).
  Result<void> Lock(const identity::Principal& admin, std::string_view account_id,
                    std::string_view reason, const identity::RequestContext& ctx);
  Result<void> Unlock(const identity::Principal& admin, std::string_view account_id,
                      std::string_view reason, const identity::RequestContext& ctx);
  Result<void> Renew(const identity::Principal& admin, std::string_view account_id, TimePoint until,
                     const identity::RequestContext& ctx);
  Result<std::vector<UserRow>> ListUsers(const identity::Principal& admin, const UserFilter& filter,
                                         const identity::RequestContext& ctx);
  // Bulk removal of leavers by username or email (column `username` or `email` of a CSV with a
  // header row). A bad row never stops the rest; applying twice changes nothing the second time.
  Result<std::vector<LeaverRow>> Leavers(const identity::Principal& admin, std::string_view csv,
                                         bool dry_run, const identity::RequestContext& ctx);
  // The same for `strongroom admin leavers apply FILE`, run by the operator who holds the
  // instance's files (audited under their name); `progress(done, total)` after each row.
  Result<std::vector<LeaverRow>> LeaversFromCli(
      std::string_view operator_name, std::string_view csv, bool dry_run,
      const std::function<void(size_t, size_t)>& progress);

  // API tokens for service accounts: random, stored hashed, scoped to the account's organisation
  // and role, expiring within a year, revocable. Needs a fresh second factor.
  Result<IssuedToken> IssueToken(const identity::Principal& admin, std::string_view account_id,
                                 TimePoint expires_at, const identity::RequestContext& ctx);
  Result<void> RevokeToken(const identity::Principal& admin, std::string_view token_id,
                           const identity::RequestContext& ctx);

  // SCIM 2.0 provisioning by a `provisioner` service account, within its own organisation.
  // Creating a user raises a join request (source "scim"): approved at once if the organisation's
  // identity provider is the approving authority, else waiting for an admin. Deactivation or
  // deletion is a leaver (never a hard delete).
  Result<ScimUser> ScimCreate(const identity::Principal& who, const ScimUserInput& input,
                              const identity::RequestContext& ctx);
  Result<ScimUser> ScimGet(const identity::Principal& who, std::string_view id,
                           const identity::RequestContext& ctx);
  // `attribute` is "", "userName" or "externalId"; `start_index` 1-based.
  Result<ScimPage> ScimList(const identity::Principal& who, std::string_view attribute,
                            std::string_view value, int64_t start_index, int64_t count,
                            const identity::RequestContext& ctx);
  Result<ScimUser> ScimUpdate(const identity::Principal& who, std::string_view id,
                              const ScimChange& change, const identity::RequestContext& ctx);
  Result<void> ScimDelete(const identity::Principal& who, std::string_view id,
                          const identity::RequestContext& ctx);

  // The expiry job: accounts past `expires_at` become `expired` and lose their sessions. Returns
  // how many. Runs as the system; each expiry is audited.
  Result<int> ExpireDue();

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
  Result<void> CheckAssignment(store::Transaction& tx, const std::string& org_id,
                               const std::string& kind, std::vector<std::string>& roles,
                               const std::vector<std::string>& remits,
                               const std::vector<std::string>& grants);
  // Creates the account a pending join request asks for (the checks are the caller's).
  Result<Approved> Fulfil(store::Transaction& tx, std::string_view request_id,
                          const std::string& decided_by, bool enrolment_token);
  Result<std::optional<ScimUser>> ScimFind(store::Transaction& tx, const std::string& org_id,
                                           std::string_view id);
  Result<void> CheckProvisioner(const identity::Principal& who, audit::Event& event);
  // `operator_acts`: the person holding the instance's files, who may remove anyone.
  Result<std::vector<LeaverRow>> ApplyLeavers(const identity::Principal& admin, bool operator_acts,
                                              std::string_view csv, bool dry_run,
                                              const identity::RequestContext& ctx,
                                              const std::function<void(size_t, size_t)>& progress);
  struct Target;
  // Loads an account `action` may be taken on, inside `tx`: kNotFound beyond the admin's reach.
  Result<Target> LoadTarget(store::Transaction& tx, const identity::Principal& admin,
                            authz::AdminAction action, std::string_view account_id,
                            audit::Event& event);
  Result<void> RevokeAccess(store::Transaction& tx, const std::string& account_id);
  // The common frame of the single-account actions: who may, then `change` inside the write.
  Result<void> AccountAction(
      const identity::Principal& admin, authz::AdminAction action, std::string_view account_id,
      const identity::RequestContext& ctx,
      const std::function<Result<void>(store::Transaction&, const Target&, audit::Event&)>& change);
  // Whether `admin` may take `action` at all (before any target is read), and has the fresh second
  // factor it needs; a refusal is audited on `event`.
  Result<void> Admit(const identity::Principal& admin, authz::AdminAction action,
                     audit::Event& event);

  store::Store& store_;
  audit::AuditLog& audit_;
  store::KeyStore& keys_;
  const Clock& clock_;
  crypto::Random& random_;
  identity::Auth& auth_;
  const LifecycleOptions options_;
};

}  // namespace strongroom::lifecycle
