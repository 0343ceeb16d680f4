#include "compliance/gate.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "authz/admin.h"
#include "common/names.h"
#include "store/meta.h"

namespace strongroom::compliance {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr std::string_view kLiveSince = "compliance.live_since";

std::optional<year_month_day> ParseDay(std::string_view text) {
  const auto t = text.size() == 10 ? ParseRfc3339(std::string(text) + "T00:00:00Z") : std::nullopt;
  if (!t) return std::nullopt;
  return year_month_day(std::chrono::floor<days>(*t));
}

std::string FormatDay(year_month_day d) { return FormatRfc3339(sys_days(d)).substr(0, 10); }

std::string Today(TimePoint now) {
  return FormatDay(year_month_day(std::chrono::floor<days>(now)));
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

std::string_view Name(Standing standing) {
  static constexpr std::pair<Standing, std::string_view> kNames[] = {
      {Standing::kCovered, "covered"},  {Standing::kDue, "due"},
      {Standing::kOverdue, "overdue"},  {Standing::kMajorChange, "major change"},
      {Standing::kNotLive, "not live"},
  };
  return NameIn<Standing>(kNames, standing);
}

std::optional<GateMode> ParseGateMode(std::string_view name) {
  static constexpr std::pair<GateMode, std::string_view> kNames[] = {
      {GateMode::kOff, "off"}, {GateMode::kWarn, "warn"}, {GateMode::kEnforce, "enforce"}};
  return ParseIn<GateMode>(kNames, name);
}

std::optional<std::string> DueOn(std::string_view performed_on) {
  const auto day = ParseDay(performed_on);
  if (!day) return std::nullopt;
  year_month_day due{day->year() + std::chrono::years(1), day->month(), day->day()};
  if (!due.ok())
    due = year_month_day(
        std::chrono::year_month_day_last(due.year(), due.month() / std::chrono::last));
  return FormatDay(due);
}

Assessment Assess(const Fingerprint& deployment, bool went_live,
                  const std::vector<PassedCheck>& passed, TimePoint now) {
  const PassedCheck* latest = nullptr;    // of all passed checks
  const PassedCheck* covering = nullptr;  // of those covering the deployment
  const auto digest = deployment.Digest();
  for (const auto& c : passed) {
    if (latest == nullptr || c.performed_on >= latest->performed_on) latest = &c;
    if (c.digest != digest) continue;
    if (covering == nullptr || c.performed_on >= covering->performed_on) covering = &c;
  }
  Assessment a;
  if (covering == nullptr) {
    std::string changed;
    if (latest != nullptr) {
      changed = fmt::format("; the latest passed check ({}, performed {}) covered another {}",
                            latest->id, latest->performed_on,
                            Joined(MajorDifferences(latest->fingerprint, deployment)));
    }
    if (went_live) {
      a.standing = Standing::kMajorChange;
      a.public_reason = "a major change since the last passed IT Health Check";
      a.reason =
          "a major change since the service went live: no passed IT Health Check covers "
          "this deployment" +
          changed;
    } else {
      a.standing = Standing::kNotLive;
      a.public_reason = "not live: no passed IT Health Check covers this deployment";
      a.reason = a.public_reason + changed;
    }
    return a;
  }
  a.check_id = covering->id;
  a.due_on = DueOn(covering->performed_on).value_or("");
  const auto today = Today(now);
  const auto warn_from = ParseDay(a.due_on);
  if (a.due_on.empty() || today > a.due_on) {
    a.standing = Standing::kOverdue;
    a.public_reason = "the last IT Health Check is more than 12 calendar months old";
    a.reason = fmt::format(
        "the last passed IT Health Check of this deployment ({}, performed {}) was due again on "
        "{}",
        covering->id, covering->performed_on, a.due_on);
  } else if (warn_from && today >= FormatDay(sys_days(*warn_from) - days(kDueWarningDays))) {
    a.standing = Standing::kDue;
    a.reason = fmt::format("the IT Health Check {} (performed {}) is due again on {}", covering->id,
                           covering->performed_on, a.due_on);
  } else {
    a.standing = Standing::kCovered;
    a.reason = fmt::format("covered by the IT Health Check {} (performed {}), due again on {}",
                           covering->id, covering->performed_on, a.due_on);
  }
  return a;
}

Result<GateFacts> ReadGateFacts(store::Transaction& tx) {
  GateFacts facts;
  ASSIGN_OR_RETURN(facts.passed, IthcRegister::ReadPassed(tx));
  ASSIGN_OR_RETURN(auto since, store::GetMeta(tx, kLiveSince));
  facts.went_live = since.has_value();
  return facts;
}

Gate::Gate(store::Store& store, audit::AuditLog& audit, const Clock& clock, GateMode mode,
           Fingerprint deployment)
    : store_(store),
      audit_(audit),
      clock_(clock),
      mode_(mode),
      deployment_(std::move(deployment)) {}

Result<Assessment> Gate::Refresh() {
  // One refresh at a time (the daily round, a sign-off): the last to read is the last to save,
  // and going live is recorded once.
  std::lock_guard refreshing(refresh_mu_);
  ASSIGN_OR_RETURN(auto facts, store::ReadValue<GateFacts>(store_, ReadGateFacts));
  auto a = Assess(deployment_, facts.went_live, facts.passed, clock_.Now());
  if (!facts.went_live && a.Fit()) {
    auto event = audit::SystemEvent("compliance.live", {"ithc_check", a.check_id, ""},
                                    "a passed IT Health Check covers this deployment");
    event.detail = {{"fingerprint", deployment_.Digest()}, {"due_on", a.due_on}};
    RETURN_IF_ERROR(audit_.Change<bool>(event, [&](store::Transaction& tx) -> Result<bool> {
      RETURN_IF_ERROR(store::SetMeta(tx, kLiveSince, FormatRfc3339(clock_.Now())));
      return true;
    }));
    facts.went_live = true;
    spdlog::info("the service is live: {}", a.reason);
  }
  std::lock_guard lock(mu_);
  went_live_ = facts.went_live;
  passed_ = std::move(facts.passed);
  return a;
}

Assessment Gate::Now() const {
  std::lock_guard lock(mu_);
  return Assess(deployment_, went_live_, passed_, clock_.Now());
}

Result<void> Gate::Ready() const {
  if (mode_ != GateMode::kEnforce) return {};
  const auto a = Now();
  if (a.Fit()) return {};
  return Fail(ErrorCode::kUnavailable, a.public_reason);
}

Result<Assessment> Gate::Show(const identity::Principal& officer,
                              const identity::RequestContext& ctx) {
  auto event = identity::EventFor(officer, "compliance.read", "gate", "", ctx);
  const auto d =
      authz::DecideAdmin(officer.account, authz::AdminAction::kComplianceRead, {}, clock_.Now());
  event.reason = d.reason;
  if (!d.allow) {
    return audit_.Refuse(event, {ErrorCode::kPermissionDenied, "not permitted: " + d.reason});
  }
  event.allowed = true;
  return audit_.Observe<Assessment>(
      event, [&](store::Transaction&) -> Result<Assessment> { return Now(); });
}

Result<bool> Gate::Round() {
  ASSIGN_OR_RETURN(auto a, Refresh());
  if (mode_ == GateMode::kOff) return false;
  const auto today = Today(clock_.Now());
  {
    std::lock_guard lock(mu_);
    if (a.standing == Standing::kCovered || last_alert_day_ == today) return false;
  }
  auto event =
      audit::SystemEvent("compliance.ithc.alert", {"ithc_check", a.check_id, ""}, a.reason);
  event.allowed = a.Fit() || mode_ != GateMode::kEnforce;
  event.detail = {{"standing", std::string(Name(a.standing))},
                  {"due_on", a.due_on},
                  {"gate", mode_ == GateMode::kEnforce ? "enforce" : "warn"}};
  RETURN_IF_ERROR(audit_.Record(std::move(event)));
  if (a.Fit()) {
    spdlog::warn("IT Health Check: {}", a.reason);
  } else {
    spdlog::critical("IT Health Check: {}", a.reason);
  }
  std::lock_guard lock(mu_);
  last_alert_day_ = today;
  return true;
}

}  // namespace strongroom::compliance
