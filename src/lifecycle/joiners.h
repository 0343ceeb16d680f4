#pragma once
// Joiners: accounts come to exist only through an approved join request (or `init`'s two
// officers).
//
// - A request is raised by an org admin for their own organisation or by a security officer, with
//   the person's BPSS clearance date and who verified it. It is approved by a different admin:
//   never the requester, never another account of the requester's person, never the person the
//   request is for (approvals/two_person.h). Privileged requests are approved only by a security
//   officer. Approval creates the account `pending_enrolment`, expiring after the organisation's
//   agreed period, with a one-time enrolment token (72 hours) returned to the approver.
// - One person holds at most one live standard and one live privileged account. A leaver who
//   returns is given a new account (a new username, through a join request, with their BPSS
//   clearance checked again); the one that left stays as it was. A username is never reused,
//   even after its account has left.
// - An org admin sees and acts on their own organisation only; anything else is "not found".
// - Approval and rejection need a second factor proved within the last five minutes.
// Every call, allowed or refused, is an audit event; changes commit with their event. Lifecycle
// owns the join_requests table.
//
// Thread-safety: all methods may be called from any thread.

#include "lifecycle/admin_actions.h"

namespace strongroom::lifecycle {

inline constexpr std::chrono::hours kJoinTokenLifetime{72};

using Approved = identity::MadeAccount;

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
  // What an approver checks: who the person is, what they may see, their clearance; and who
  // asked, by name.
  std::string person_name;
  std::string person_email;
  std::string grants;
  std::string bpss_verified_on;
  std::string bpss_verified_by;
  std::string requested_by_username;
  std::string purpose;     // "join", or "reenrol": the account's owner enrols again
  std::string account_id;  // the account a re-enrolment is for, or a join made; "" before
};

// Checks what an account of `kind` in the organisation is to be given: roles that fit the kind
// (a standard account with none is a reader: read-only by default), and for standard accounts the
// organisation's remits and configured descriptors only.
Result<void> CheckAssignment(store::Transaction& tx, const LifecycleOptions& options,
                             const std::string& org_id, const std::string& kind,
                             std::vector<std::string>& roles,
                             const std::vector<std::string>& remits,
                             const std::vector<std::string>& grants);

class Joiners : private AdminActions {
 public:
  explicit Joiners(const LifecycleDeps& deps) : AdminActions(deps) {}

  // The new request's id.
  Result<std::string> Request(const identity::Principal& admin, const JoinInput& input,
                              const identity::RequestContext& ctx);
  // Asks for the account's owner to enrol again (lost security keys, authenticator and recovery
  // codes): a request approved, or rejected, as a join request is, by the same rules. Approval
  // forgets the account's password and second factors and answers a new enrolment token
  // (identity::ReopenEnrolment). The new request's id.
  Result<std::string> RequestReenrolment(const identity::Principal& admin,
                                         std::string_view account_id,
                                         const identity::RequestContext& ctx);
  // A join request's approval answers the new account; a re-enrolment's, the account it reopens.
  Result<Approved> Approve(const identity::Principal& admin, std::string_view request_id,
                           const identity::RequestContext& ctx);
  Result<void> Reject(const identity::Principal& admin, std::string_view request_id,
                      std::string_view reason, const identity::RequestContext& ctx);
  // `status`: pending, approved or rejected.
  Result<std::vector<JoinRequestRow>> List(const identity::Principal& admin,
                                           std::string_view status,
                                           const identity::RequestContext& ctx);

  // For SCIM, which raises requests as its organisation's admin would.
  // Checks a request `admin` raises, canonicalising `input`; the reason goes on `event`.
  Result<void> Check(store::Transaction& tx, const identity::Principal& admin, JoinInput& input,
                     audit::Event& event);
  // Stores a pending request from `source` ("admin" or "scim"); naming `reenrol`, an account's,
  // it is a re-enrolment of that account.
  Result<void> Insert(store::Transaction& tx, std::string_view id, const JoinInput& input,
                      std::string_view requested_by, std::string_view source,
                      std::string_view external_id, std::string_view reenrol = "");
  // Makes the account a pending request asks for (reopens a re-enrolment's account), and marks
  // the request approved by `decided_by`.
  Result<Approved> Fulfil(store::Transaction& tx, std::string_view request_id,
                          const std::string& decided_by, bool enrolment_token);
};

}  // namespace strongroom::lifecycle
