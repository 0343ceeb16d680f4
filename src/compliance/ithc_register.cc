#include "compliance/ithc_register.h"

#include <fmt/format.h>

#include <algorithm>

#include "approvals/two_person.h"
#include "common/names.h"
#include "common/text.h"
#include "identity/directory.h"

namespace strongroom::compliance {
namespace {

constexpr std::pair<Severity, std::string_view> kSeverities[] = {
    {Severity::kInfo, "info"}, {Severity::kLow, "low"},           {Severity::kMedium, "medium"},
    {Severity::kHigh, "high"}, {Severity::kCritical, "critical"},
};

constexpr size_t kMaxFindings = 1000;

bool IsSha256Hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// "" if `input` may be recorded, else why not.
std::string CheckFinding(const FindingInput& input) {
  if (auto p = CheckText(input.title, {"a finding's title", 1, 200}); !p.empty()) return p;
  if (!ParseSeverity(input.severity)) {
    return "a finding's severity is one of critical, high, medium, low, info";
  }
  if (input.detail.empty()) return "";
  return CheckText(input.detail, {"a finding's detail", 1, 4000});
}

std::string CheckInputText(const CheckInput& in, TimePoint now) {
  const auto day =
      in.performed_on.size() == 10 ? ParseRfc3339(in.performed_on + "T00:00:00Z") : std::nullopt;
  if (!day || *day > now) return "performed_on must be a date YYYY-MM-DD, not in the future";
  for (const auto& [value, rule] : {std::pair{&in.organisation, TextRule{"organisation", 1, 200}},
                                    {&in.tester, TextRule{"tester", 1, 200}},
                                    {&in.scope, TextRule{"scope", 1, 2000}}}) {
    if (auto p = CheckText(*value, rule); !p.empty()) return p;
  }
  if (!IsSha256Hex(in.report_sha256)) {
    return "report_sha256 must be the report's SHA-256: 64 lower-case hex digits";
  }
  if (in.findings.size() > kMaxFindings) return "at most 1000 findings at once";
  for (const auto& f : in.findings) {
    if (auto p = CheckFinding(f); !p.empty()) return p;
  }
  return "";
}

Result<void> InsertFinding(store::Transaction& tx, crypto::Random& random,
                           std::string_view check_id, const FindingInput& f, std::string* id) {
  *id = "itf-" + random.RandomHex(8);
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO ithc_findings (id, check_id, title, severity, detail, state, ordinal) "
              "VALUES (?, ?, ?, ?, ?, 'open', (SELECT COALESCE(MAX(ordinal), 0) + 1 FROM "
              "ithc_findings WHERE check_id = ?))",
              {*id, std::string(check_id), f.title, f.severity, f.detail, std::string(check_id)}));
  return {};
}

constexpr const char* kCheckColumns =
    "SELECT id, performed_on, organisation, tester, scope, report_sha256, fingerprint, "
    "fingerprint_digest, recorded_by, recorded_at, status, COALESCE(signed_off_by, ''), "
    "COALESCE(signed_off_at, '') FROM ithc_checks";

Check CheckOf(const store::Row& r) {
  return {r.Text(0), r.Text(1), r.Text(2), r.Text(3),  r.Text(4),  r.Text(5),  r.Text(6),
          r.Text(7), r.Text(8), r.Text(9), r.Text(10), r.Text(11), r.Text(12), {}};
}

Result<std::vector<Finding>> ReadFindings(store::Transaction& tx, std::string_view check_id) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id, title, severity, detail, state, resolution, "
                                       "COALESCE(resolved_by, ''), COALESCE(resolved_at, '') "
                                       "FROM ithc_findings WHERE check_id = ? ORDER BY ordinal, id",
                                       {std::string(check_id)}));
  std::vector<Finding> out;
  for (const auto& r : rows) {
    out.push_back(
        {r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.Text(7)});
  }
  return out;
}

Result<std::optional<Check>> ReadCheck(store::Transaction& tx, std::string_view id) {
  ASSIGN_OR_RETURN(auto rows,
                   tx.Query(std::string(kCheckColumns) + " WHERE id = ?", {std::string(id)}));
  if (rows.empty()) return std::nullopt;
  auto check = CheckOf(rows.front());
  ASSIGN_OR_RETURN(check.findings, ReadFindings(tx, check.id));
  return check;
}

// The check `id`, open (a passed check is closed), or why it cannot be changed.
Result<Check> OpenCheck(store::Transaction& tx, std::string_view id) {
  ASSIGN_OR_RETURN(auto check, ReadCheck(tx, id));
  if (!check) return Fail(ErrorCode::kNotFound, "no such IT Health Check");
  if (check->status != "open") {
    return Fail(ErrorCode::kFailedPrecondition, "that IT Health Check is signed off: it is closed");
  }
  return std::move(*check);
}

}  // namespace

std::string_view Name(Severity severity) { return NameIn<Severity>(kSeverities, severity); }

std::optional<Severity> ParseSeverity(std::string_view name) {
  return ParseIn<Severity>(kSeverities, name);
}

IthcRegister::IthcRegister(store::Store& store, audit::AuditLog& audit,
                           identity::Sessions& sessions, const Clock& clock, crypto::Random& random,
                           RegisterOptions options)
    : store_(store),
      audit_(audit),
      sessions_(sessions),
      clock_(clock),
      random_(random),
      options_(std::move(options)) {}

audit::Event IthcRegister::MakeEvent(const identity::Principal& who, std::string action,
                                     std::string_view target_id,
                                     const identity::RequestContext& ctx) const {
  // Ids come from request paths: an event names at most 64 characters of one.
  return identity::EventFor(who, std::move(action), "ithc_check", target_id.substr(0, 64), ctx);
}

Result<void> IthcRegister::Admit(const identity::Principal& who, authz::AdminAction action,
                                 std::string_view check_id, const identity::RequestContext& ctx) {
  auto event = MakeEvent(who, std::string(authz::RuleFor(action).name), check_id, ctx);
  return AdmitOn(who, action, event);
}

std::unexpected<Error> IthcRegister::RefuseInput(const identity::Principal& who,
                                                 authz::AdminAction action,
                                                 std::string_view check_id, const Error& error,
                                                 const identity::RequestContext& ctx) {
  return audit_.Refuse(MakeEvent(who, std::string(authz::RuleFor(action).name), check_id, ctx),
                       error);
}

Result<void> IthcRegister::AdmitOn(const identity::Principal& who, authz::AdminAction action,
                                   audit::Event& event) {
  const auto d = authz::DecideAdmin(who.account, action, {}, clock_.Now());
  if (!d.allow) {
    event.reason = d.reason;
    return audit_.Refuse(event, {ErrorCode::kPermissionDenied, "not permitted: " + d.reason});
  }
  if (authz::RuleFor(action).fresh_second_factor) {
    if (auto fresh = sessions_.RequireRecentMfa(who); !fresh) {
      event.reason = "second factor not fresh";
      return audit_.Refuse(event, fresh.error());
    }
  }
  return {};
}

Result<Check> IthcRegister::Record(const identity::Principal& officer, const CheckInput& in,
                                   const identity::RequestContext& ctx) {
  const std::string id = "ithc-" + random_.RandomHex(8);
  auto event = MakeEvent(officer, "compliance.ithc.record", id, ctx);
  RETURN_IF_ERROR(AdmitOn(officer, authz::AdminAction::kIthcRecord, event));
  if (auto p = CheckInputText(in, clock_.Now()); !p.empty()) {
    return audit_.Refuse(event, {ErrorCode::kInvalidArgument, p});
  }
  if (!IsSha256Hex(in.fingerprint)) {
    return audit_.Refuse(event, {ErrorCode::kInvalidArgument,
                                 "fingerprint must be the tested deployment's digest: 64 "
                                 "lower-case hex digits"});
  }
  if (in.fingerprint != options_.deployment.Digest()) {
    event.detail["fingerprint"] = in.fingerprint;
    return audit_.Refuse(
        event, {ErrorCode::kFailedPrecondition,
                "the check tested another deployment than this one as it is now (a major change "
                "since?): it covers nothing here"});
  }
  event.allowed = true;
  event.reason = "security officer";
  event.detail = {{"performed_on", in.performed_on},
                  {"organisation", in.organisation},
                  {"tester", in.tester},
                  {"report_sha256", in.report_sha256},
                  {"fingerprint", options_.deployment.Digest()},
                  {"findings", std::to_string(in.findings.size())}};
  return audit_.Change<Check>(event, [&](store::Transaction& tx) -> Result<Check> {
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO ithc_checks (id, performed_on, organisation, tester, scope, report_sha256, "
        "fingerprint, fingerprint_digest, recorded_by, recorded_at, status) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')",
        {id, in.performed_on, in.organisation, in.tester, in.scope, in.report_sha256,
         options_.deployment.Text(), options_.deployment.Digest(), officer.account.id,
         FormatRfc3339(clock_.Now())}));
    for (const auto& f : in.findings) {
      std::string finding_id;
      RETURN_IF_ERROR(InsertFinding(tx, random_, id, f, &finding_id));
    }
    ASSIGN_OR_RETURN(auto check, ReadCheck(tx, id));
    return std::move(*check);
  });
}

Result<std::vector<Check>> IthcRegister::List(const identity::Principal& officer,
                                              const identity::RequestContext& ctx) {
  auto event = MakeEvent(officer, "compliance.ithc.list", "", ctx);
  RETURN_IF_ERROR(AdmitOn(officer, authz::AdminAction::kIthcList, event));
  event.allowed = true;
  event.reason = "security officer";
  return audit_.Observe<std::vector<Check>>(event,
                                            [](store::Transaction& tx) { return ReadAll(tx); });
}

Result<Check> IthcRegister::Get(const identity::Principal& officer, std::string_view id,
                                const identity::RequestContext& ctx) {
  auto event = MakeEvent(officer, "compliance.ithc.list", id, ctx);
  RETURN_IF_ERROR(AdmitOn(officer, authz::AdminAction::kIthcList, event));
  event.allowed = true;
  event.reason = "security officer";
  return audit_.Observe<Check>(event, [&](store::Transaction& tx) -> Result<Check> {
    ASSIGN_OR_RETURN(auto check, ReadCheck(tx, id));
    if (!check) return Fail(ErrorCode::kNotFound, "no such IT Health Check");
    return std::move(*check);
  });
}

Result<std::string> IthcRegister::AddFinding(const identity::Principal& officer,
                                             std::string_view check_id, const FindingInput& in,
                                             const identity::RequestContext& ctx) {
  auto event = MakeEvent(officer, "compliance.ithc.finding.add", check_id, ctx);
  RETURN_IF_ERROR(AdmitOn(officer, authz::AdminAction::kIthcFinding, event));
  if (auto p = CheckFinding(in); !p.empty()) {
    return audit_.Refuse(event, {ErrorCode::kInvalidArgument, p});
  }
  event.allowed = true;
  event.reason = "security officer";
  event.detail = {{"title", in.title}, {"severity", in.severity}};
  return audit_.Change<std::string>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<std::string> {
        RETURN_IF_ERROR(OpenCheck(tx, check_id));
        std::string id;
        RETURN_IF_ERROR(InsertFinding(tx, random_, check_id, in, &id));
        ev.detail["finding"] = id;
        return id;
      });
}

Result<void> IthcRegister::Resolve(const identity::Principal& officer, std::string_view check_id,
                                   std::string_view finding_id, Resolution resolution,
                                   std::string_view text, const identity::RequestContext& ctx) {
  const bool accept = resolution == Resolution::kAccept;
  auto event = MakeEvent(
      officer, accept ? "compliance.ithc.finding.accept" : "compliance.ithc.finding.mitigate",
      check_id, ctx);
  event.detail["finding"] = std::string(finding_id).substr(0, 64);
  RETURN_IF_ERROR(
      AdmitOn(officer, accept ? authz::AdminAction::kIthcAccept : authz::AdminAction::kIthcMitigate,
              event));
  if (auto p = CheckText(text, {accept ? "reason" : "evidence", 1, 4000}); !p.empty()) {
    return audit_.Refuse(event, {ErrorCode::kInvalidArgument, p});
  }
  event.allowed = true;
  event.reason = "security officer";
  event.detail[accept ? "reason" : "evidence"] = std::string(text);
  auto done = audit_.Change<bool>(event, [&](store::Transaction& tx) -> Result<bool> {
    ASSIGN_OR_RETURN(auto check, OpenCheck(tx, check_id));
    const auto f = std::find_if(check.findings.begin(), check.findings.end(),
                                [&](const Finding& x) { return x.id == finding_id; });
    if (f == check.findings.end()) return Fail(ErrorCode::kNotFound, "no such finding");
    if (f->state != "open") {
      return Fail(ErrorCode::kFailedPrecondition, "that finding is " + f->state + " already");
    }
    RETURN_IF_ERROR(tx.Exec(
        "UPDATE ithc_findings SET state = ?, resolution = ?, resolved_by = ?, resolved_at = ? "
        "WHERE id = ?",
        {std::string(accept ? "accepted" : "mitigated"), std::string(text), officer.account.id,
         FormatRfc3339(clock_.Now()), f->id}));
    return true;
  });
  if (!done) return std::unexpected(done.error());
  return {};
}

Result<Check> IthcRegister::SignOff(const identity::Principal& officer, std::string_view check_id,
                                    const identity::RequestContext& ctx) {
  auto event = MakeEvent(officer, "compliance.ithc.sign_off", check_id, ctx);
  RETURN_IF_ERROR(AdmitOn(officer, authz::AdminAction::kIthcSignOff, event));
  auto signed_off = audit_.Change<
      Check>(event, [&](store::Transaction& tx, audit::Event& ev) -> Result<Check> {
    ASSIGN_OR_RETURN(auto check, OpenCheck(tx, check_id));
    ASSIGN_OR_RETURN(auto recorder, identity::LoadAccount(tx, check.recorded_by));
    if (!recorder) {  // the rule needs the recorder's person: without it, refuse
      ev.reason = "the check's recorder cannot be read";
      return Fail(ErrorCode::kFailedPrecondition, "the check's recorder cannot be read");
    }
    const auto two = approvals::Decide(
        officer.account,
        {approvals::State::kPending, TimePoint::max(), check.recorded_by, recorder->person_id},
        approvals::Verdict::kApprove, clock_.Now());
    if (!two.allowed) {
      ev.reason = two.reason;
      return std::unexpected(two.error);
    }
    int blocking = 0;
    for (const auto& f : check.findings) {
      if (f.state == "open" && ParseSeverity(f.severity) >= options_.blocking) ++blocking;
    }
    if (blocking > 0) {
      ev.reason =
          fmt::format("{} open finding(s) at or above {}", blocking, Name(options_.blocking));
      return Fail(ErrorCode::kFailedPrecondition,
                  fmt::format("{} finding(s) at or above {} severity are open: mitigate or "
                              "accept each before the check is signed off",
                              blocking, Name(options_.blocking)));
    }
    const auto now = FormatRfc3339(clock_.Now());
    RETURN_IF_ERROR(
        tx.Exec("UPDATE ithc_checks SET status = 'passed', signed_off_by = ?, signed_off_at = ? "
                "WHERE id = ?",
                {officer.account.id, now, check.id}));
    check.status = "passed";
    check.signed_off_by = officer.account.id;
    check.signed_off_at = now;
    ev.allowed = true;
    ev.reason = "a second security officer";
    ev.detail = {{"fingerprint", check.fingerprint_digest}, {"performed_on", check.performed_on}};
    return check;
  });
  if (signed_off && signed_off_) signed_off_();
  return signed_off;
}

Result<std::vector<Check>> IthcRegister::ReadAll(store::Transaction& tx) {
  ASSIGN_OR_RETURN(auto rows,
                   tx.Query(std::string(kCheckColumns) + " ORDER BY performed_on, recorded_at"));
  std::vector<Check> out;
  for (const auto& r : rows) {
    auto check = CheckOf(r);
    ASSIGN_OR_RETURN(check.findings, ReadFindings(tx, check.id));
    out.push_back(std::move(check));
  }
  return out;
}

Result<std::vector<PassedCheck>> IthcRegister::ReadPassed(store::Transaction& tx) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id, performed_on, fingerprint FROM ithc_checks "
                                       "WHERE status = 'passed' ORDER BY performed_on"));
  std::vector<PassedCheck> out;
  for (const auto& r : rows) {
    ASSIGN_OR_RETURN(auto fingerprint, ParseFingerprint(r.Text(2)));
    out.push_back(PassedCheck::Of(r.Text(0), r.Text(1), std::move(fingerprint)));
  }
  return out;
}

}  // namespace strongroom::compliance
