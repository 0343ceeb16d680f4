#include "lifecycle/lifecycle_service.h"

#include <fmt/format.h>

#include <algorithm>

#include "approvals/two_person.h"
#include "common/text.h"
#include "identity/bootstrap.h"
#include "identity/username.h"
#include "lifecycle/rules.h"

namespace strongroom::lifecycle {
namespace {

Result<void> CheckCertificate(std::string_view what, const Certificate& c, TimePoint now) {
  if (auto p = CheckText(c.reference, {what, 1, 100}); !p.empty()) return Invalid(p);
  const auto expires = ParseDate(c.expires_on);
  if (!expires) return Invalid(fmt::format("{} expiry must be a date YYYY-MM-DD", what));
  if (*expires <= now) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the {} certificate has lapsed: an organisation is activated only "
                            "with current certificates",
                            what));
  }
  return {};
}

// A join request's stored status as a two-person request's state.
approvals::State JoinState(std::string_view status) {
  if (status == "pending") return approvals::State::kPending;
  if (status == "rejected") return approvals::State::kRejected;
  return approvals::State::kApproved;
}

Org OrgOf(const store::Row& r) {
  Org o;
  o.id = r.Text(0);
  o.name = r.Text(1);
  o.status = r.Text(2);
  o.agreed_expiry_days = static_cast<int>(r.Int(3));
  o.iso27001 = {r.Text(4), r.Text(5)};
  o.cyber_essentials_plus = {r.Text(6), r.Text(7)};
  o.created_at = r.Text(8);
  o.identity_provider_approves = r.Int(9) != 0;
  return o;
}

constexpr const char* kOrgColumns =
    "id, name, status, agreed_expiry_days, COALESCE(iso27001_ref, ''), "
    "COALESCE(iso27001_expires_on, ''), COALESCE(cep_ref, ''), COALESCE(cep_expires_on, ''), "
    "created_at, idp_approves";

}  // namespace

Result<Org> InsertOrg(store::Transaction& tx, store::KeyStore& keys, std::string_view id,
                      const OrgInput& input, TimePoint now) {
  Org org{std::string(id),          input.name,     "active",
          input.agreed_expiry_days, input.iso27001, input.cyber_essentials_plus,
          FormatRfc3339(now)};
  org.identity_provider_approves = input.identity_provider_approves;
  RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO organisations (id, name, status, agreed_expiry_days, created_at, "
      "iso27001_ref, iso27001_expires_on, cep_ref, cep_expires_on, idp_approves) "
      "VALUES (?, ?, 'active', ?, ?, ?, ?, ?, ?, ?)",
      {org.id, org.name, int64_t{org.agreed_expiry_days}, org.created_at, org.iso27001.reference,
       org.iso27001.expires_on, org.cyber_essentials_plus.reference,
       org.cyber_essentials_plus.expires_on, int64_t{org.identity_provider_approves ? 1 : 0}}));
  RETURN_IF_ERROR(keys.CreateOrgKey(tx, org.id));
  return org;
}

Result<Approved> InsertAccount(store::Transaction& tx, crypto::Random& random, TimePoint now,
                               const NewAccount& a, bool enrolment_token) {
  ASSIGN_OR_RETURN(auto taken, tx.Query("SELECT 1 FROM accounts WHERE username = ?", {a.username}));
  if (!taken.empty()) return Fail(ErrorCode::kAlreadyExists, "that username is taken");
  const std::string created = FormatRfc3339(now);
  ASSIGN_OR_RETURN(auto subject,
                   tx.Query("SELECT id FROM people WHERE email = ?", {a.person_email}));
  std::string person_id = subject.empty() ? "" : subject.front().Text(0);
  if (person_id.empty()) {
    person_id = "per-" + random.RandomHex(8);
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO people (id, org_id, name, email, bpss_verified_on, bpss_verified_by, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                {person_id, a.org_id, a.person_name, a.person_email, a.bpss_verified_on,
                 a.bpss_verified_by, created}));
  } else {
    // One live account of each kind per person; one that left does not count (a returner).
    ASSIGN_OR_RETURN(auto held, tx.Query("SELECT 1 FROM accounts WHERE person_id = ? AND kind = ? "
                                         "AND kind <> 'service' AND status <> 'left'",
                                         {person_id, a.kind}));
    if (!held.empty()) {
      return Fail(ErrorCode::kAlreadyExists, "that person already holds an account of that kind");
    }
    RETURN_IF_ERROR(
        tx.Exec("UPDATE people SET bpss_verified_on = ?, bpss_verified_by = ? WHERE "
                "id = ?",
                {a.bpss_verified_on, a.bpss_verified_by, person_id}));
  }
  Approved out;
  out.account_id = "acc-" + random.RandomHex(8);
  out.username = a.username;
  const auto days = std::clamp<int64_t>(a.expiry_days, 1, kMaxAgreedExpiryDays);
  out.account_expires_at = FormatRfc3339(now + std::chrono::days(days));
  // A service account signs in with API tokens only: it is active at once, with no password,
  // second factor or enrolment token.
  const bool service = identity::ParseKind(a.kind) == identity::Kind::kService;
  RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, grants, "
      "status, expires_at, created_at, external_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {out.account_id, person_id, a.org_id, a.username, a.kind, a.roles, a.remits, a.grants,
       std::string(service ? "active" : "pending_enrolment"), out.account_expires_at, created,
       a.external_id ? store::Value{*a.external_id} : store::Value{}}));
  if (!service && enrolment_token) {
    out.token_expires_at = now + kJoinTokenLifetime;
    ASSIGN_OR_RETURN(out.enrolment_token, identity::IssueEnrolmentToken(tx, random, out.account_id,
                                                                        out.token_expires_at));
  }
  return out;
}

LifecycleService::LifecycleService(store::Store& store, audit::AuditLog& audit,
                                   store::KeyStore& keys, const Clock& clock,
                                   crypto::Random& random, identity::Auth& auth,
                                   LifecycleOptions options)
    : store_(store),
      audit_(audit),
      keys_(keys),
      clock_(clock),
      random_(random),
      auth_(auth),
      options_(std::move(options)) {}

audit::Event LifecycleService::MakeEvent(const identity::Principal& admin, std::string action,
                                         std::string target_type, std::string_view target_id,
                                         const identity::RequestContext& ctx) const {
  return identity::EventFor(admin, std::move(action), std::move(target_type), target_id, ctx);
}

std::unexpected<Error> LifecycleService::Refuse(audit::Event event, const Error& error) {
  return audit_.Refuse(std::move(event), error);
}

Result<void> LifecycleService::Admit(const identity::Principal& admin, authz::AdminAction action,
                                     audit::Event& event) {
  const auto d = authz::DecideAdmin(admin.account, action, {}, clock_.Now());
  if (!d.allow) {
    event.reason = d.reason;
    return Refuse(event, {ErrorCode::kPermissionDenied, "not permitted: " + d.reason});
  }
  if (authz::RuleFor(action).fresh_second_factor) {
    if (auto fresh = auth_.sessions.RequireRecentMfa(admin); !fresh) {
      event.reason = "second factor not fresh";
      return Refuse(event, fresh.error());
    }
  }
  return {};
}

std::unexpected<Error> LifecycleService::RefuseMalformed(const identity::Principal& admin,
                                                         std::string action, const Error& error,
                                                         const identity::RequestContext& ctx) {
  return Refuse(MakeEvent(admin, std::move(action), "request", "", ctx), error);
}

Result<Org> LifecycleService::CreateOrg(const identity::Principal& admin, const OrgInput& input,
                                        const identity::RequestContext& ctx) {
  const std::string id = "org-" + random_.RandomHex(8);
  auto event = MakeEvent(admin, "admin.org.create", "org", id, ctx);
  event.target.org = id;
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kOrgCreate, event));
  const auto now = clock_.Now();
  auto check = [&]() -> Result<void> {
    if (auto p = CheckText(input.name, {"name", 1, 200}); !p.empty()) return Invalid(p);
    if (input.agreed_expiry_days < 1 || input.agreed_expiry_days > kMaxAgreedExpiryDays) {
      return Invalid("agreed_expiry_days must be from 1 to 365");
    }
    RETURN_IF_ERROR(CheckCertificate("iso27001", input.iso27001, now));
    return CheckCertificate("cyber_essentials_plus", input.cyber_essentials_plus, now);
  };
  if (auto ok = check(); !ok) return Refuse(event, ok.error());
  event.detail["name"] = input.name;
  event.allowed = true;
  event.reason = "security officer";
  return audit_.Change<Org>(event, [&](store::Transaction& tx) -> Result<Org> {
    ASSIGN_OR_RETURN(auto same,
                     tx.Query("SELECT 1 FROM organisations WHERE name = ?", {input.name}));
    if (!same.empty()) {
      return Fail(ErrorCode::kAlreadyExists, "an organisation of that name exists");
    }
    return InsertOrg(tx, keys_, id, input, now);
  });
}

Result<std::vector<Org>> LifecycleService::ListOrgs(const identity::Principal& admin,
                                                    const identity::RequestContext& ctx,
                                                    int lapsing_within_days) {
  auto event = MakeEvent(admin, "admin.org.list", "org", "", ctx);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kOrgList, event));
  const auto org = authz::ListedOrganisation(admin.account);
  event.allowed = true;
  event.reason =
      org.empty() ? "security officer: every organisation" : "org admin: own organisation";
  const auto soon =
      FormatRfc3339(clock_.Now() + std::chrono::days(std::max(lapsing_within_days, 0)))
          .substr(0, 10);
  return audit_.Observe<std::vector<Org>>(
      event, [&](store::Transaction& tx) -> Result<std::vector<Org>> {
        std::string sql = fmt::format("SELECT {} FROM organisations WHERE 1 = 1", kOrgColumns);
        store::Params params;
        if (!org.empty()) {
          sql += " AND id = ?";
          params.emplace_back(org);
        }
        if (lapsing_within_days >= 0) {
          sql += " AND (iso27001_expires_on <= ? OR cep_expires_on <= ?)";
          params.emplace_back(soon);
          params.emplace_back(soon);
        }
        ASSIGN_OR_RETURN(auto rows, tx.Query(sql + " ORDER BY name", params));
        std::vector<Org> out;
        for (const auto& r : rows) out.push_back(OrgOf(r));
        return out;
      });
}

Result<Org> LifecycleService::RenewCertificates(const identity::Principal& admin,
                                                std::string_view org_id,
                                                const Certificate& iso27001,
                                                const Certificate& cyber_essentials_plus,
                                                const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, "admin.org.certificates", "org", org_id, ctx);
  event.target.org = std::string(org_id.substr(0, 64));
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kOrgCertificates, event));
  const auto now = clock_.Now();
  auto check = [&]() -> Result<void> {
    RETURN_IF_ERROR(CheckCertificate("iso27001", iso27001, now));
    return CheckCertificate("cyber_essentials_plus", cyber_essentials_plus, now);
  };
  if (auto ok = check(); !ok) return Refuse(event, ok.error());
  event.allowed = true;
  event.reason = "security officer; certificates current";
  event.detail = {{"iso27001", iso27001.reference + " to " + iso27001.expires_on},
                  {"cyber_essentials_plus",
                   cyber_essentials_plus.reference + " to " + cyber_essentials_plus.expires_on}};
  return audit_.Change<Org>(event, [&](store::Transaction& tx) -> Result<Org> {
    ASSIGN_OR_RETURN(
        auto n, tx.Exec("UPDATE organisations SET iso27001_ref = ?, "
                        "iso27001_expires_on = ?, cep_ref = ?, cep_expires_on = ?, "
                        "status = CASE WHEN status = 'suspended' THEN 'active' ELSE "
                        "status END WHERE id = ?",
                        {iso27001.reference, iso27001.expires_on, cyber_essentials_plus.reference,
                         cyber_essentials_plus.expires_on, std::string(org_id)}));
    if (n == 0) return Fail(ErrorCode::kNotFound, "no such organisation");
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query(fmt::format("SELECT {} FROM organisations WHERE id = ?", kOrgColumns),
                              {std::string(org_id)}));
    return OrgOf(rows.front());
  });
}

Result<int> LifecycleService::CheckCertificates(bool warn_only) {
  const auto today = FormatRfc3339(clock_.Now()).substr(0, 10);
  int count = 0;
  RETURN_IF_ERROR(store_.Write([&](store::Transaction& tx) -> Result<void> {
    count = 0;
    ASSIGN_OR_RETURN(auto lapsed,
                     tx.Query("SELECT id FROM organisations WHERE status = 'active' AND "
                              "(iso27001_expires_on <= ? OR cep_expires_on <= ?)",
                              {today, today}));
    for (const auto& r : lapsed) {
      const auto id = r.Text(0);
      audit::Event event;
      event.actor = {"", "strongroom", "system", ""};
      event.source = "system";
      event.target = {"org", id, id};
      event.allowed = true;
      event.outcome = "ok";
      if (warn_only) {
        event.action = "org.certificate_lapsed";
        event.reason = "a supplier certificate has lapsed; configured to warn only";
      } else {
        event.action = "org.suspend";
        event.reason = "a supplier certificate has lapsed: its people cannot sign in";
        RETURN_IF_ERROR(
            tx.Exec("UPDATE organisations SET status = 'suspended' WHERE id = ?", {id}));
        ASSIGN_OR_RETURN(auto accounts, tx.Query("SELECT id FROM accounts WHERE org_id = ?", {id}));
        for (const auto& a : accounts) RETURN_IF_ERROR(RevokeAccess(tx, a.Text(0)));
      }
      ASSIGN_OR_RETURN(auto seq, audit_.Append(tx, event));
      (void)seq;
      ++count;
    }
    return {};
  }));
  return count;
}

Result<void> LifecycleService::CreateRemit(const identity::Principal& admin,
                                           std::string_view org_id, std::string_view name,
                                           const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, "admin.remit.create", "remit", name, ctx);
  event.target.org = std::string(org_id.substr(0, 64));
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kRemitCreate, event));
  const auto d = authz::DecideAdmin(admin.account, authz::AdminAction::kRemitCreate,
                                    {std::string(org_id), {}, "", {}}, clock_.Now());
  if (!d.allow) {
    event.reason = d.reason;
    return Refuse(event, {d.hidden ? ErrorCode::kNotFound : ErrorCode::kPermissionDenied,
                          d.hidden ? "no such organisation" : "not permitted: " + d.reason});
  }
  if (!ValidRemitName(name)) {
    return Refuse(event, {ErrorCode::kInvalidArgument,
                          "remit name must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-'"});
  }
  event.allowed = true;
  event.reason = d.reason;
  auto done = audit_.Change<bool>(event, [&](store::Transaction& tx) -> Result<bool> {
    ASSIGN_OR_RETURN(auto org,
                     tx.Query("SELECT 1 FROM organisations WHERE id = ?", {std::string(org_id)}));
    if (org.empty()) return Fail(ErrorCode::kNotFound, "no such organisation");
    ASSIGN_OR_RETURN(auto same, tx.Query("SELECT 1 FROM remits WHERE org_id = ? AND name = ?",
                                         {std::string(org_id), std::string(name)}));
    if (!same.empty()) return Fail(ErrorCode::kAlreadyExists, "that remit exists");
    RETURN_IF_ERROR(tx.Exec("INSERT INTO remits (org_id, name, created_at) VALUES (?, ?, ?)",
                            {std::string(org_id), std::string(name), FormatRfc3339(clock_.Now())}));
    return true;
  });
  if (!done) return std::unexpected(done.error());
  return {};
}

Result<void> LifecycleService::CheckJoin(store::Transaction& tx, const identity::Principal& admin,
                                         JoinInput& in, audit::Event& event) {
  ASSIGN_OR_RETURN(auto org,
                   tx.Query("SELECT status FROM organisations WHERE id = ?", {in.org_id}));
  const auto d =
      authz::DecideAdmin(admin.account, authz::AdminAction::kJoinRequest,
                         {in.org_id, identity::ParseKind(in.kind), "",
                          identity::Roles::Parse(JoinList(in.roles)).value_or(identity::Roles{})},
                         clock_.Now());
  if (org.empty() || d.hidden) {
    event.reason = "organisation absent or outside the admin's";
    return Fail(ErrorCode::kNotFound, "no such organisation");
  }
  if (!d.allow) {
    event.reason = d.reason;
    return Fail(ErrorCode::kPermissionDenied, "not permitted: " + d.reason);
  }
  event.reason = d.reason;
  if (org.front().Text(0) != "active") {
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
  if (*bpss > clock_.Now()) return Invalid("bpss_verified_on must not be in the future");
  RETURN_IF_ERROR(CheckAssignment(tx, in.org_id, in.kind, in.roles, in.remits, in.grants));
  // Usernames are never reassigned: neither an account's (even one that left) nor a pending
  // request's.
  ASSIGN_OR_RETURN(auto taken, tx.Query("SELECT 1 FROM accounts WHERE username = ? UNION ALL "
                                        "SELECT 1 FROM join_requests WHERE username = ? AND "
                                        "status = 'pending'",
                                        {in.username, in.username}));
  if (!taken.empty()) return Fail(ErrorCode::kAlreadyExists, "that username is taken");
  ASSIGN_OR_RETURN(auto person,
                   tx.Query("SELECT id, org_id FROM people WHERE email = ?", {in.person_email}));
  if (!person.empty()) {
    if (person.front().Text(1) != in.org_id) {
      return Fail(ErrorCode::kAlreadyExists, "that email belongs to another organisation's person");
    }
    ASSIGN_OR_RETURN(auto held, tx.Query("SELECT 1 FROM accounts WHERE person_id = ? AND kind = ? "
                                         "AND kind <> 'service' AND status <> 'left'",
                                         {person.front().Text(0), in.kind}));
    if (!held.empty()) {
      return Fail(ErrorCode::kAlreadyExists,
                  "that person already holds an account of that kind: move it instead");
    }
  }
  return {};
}

Result<std::string> LifecycleService::RequestJoin(const identity::Principal& admin,
                                                  const JoinInput& input,
                                                  const identity::RequestContext& ctx) {
  const std::string id = "jr-" + random_.RandomHex(8);
  auto event = MakeEvent(admin, "admin.join_request.create", "join_request", id, ctx);
  event.target.org = input.org_id.substr(0, 64);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kJoinRequest, event));
  JoinInput in = input;
  return audit_.Change<std::string>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<std::string> {
        RETURN_IF_ERROR(CheckJoin(tx, admin, in, ev));
        ev.allowed = true;
        ev.detail = {{"username", in.username},
                     {"kind", in.kind},
                     {"roles", JoinList(in.roles)},
                     {"remits", JoinList(in.remits)},
                     {"grants", JoinList(in.grants)}};
        RETURN_IF_ERROR(tx.Exec(
            "INSERT INTO join_requests (id, org_id, username, person_name, person_email, kind, "
            "roles, remits, grants, bpss_verified_on, bpss_verified_by, requested_by, "
            "requested_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
            {id, in.org_id, in.username, in.person_name, in.person_email, in.kind,
             JoinList(in.roles), JoinList(in.remits), JoinList(in.grants), in.bpss_verified_on,
             in.bpss_verified_by, admin.account.id, FormatRfc3339(clock_.Now())}));
        return id;
      });
}

Result<Approved> LifecycleService::Approve(const identity::Principal& admin,
                                           std::string_view request_id,
                                           const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, "admin.join_request.approve", "join_request", request_id, ctx);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kJoinApprove, event));
  return audit_.Change<Approved>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<Approved> {
        ASSIGN_OR_RETURN(
            auto rows,
            tx.Query("SELECT j.org_id, j.username, j.person_name, j.person_email, j.kind, "
                     "j.roles, j.remits, j.grants, j.bpss_verified_on, j.bpss_verified_by, "
                     "j.requested_by, r.person_id, j.status, o.agreed_expiry_days, o.status "
                     "FROM join_requests j JOIN accounts r ON r.id = j.requested_by JOIN "
                     "organisations o ON o.id = j.org_id WHERE j.id = ?",
                     {std::string(request_id)}));
        const auto d =
            rows.empty()
                ? authz::Decision{false, true, "no such join request"}
                : authz::DecideAdmin(
                      admin.account, authz::AdminAction::kJoinApprove,
                      {rows.front().Text(0), identity::ParseKind(rows.front().Text(4)), "", {}},
                      clock_.Now());
        if (d.hidden) {
          ev.reason = "request absent or outside the admin's organisation";
          return Fail(ErrorCode::kNotFound, "no such join request");
        }
        const auto& j = rows.front();
        const std::string org_id = j.Text(0), username = j.Text(1), email = j.Text(3),
                          kind = j.Text(4);
        ev.target.org = org_id;
        ev.detail = {{"username", username}, {"kind", kind}};
        ASSIGN_OR_RETURN(auto subject, tx.Query("SELECT id FROM people WHERE email = ?", {email}));
        const approvals::Request request{JoinState(j.Text(12)), TimePoint::max(), j.Text(10),
                                         j.Text(11),
                                         subject.empty() ? "" : subject.front().Text(0)};
        const auto two =
            approvals::Decide(admin.account, request, approvals::Verdict::kApprove, clock_.Now());
        if (!two.allowed) {
          ev.reason = two.reason;
          return std::unexpected(two.error);
        }
        if (!d.allow) {
          ev.reason = d.reason;
          return Fail(ErrorCode::kPermissionDenied, "not permitted: " + d.reason);
        }
        if (j.Text(14) != "active") {
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

Result<Approved> LifecycleService::Fulfil(store::Transaction& tx, std::string_view request_id,
                                          const std::string& decided_by, bool enrolment_token) {
  ASSIGN_OR_RETURN(auto rows,
                   tx.Query("SELECT j.org_id, j.username, j.person_name, j.person_email, j.kind, "
                            "j.roles, j.remits, j.grants, j.bpss_verified_on, j.bpss_verified_by, "
                            "o.agreed_expiry_days, j.external_id FROM join_requests j JOIN "
                            "organisations o ON o.id = j.org_id WHERE j.id = ? AND j.status = "
                            "'pending'",
                            {std::string(request_id)}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "no such join request");
  const auto& j = rows.front();
  NewAccount a;
  a.org_id = j.Text(0);
  a.username = j.Text(1);
  a.person_name = j.Text(2);
  a.person_email = j.Text(3);
  a.kind = j.Text(4);
  a.roles = j.Text(5);
  a.remits = j.Text(6);
  a.grants = j.Text(7);
  a.bpss_verified_on = j.Text(8);
  a.bpss_verified_by = j.Text(9);
  a.expiry_days = j.Int(10);
  if (!j.IsNull(11)) a.external_id = j.Text(11);
  const auto now = clock_.Now();
  ASSIGN_OR_RETURN(auto out, InsertAccount(tx, random_, now, a, enrolment_token));
  RETURN_IF_ERROR(
      tx.Exec("UPDATE join_requests SET status = 'approved', decided_by = ?, "
              "decided_at = ?, account_id = ? WHERE id = ?",
              {decided_by, FormatRfc3339(now), out.account_id, std::string(request_id)}));
  return out;
}

Result<void> LifecycleService::Reject(const identity::Principal& admin, std::string_view request_id,
                                      std::string_view reason,
                                      const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, "admin.join_request.reject", "join_request", request_id, ctx);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kJoinReject, event));
  if (auto p = CheckText(reason, {"reason", 1, 500}); !p.empty()) {
    return Refuse(event, {ErrorCode::kInvalidArgument, p});
  }
  event.detail["reason"] = std::string(reason);
  auto done =
      audit_.Change<bool>(event, [&](store::Transaction& tx, audit::Event& ev) -> Result<bool> {
        ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT org_id, status FROM join_requests WHERE "
                                             "id = ?",
                                             {std::string(request_id)}));
        if (rows.empty() || authz::DecideAdmin(admin.account, authz::AdminAction::kJoinReject,
                                               {rows.front().Text(0), {}, "", {}}, clock_.Now())
                                .hidden) {
          ev.reason = "request absent or outside the admin's organisation";
          return Fail(ErrorCode::kNotFound, "no such join request");
        }
        ev.target.org = rows.front().Text(0);
        const auto two =
            approvals::Decide(admin.account, {JoinState(rows.front().Text(1)), TimePoint::max()},
                              approvals::Verdict::kReject, clock_.Now());
        if (!two.allowed) {
          ev.reason = two.reason;
          return std::unexpected(two.error);
        }
        RETURN_IF_ERROR(
            tx.Exec("UPDATE join_requests SET status = 'rejected', decided_by = ?, "
                    "decided_at = ?, reason = ? WHERE id = ?",
                    {admin.account.id, FormatRfc3339(clock_.Now()), std::string(reason),
                     std::string(request_id)}));
        ev.allowed = true;
        ev.reason = "administrator of the organisation";
        return true;
      });
  if (!done) return std::unexpected(done.error());
  return {};
}

}  // namespace strongroom::lifecycle
