#include "lifecycle/joiners.h"

#include <fmt/format.h>

#include "approvals/two_person.h"
#include "common/text.h"
#include "identity/bootstrap.h"
#include "identity/username.h"
#include "lifecycle/organisations.h"
#include "lifecycle/rules.h"

namespace strongroom::lifecycle {
namespace {

// A join request's stored status as a two-person request's state.
approvals::State JoinState(std::string_view status) {
  if (status == "pending") return approvals::State::kPending;
  if (status == "rejected") return approvals::State::kRejected;
  return approvals::State::kApproved;
}

std::unexpected<Error> NoSuchRequest() {
  return Fail(ErrorCode::kNotFound, "no such join request");
}

// What a request asks for and who asked, as stored.
struct Stored {
  JoinInput input;
  std::string requested_by;
  std::string status;
  std::optional<std::string> external_id;
  std::string purpose;     // "join" or "reenrol"
  std::string account_id;  // a re-enrolment's account; a join's once approved
};

constexpr const char* kStoredColumns =
    "org_id, username, person_name, person_email, kind, roles, remits, grants, "
    "bpss_verified_on, bpss_verified_by, requested_by, status, external_id, purpose, "
    "COALESCE(account_id, '')";

Result<std::optional<Stored>> LoadRequest(store::Transaction& tx, std::string_view id) {
  static const std::string sql =
      fmt::format("SELECT {} FROM join_requests WHERE id = ?", kStoredColumns);
  ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {std::string(id)}));
  if (rows.empty()) return std::optional<Stored>();
  const auto& j = rows.front();
  Stored s;
  s.input = {j.Text(0),
             j.Text(1),
             j.Text(2),
             j.Text(3),
             j.Text(4),
             SplitList(j.Text(5)),
             SplitList(j.Text(6)),
             SplitList(j.Text(7)),
             j.Text(8),
             j.Text(9)};
  s.requested_by = j.Text(10);
  s.status = j.Text(11);
  if (!j.IsNull(12)) s.external_id = j.Text(12);
  s.purpose = j.Text(13);
  s.account_id = j.Text(14);
  return s;
}

}  // namespace

Result<void> CheckAssignment(store::Transaction& tx, const LifecycleOptions& options,
                             const std::string& org_id, const std::string& kind,
                             std::vector<std::string>& roles,
                             const std::vector<std::string>& remits,
                             const std::vector<std::string>& grants) {
  if (HasDuplicates(roles) || HasDuplicates(remits) || HasDuplicates(grants)) {
    return Invalid("roles, remits and grants must not repeat");
  }
  const auto typed_kind = identity::ParseKind(kind);
  if (!typed_kind) return Invalid("kind must be standard, privileged or service");
  if (*typed_kind == identity::Kind::kStandard && roles.empty()) {
    roles = {"reader"};  // read-only by default
  }
  if (auto misfit = identity::RolesMisfit(*typed_kind, JoinList(roles)); !misfit.empty()) {
    return Invalid(misfit);
  }
  if (*typed_kind != identity::Kind::kStandard) {
    if (!remits.empty() || !grants.empty()) {
      return Invalid(std::string(identity::Name(*typed_kind)) +
                     " accounts never see records: no remits or grants");
    }
    return {};
  }
  for (const auto& g : grants) {
    if (g != "OFFICIAL-SENSITIVE" && !Contains(options.descriptors, g)) {
      return Invalid("grants must be OFFICIAL-SENSITIVE or configured descriptors");
    }
  }
  for (const auto& remit : remits) {
    if (!ValidRemitName(remit)) return Invalid("remits must be remits of the organisation");
    ASSIGN_OR_RETURN(auto found, RemitExists(tx, org_id, remit));
    if (!found) return Invalid("remits must be remits of the organisation");
  }
  return {};
}

Result<void> Joiners::Check(store::Transaction& tx, const identity::Principal& admin, JoinInput& in,
                            audit::Event& event) {
  ASSIGN_OR_RETURN(auto org, identity::FindOrg(tx, in.org_id));
  const auto d =
      authz::DecideAdmin(admin.account, authz::AdminAction::kJoinRequest,
                         {in.org_id, identity::ParseKind(in.kind), "",
                          identity::Roles::Parse(JoinList(in.roles)).value_or(identity::Roles{})},
                         d_.clock.Now());
  if (!org || d.hidden) {
    event.reason = "organisation absent or outside the admin's";
    return Fail(ErrorCode::kNotFound, "no such organisation");
  }
  if (!d.allow) {
    event.reason = d.reason;
    return Fail(ErrorCode::kPermissionDenied, "not permitted: " + d.reason);
  }
  event.reason = d.reason;
  if (org->status != "active") {
    return Fail(ErrorCode::kFailedPrecondition, "the organisation is not active");
  }
  ASSIGN_OR_RETURN(in.username, identity::CanonicalUsername(in.username));
  ASSIGN_OR_RETURN(in.person_email, identity::CanonicalEmail(in.person_email));
  if (auto p = CheckText(in.person_name, {"person.name", 1, 200}); !p.empty()) return Invalid(p);
  if (auto p = CheckText(in.bpss_verified_by, {"bpss_verified_by", 1, 200}); !p.empty()) {
    return Invalid(p);
  }
  const auto bpss = ParseDate(in.bpss_verified_on);
  if (!bpss) return Invalid("bpss_verified_on must be a date YYYY-MM-DD");
  if (*bpss > d_.clock.Now()) return Invalid("bpss_verified_on must not be in the future");
  RETURN_IF_ERROR(
      CheckAssignment(tx, d_.options, in.org_id, in.kind, in.roles, in.remits, in.grants));
  // Usernames are never reassigned: neither an account's (even one that left) nor a pending
  // request's.
  ASSIGN_OR_RETURN(auto taken, identity::UsernameTaken(tx, in.username));
  ASSIGN_OR_RETURN(auto asked, tx.Query("SELECT 1 FROM join_requests WHERE username = ? AND "
                                        "status = 'pending'",
                                        {in.username}));
  if (taken || !asked.empty()) return Fail(ErrorCode::kAlreadyExists, "that username is taken");
  ASSIGN_OR_RETURN(auto person, identity::FindPerson(tx, in.person_email));
  if (!person) return {};
  if (person->org_id != in.org_id) {
    return Fail(ErrorCode::kAlreadyExists, "that email belongs to another organisation's person");
  }
  ASSIGN_OR_RETURN(auto held, identity::HoldsLiveAccount(tx, person->id, in.kind));
  if (held) {
    return Fail(ErrorCode::kAlreadyExists,
                "that person already holds an account of that kind: move it instead");
  }
  return {};
}

Result<void> Joiners::Insert(store::Transaction& tx, std::string_view id, const JoinInput& in,
                             std::string_view requested_by, std::string_view source,
                             std::string_view external_id, std::string_view reenrol) {
  auto optional = [](std::string_view v) {
    return v.empty() ? store::Value{} : store::Value{std::string(v)};
  };
  RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO join_requests (id, org_id, username, person_name, person_email, kind, "
      "roles, remits, grants, bpss_verified_on, bpss_verified_by, requested_by, "
      "requested_at, status, source, external_id, purpose, account_id) VALUES (?, ?, ?, ?, ?, ?, "
      "?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
      {std::string(id), in.org_id, in.username, in.person_name, in.person_email, in.kind,
       JoinList(in.roles), JoinList(in.remits), JoinList(in.grants), in.bpss_verified_on,
       in.bpss_verified_by, std::string(requested_by), FormatRfc3339(d_.clock.Now()),
       std::string(source), optional(external_id),
       std::string(reenrol.empty() ? "join" : "reenrol"), optional(reenrol)}));
  return {};
}

Result<std::string> Joiners::Request(const identity::Principal& admin, const JoinInput& input,
                                     const identity::RequestContext& ctx) {
  const std::string id = "jr-" + d_.random.RandomHex(8);
  auto event = MakeEvent(admin, "admin.join_request.create", "join_request", id, ctx);
  event.target.org = input.org_id.substr(0, 64);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kJoinRequest, event));
  JoinInput in = input;
  return d_.audit.Change<std::string>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<std::string> {
        RETURN_IF_ERROR(Check(tx, admin, in, ev));
        ev.allowed = true;
        ev.detail = {{"username", in.username},
                     {"kind", in.kind},
                     {"roles", JoinList(in.roles)},
                     {"remits", JoinList(in.remits)},
                     {"grants", JoinList(in.grants)}};
        RETURN_IF_ERROR(Insert(tx, id, in, admin.account.id, "api", ""));
        return id;
      });
}

Result<std::string> Joiners::RequestReenrolment(const identity::Principal& admin,
                                                std::string_view account_id,
                                                const identity::RequestContext& ctx) {
  const std::string id = "jr-" + d_.random.RandomHex(8);
  const auto action = authz::AdminAction::kUserReenrol;
  auto event =
      MakeEvent(admin, std::string(authz::RuleFor(action).name), "account", account_id, ctx);
  RETURN_IF_ERROR(Admit(admin, action, event));
  return d_.audit.Change<std::string>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<std::string> {
        ASSIGN_OR_RETURN(auto target, identity::LoadStoredAccount(tx, account_id));
        if (!target) {
          ev.reason = "no such account";
          return Fail(ErrorCode::kNotFound, "no such user");
        }
        ev.target.org = target->org_id;
        RETURN_IF_ERROR(AdmitOn(admin, action, *target, ev));
        // Two people other than its subject: nobody asks for their own (any account of theirs).
        if (target->person_id == admin.account.person_id) {
          ev.reason = "a re-enrolment of the requester's own person";
          return Fail(ErrorCode::kPermissionDenied,
                      "nobody asks for their own re-enrolment: another administrator must");
        }
        const auto reason = ev.reason;
        if (auto why = identity::WhyNotReenrol(target->kind, target->status); !why.empty()) {
          ev.reason = why;
          return Fail(ErrorCode::kFailedPrecondition, std::move(why));
        }
        ASSIGN_OR_RETURN(auto asked, tx.Query("SELECT 1 FROM join_requests WHERE account_id = ? "
                                              "AND purpose = 'reenrol' AND status = 'pending'",
                                              {target->id}));
        if (!asked.empty()) {
          ev.reason = "a re-enrolment is waiting for approval already";
          return Fail(ErrorCode::kAlreadyExists,
                      "a re-enrolment of this account is waiting for approval already");
        }
        ASSIGN_OR_RETURN(auto holder, identity::HolderOf(tx, target->id));
        if (!holder) return Fail(ErrorCode::kInternal, "the account's person cannot be read");
        const JoinInput in{target->org_id,
                           target->username,
                           holder->name,
                           holder->email,
                           std::string(identity::Name(target->kind)),
                           target->roles.Names(),
                           target->remits,
                           target->grants,
                           holder->bpss_verified_on,
                           holder->bpss_verified_by};
        RETURN_IF_ERROR(Insert(tx, id, in, admin.account.id, "api", "", target->id));
        ev.allowed = true;
        ev.reason = reason;
        ev.detail = {{"request", id}, {"username", in.username}, {"kind", in.kind}};
        return id;
      });
}

Result<Approved> Joiners::Approve(const identity::Principal& admin, std::string_view request_id,
                                  const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, "admin.join_request.approve", "join_request", request_id, ctx);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kJoinApprove, event));
  const auto now = d_.clock.Now();
  return d_.audit.Change<Approved>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<Approved> {
        ASSIGN_OR_RETURN(auto stored, LoadRequest(tx, request_id));
        const auto d =
            !stored
                ? authz::Decision{false, true, "no such join request"}
                : authz::DecideAdmin(
                      admin.account, authz::AdminAction::kJoinApprove,
                      {stored->input.org_id, identity::ParseKind(stored->input.kind), "", {}}, now);
        if (d.hidden) {
          ev.reason = "request absent or outside the admin's organisation";
          return NoSuchRequest();
        }
        const auto& in = stored->input;
        ev.target.org = in.org_id;
        ev.detail = {{"username", in.username}, {"kind", in.kind}, {"purpose", stored->purpose}};
        ASSIGN_OR_RETURN(auto requester, identity::LoadAccount(tx, stored->requested_by));
        if (!requester) {  // the rule needs the requester's person: without it, refuse
          ev.reason = "the requester's account cannot be read";
          return Fail(ErrorCode::kFailedPrecondition, "the request's requester cannot be read");
        }
        ASSIGN_OR_RETURN(auto subject, identity::FindPerson(tx, in.person_email));
        const approvals::Request request{JoinState(stored->status), TimePoint::max(),
                                         stored->requested_by, requester->person_id,
                                         subject ? subject->id : ""};
        const auto two =
            approvals::Decide(admin.account, request, approvals::Verdict::kApprove, now);
        if (!two.allowed) {
          ev.reason = two.reason;
          return std::unexpected(two.error);
        }
        // (Refused when asked; checked again, as the rule that makes a re-enrolment two people
        // other than its subject.)
        if (stored->purpose == "reenrol" && subject && subject->id == requester->person_id) {
          ev.reason = "a re-enrolment asked for by its subject";
          return Fail(ErrorCode::kPermissionDenied, "a re-enrolment its subject asked for");
        }
        if (!d.allow) {
          ev.reason = d.reason;
          return Fail(ErrorCode::kPermissionDenied, "not permitted: " + d.reason);
        }
        ASSIGN_OR_RETURN(auto org, identity::FindOrg(tx, in.org_id));
        if (!org) return NoSuchRequest();
        if (org->status != "active") {
          ev.reason = "organisation not active";
          return Fail(ErrorCode::kFailedPrecondition, "the organisation is not active");
        }
        ASSIGN_OR_RETURN(auto out, Fulfil(tx, request_id, admin.account.id, true));
        ev.allowed = true;
        ev.reason = d.reason + ", not the requester";
        ev.detail["account_id"] = out.account_id;
        return out;
      });
}

Result<Approved> Joiners::Fulfil(store::Transaction& tx, std::string_view request_id,
                                 const std::string& decided_by, bool enrolment_token) {
  ASSIGN_OR_RETURN(auto stored, LoadRequest(tx, request_id));
  if (!stored || stored->status != "pending") return NoSuchRequest();
  const auto& in = stored->input;
  const auto now = d_.clock.Now();
  if (stored->purpose == "reenrol") {
    ASSIGN_OR_RETURN(auto out, identity::ReopenEnrolment(tx, d_.random, now, stored->account_id,
                                                         kJoinTokenLifetime));
    RETURN_IF_ERROR(tx.Exec(
        "UPDATE join_requests SET status = 'approved', decided_by = ?, decided_at = ? WHERE id = ?",
        {decided_by, FormatRfc3339(now), std::string(request_id)}));
    return out;
  }
  ASSIGN_OR_RETURN(auto org, identity::FindOrg(tx, in.org_id));
  if (!org) return NoSuchRequest();
  const identity::NewAccount a{in.org_id,
                               in.username,
                               in.person_name,
                               in.person_email,
                               in.kind,
                               JoinList(in.roles),
                               JoinList(in.remits),
                               JoinList(in.grants),
                               in.bpss_verified_on,
                               in.bpss_verified_by,
                               stored->external_id,
                               org->agreed_expiry_days};
  ASSIGN_OR_RETURN(auto out, identity::InsertAccount(
                                 tx, d_.random, now, a,
                                 enrolment_token ? kJoinTokenLifetime : std::chrono::hours(0)));
  RETURN_IF_ERROR(
      tx.Exec("UPDATE join_requests SET status = 'approved', decided_by = ?, "
              "decided_at = ?, account_id = ? WHERE id = ?",
              {decided_by, FormatRfc3339(now), out.account_id, std::string(request_id)}));
  return out;
}

Result<void> Joiners::Reject(const identity::Principal& admin, std::string_view request_id,
                             std::string_view reason, const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, "admin.join_request.reject", "join_request", request_id, ctx);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kJoinReject, event));
  if (auto p = CheckText(reason, {"reason", 1, 500}); !p.empty()) {
    return Refuse(event, {ErrorCode::kInvalidArgument, p});
  }
  event.detail["reason"] = std::string(reason);
  const auto now = d_.clock.Now();
  auto done =
      d_.audit.Change<bool>(event, [&](store::Transaction& tx, audit::Event& ev) -> Result<bool> {
        ASSIGN_OR_RETURN(auto stored, LoadRequest(tx, request_id));
        if (!stored || authz::DecideAdmin(admin.account, authz::AdminAction::kJoinReject,
                                          {stored->input.org_id, {}, "", {}}, now)
                           .hidden) {
          ev.reason = "request absent or outside the admin's organisation";
          return NoSuchRequest();
        }
        ev.target.org = stored->input.org_id;
        const auto two =
            approvals::Decide(admin.account, {JoinState(stored->status), TimePoint::max()},
                              approvals::Verdict::kReject, now);
        if (!two.allowed) {
          ev.reason = two.reason;
          return std::unexpected(two.error);
        }
        RETURN_IF_ERROR(tx.Exec(
            "UPDATE join_requests SET status = 'rejected', decided_by = ?, "
            "decided_at = ?, reason = ? WHERE id = ?",
            {admin.account.id, FormatRfc3339(now), std::string(reason), std::string(request_id)}));
        ev.allowed = true;
        ev.reason = "administrator of the organisation";
        return true;
      });
  if (!done) return std::unexpected(done.error());
  return {};
}

Result<std::vector<JoinRequestRow>> Joiners::List(const identity::Principal& admin,
                                                  std::string_view status,
                                                  const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, "admin.join_request.list", "join_request", "", ctx);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kJoinList, event));
  const auto org = authz::ListedOrganisation(admin.account);
  if (status != "pending" && status != "approved" && status != "rejected") {
    return Refuse(event,
                  {ErrorCode::kInvalidArgument, "status must be pending, approved or rejected"});
  }
  event.allowed = true;
  event.reason =
      org.empty() ? "security officer: every organisation" : "org admin: own organisation";
  return d_.audit.Observe<std::vector<JoinRequestRow>>(
      event, [&](store::Transaction& tx) -> Result<std::vector<JoinRequestRow>> {
        std::string sql =
            "SELECT j.id, j.org_id, j.username, j.kind, j.roles, j.remits, j.requested_by, "
            "j.requested_at, j.status, j.person_name, j.person_email, j.grants, "
            "j.bpss_verified_on, j.bpss_verified_by, COALESCE(a.username, j.requested_by), "
            "j.purpose, COALESCE(j.account_id, '') FROM join_requests j LEFT JOIN accounts a ON "
            "a.id = j.requested_by "
            "WHERE j.status = ?";
        store::Params params{std::string(status)};
        if (!org.empty()) {
          sql += " AND j.org_id = ?";
          params.emplace_back(org);
        }
        ASSIGN_OR_RETURN(auto rows, tx.Query(sql + " ORDER BY j.requested_at, j.id", params));
        std::vector<JoinRequestRow> out;
        for (const auto& r : rows) {
          out.push_back({r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5),
                         r.Text(6), r.Text(7), r.Text(8), r.Text(9), r.Text(10), r.Text(11),
                         r.Text(12), r.Text(13), r.Text(14), r.Text(15), r.Text(16)});
        }
        return out;
      });
}

}  // namespace strongroom::lifecycle
