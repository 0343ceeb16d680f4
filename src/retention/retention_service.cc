#include "retention/retention_service.h"

#include <fmt/format.h>

#include <algorithm>

#include "approvals/two_person.h"
#include "common/text.h"
#include "records/holds.h"

namespace strongroom::retention {
namespace {

std::unexpected<Error> Invalid(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

bool Listable(std::string_view s) {  // items of the comma-separated scope lists
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

}  // namespace

RetentionService::RetentionService(store::Store& store, audit::AuditLog& audit, const Clock& clock,
                                   crypto::Random& random)
    : store_(store), audit_(audit), clock_(clock), random_(random) {}

audit::Event RetentionService::MakeEvent(const identity::Principal& who, std::string action,
                                         std::string_view target_id,
                                         const identity::RequestContext& ctx) const {
  return identity::EventFor(who, std::move(action), "retention_order", target_id, ctx);
}

std::unexpected<Error> RetentionService::Refuse(audit::Event event, const Error& error) {
  return audit_.Refuse(std::move(event), error);
}

Result<void> RetentionService::Admit(const identity::Principal& who, authz::AdminAction action,
                                     audit::Event& event) {
  const auto d = authz::DecideAdmin(who.account, action, {}, clock_.Now());
  if (d.allow) return {};
  event.reason = d.reason;
  return Refuse(event, {ErrorCode::kPermissionDenied, "not permitted: " + d.reason});
}

Result<std::string> RetentionService::CreateOrder(const identity::Principal& officer,
                                                  const OrderInput& in,
                                                  const identity::RequestContext& ctx) {
  const std::string id = "ro-" + random_.RandomHex(8);
  auto event = MakeEvent(officer, "retention.order.create", id, ctx);
  event.target.org = in.org_id.substr(0, 64);
  RETURN_IF_ERROR(Admit(officer, authz::AdminAction::kOrderCreate, event));
  auto check = [&]() -> Result<void> {
    if (auto p = CheckText(in.reference, {"reference", 1, 100}); !p.empty()) return Invalid(p);
    if (auto p = CheckText(in.reason, {"reason", 1, 1000}); !p.empty()) return Invalid(p);
    if (!in.remit.empty() && !Listable(in.remit)) return Invalid("remit is not a remit name");
    for (const auto& list : {in.record_ids, in.descriptors}) {
      if (!std::all_of(list.begin(), list.end(), Listable)) {
        return Invalid("record_ids and descriptors must be ids and descriptor names");
      }
    }
    const auto review =
        in.review_on.size() == 10 ? ParseRfc3339(in.review_on + "T00:00:00Z") : std::nullopt;
    if (!review || *review <= clock_.Now()) {
      return Invalid("review_on must be a future date YYYY-MM-DD");
    }
    return {};
  };
  if (auto ok = check(); !ok) return Refuse(event, ok.error());
  event.allowed = true;
  event.reason = "security officer";
  event.detail = {{"reference", in.reference},
                  {"remit", in.remit},
                  {"record_ids", JoinList(in.record_ids)},
                  {"descriptors", JoinList(in.descriptors)},
                  {"review_on", in.review_on}};
  return audit_.Change<std::string>(event, [&](store::Transaction& tx) -> Result<std::string> {
    ASSIGN_OR_RETURN(auto org, tx.Query("SELECT 1 FROM organisations WHERE id = ?", {in.org_id}));
    if (org.empty()) return Fail(ErrorCode::kNotFound, "no such organisation");
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO retention_orders (id, reference, reason, org_id, remit, record_ids, "
        "descriptors, review_on, created_by, created_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, 'active')",
        {id, in.reference, in.reason, in.org_id, in.remit, JoinList(in.record_ids),
         JoinList(in.descriptors), in.review_on, officer.account.id, FormatRfc3339(clock_.Now())}));
    return id;
  });
}

Result<std::vector<Order>> RetentionService::ListOrders(const identity::Principal& officer,
                                                        const identity::RequestContext& ctx) {
  auto event = MakeEvent(officer, "retention.order.list", "", ctx);
  RETURN_IF_ERROR(Admit(officer, authz::AdminAction::kOrderList, event));
  event.allowed = true;
  event.reason = "security officer";
  return audit_.Observe<std::vector<Order>>(
      event, [&](store::Transaction& tx) -> Result<std::vector<Order>> {
        ASSIGN_OR_RETURN(auto rows,
                         tx.Query("SELECT id, reference, reason, org_id, remit, record_ids, "
                                  "descriptors, review_on, created_by, created_at, status, "
                                  "COALESCE(lifted_by, ''), COALESCE(lifted_at, '') FROM "
                                  "retention_orders ORDER BY created_at, id"));
        std::vector<Order> out;
        for (const auto& r : rows) {
          out.push_back({r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5),
                         r.Text(6), r.Text(7), r.Text(8), r.Text(9), r.Text(10), r.Text(11),
                         r.Text(12)});
        }
        return out;
      });
}

Result<void> RetentionService::LiftOrder(const identity::Principal& officer, std::string_view id,
                                         std::string_view reason,
                                         const identity::RequestContext& ctx) {
  auto event = MakeEvent(officer, "retention.order.lift", id, ctx);
  RETURN_IF_ERROR(Admit(officer, authz::AdminAction::kOrderLift, event));
  if (auto p = CheckText(reason, {"reason", 1, 1000}); !p.empty()) {
    return Refuse(event, {ErrorCode::kInvalidArgument, p});
  }
  event.detail["reason"] = std::string(reason);
  auto done =
      audit_.Change<bool>(event, [&](store::Transaction& tx, audit::Event& ev) -> Result<bool> {
        ASSIGN_OR_RETURN(auto rows,
                         tx.Query("SELECT o.status, o.created_by, c.person_id, o.org_id FROM "
                                  "retention_orders o JOIN accounts c ON c.id = o.created_by "
                                  "WHERE o.id = ?",
                                  {std::string(id)}));
        if (rows.empty()) return Fail(ErrorCode::kNotFound, "no such Retention Order");
        ev.target.org = rows.front().Text(3);
        // Lifting is the second person's half of the order: its maker may not, by any account.
        const auto two =
            approvals::Decide(officer.account,
                              {rows.front().Text(0) == "active" ? approvals::State::kPending
                                                                : approvals::State::kApproved,
                               TimePoint::max(), rows.front().Text(1), rows.front().Text(2)},
                              approvals::Verdict::kApprove, clock_.Now());
        if (!two.allowed) {
          ev.reason = two.reason;
          return std::unexpected(two.error);
        }
        RETURN_IF_ERROR(
            tx.Exec("UPDATE retention_orders SET status = 'lifted', lifted_by = ?, "
                    "lifted_at = ?, lift_reason = ? WHERE id = ?",
                    {officer.account.id, FormatRfc3339(clock_.Now()), std::string(reason),
                     std::string(id)}));
        ev.allowed = true;
        ev.reason = "a second security officer";
        return true;
      });
  if (!done) return std::unexpected(done.error());
  return {};
}

Result<PurgeReport> RetentionService::Purge(bool dry_run, int batch) {
  PurgeReport report;
  const auto now = FormatRfc3339(clock_.Now());
  audit::Event base;
  base.actor = {"", "strongroom", "system", ""};
  base.source = "system";
  base.allowed = true;
  base.outcome = "ok";
  const std::string due =
      "SELECT r.id, r.org_id FROM records r WHERE r.retain_until <= ? AND NOT " +
      std::string(records::kHeldByOrder);
  RETURN_IF_ERROR(store_.Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto held, tx.Query("SELECT COUNT(*) FROM records r WHERE r.retain_until "
                                         "<= ? AND " +
                                             std::string(records::kHeldByOrder),
                                         {now}));
    report.held = held.front().Int(0);
    if (!dry_run) return {};
    ASSIGN_OR_RETURN(auto rows, tx.Query(due, {now}));
    report.records = static_cast<int64_t>(rows.size());
    for (const auto& r : rows) report.record_ids.push_back(r.Text(0));
    return {};
  }));
  if (dry_run) return report;
  // Records, a batch per transaction so that reads go on meanwhile.
  for (;;) {
    int64_t purged = 0;
    RETURN_IF_ERROR(store_.Write([&](store::Transaction& tx) -> Result<void> {
      purged = 0;
      ASSIGN_OR_RETURN(auto rows, tx.Query(due + " LIMIT ?", {now, int64_t{batch}}));
      for (const auto& r : rows) {
        const auto id = r.Text(0);
        RETURN_IF_ERROR(tx.Exec("DELETE FROM records WHERE id = ?", {id}));
        auto event = base;
        event.action = "retention.record.purge";
        event.target = {"record", id, r.Text(1)};
        event.reason = "past retain_until and held by no Retention Order: crypto-shredded";
        ASSIGN_OR_RETURN(auto seq, audit_.Append(tx, event));
        (void)seq;
        ++purged;
      }
      return {};
    }));
    report.records += purged;
    if (purged < batch) break;
  }
  // Everything else that has outlived its use.
  RETURN_IF_ERROR(store_.Write([&](store::Transaction& tx) -> Result<void> {
    // Sessions past the absolute lifetime: the idle ones are ended on use, or here within a day.
    const auto day_ago = FormatRfc3339(clock_.Now() - std::chrono::hours(24));
    ASSIGN_OR_RETURN(report.sessions,
                     tx.Exec("DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
                             {day_ago, day_ago}));
    ASSIGN_OR_RETURN(report.challenges,
                     tx.Exec("DELETE FROM login_challenges WHERE expires_at <= ?", {now}));
    ASSIGN_OR_RETURN(report.enrolment_tokens,
                     tx.Exec("DELETE FROM enrolment_tokens WHERE expires_at <= ? OR used_at IS "
                             "NOT NULL",
                             {now}));
    // Device cookies unused for 180 days name no device any more; sign-in delays a day past
    // their end hold nothing (failed sign-ins with made-up names would otherwise pile up).
    ASSIGN_OR_RETURN(report.devices,
                     tx.Exec("DELETE FROM known_devices WHERE last_used_at < ?",
                             {FormatRfc3339(clock_.Now() - std::chrono::days(180))}));
    ASSIGN_OR_RETURN(report.throttles,
                     tx.Exec("DELETE FROM login_throttle WHERE next_allowed_at < ?", {day_ago}));
    auto event = base;
    event.action = "retention.purge";
    event.target = {"service", "", ""};
    event.reason = "scheduled purge";
    event.detail = {{"records", std::to_string(report.records)},
                    {"held", std::to_string(report.held)},
                    {"sessions", std::to_string(report.sessions)},
                    {"challenges", std::to_string(report.challenges)},
                    {"enrolment_tokens", std::to_string(report.enrolment_tokens)},
                    {"devices", std::to_string(report.devices)},
                    {"throttles", std::to_string(report.throttles)}};
    ASSIGN_OR_RETURN(auto seq, audit_.Append(tx, event));
    (void)seq;
    return {};
  }));
  // Old page images of what was purged must not linger in the write-ahead log.
  if (report.records > 0) RETURN_IF_ERROR(store_.Compact());
  return report;
}

}  // namespace strongroom::retention
