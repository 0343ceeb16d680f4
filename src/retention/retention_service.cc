#include "retention/retention_service.h"

#include <fmt/format.h>

#include <algorithm>

#include "approvals/two_person.h"
#include "common/text.h"
#include "identity/directory.h"

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
    ASSIGN_OR_RETURN(auto org, identity::FindOrg(tx, in.org_id));
    if (!org) return Fail(ErrorCode::kNotFound, "no such organisation");
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
        ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT status, created_by, org_id FROM "
                                             "retention_orders WHERE id = ?",
                                             {std::string(id)}));
        if (rows.empty()) return Fail(ErrorCode::kNotFound, "no such Retention Order");
        ev.target.org = rows.front().Text(2);
        ASSIGN_OR_RETURN(auto maker, identity::LoadAccount(tx, rows.front().Text(1)));
        if (!maker) {  // the rule needs the maker's person: without it, refuse
          ev.reason = "the order's maker cannot be read";
          return Fail(ErrorCode::kFailedPrecondition, "the order's maker cannot be read");
        }
        // Lifting is the second person's half of the order: its maker may not, by any account.
        const auto two =
            approvals::Decide(officer.account,
                              {rows.front().Text(0) == "active" ? approvals::State::kPending
                                                                : approvals::State::kApproved,
                               TimePoint::max(), rows.front().Text(1), maker->person_id},
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

}  // namespace strongroom::retention
