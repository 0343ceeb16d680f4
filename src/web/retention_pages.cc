// The console's Retention Orders, on the admin listener: the list, making one, and lifting one
// (by a second security officer: the service decides, and refuses the one who made it).

#include "common/text.h"
#include "http/query.h"
#include "web/page_kit.h"

namespace strongroom::web {
namespace {

// An order's scope as people read it.
std::string ScopeOf(const retention::Order& o, const std::map<std::string, std::string>& orgs) {
  std::string scope = NameOf(orgs, o.org_id);
  scope += o.remit.empty() ? ", every remit" : ", remit " + o.remit;
  if (!o.record_ids.empty()) scope += ", records " + Listed(o.record_ids);
  if (!o.descriptors.empty()) scope += ", labelled " + Listed(o.descriptors);
  return scope;
}

Result<http::Response> OrdersPage(const ConsoleDeps& d, Call& c) {
  if (auto q = http::ParseQuery(c.request.query, {}); !q) {
    return d.lifecycle.RefuseMalformed(c.who(), "retention.order.list", q.error(), c.context);
  }
  ASSIGN_OR_RETURN(auto orders, d.retention.ListOrders(c.who(), c.context));
  ASSIGN_OR_RETURN(auto orgs, OrgNames(d, c));
  auto data = SignedIn(d, c, "Retention Orders");
  PageData items{PageData::type::list};
  for (const auto& o : orders) {
    PageData item;
    item["id"] = PercentEncode(o.id);
    item["reference"] = o.reference;
    item["reason"] = o.reason;
    item["scope"] = ScopeOf(o, orgs);
    item["review_on"] = ReadableDate(o.review_on);
    item["created_at"] = Readable(o.created_at);
    const bool active = o.status == "active";
    item["status"] = active ? "Active" : "Lifted";
    item["tag"] = active ? "govuk-tag--red" : "govuk-tag--grey";
    if (active) item["active"] = true;
    if (!o.lifted_at.empty()) item["lifted_at"] = Readable(o.lifted_at);
    items.push_back(item);
  }
  if (!orders.empty()) data["has_items"] = true;
  data["items"] = std::move(items);
  return Page(d, 200, "admin_orders", data);
}

struct OrderText {
  std::string_view name, label, hint;
  bool multiline;
};
constexpr OrderText kOrderTexts[] = {
    {"reference", "Reference", "The matter's reference, for example a case number", false},
    {"reason", "Why the records are held", "", true},
    {"remit", "Remit", "Leave empty to hold every remit of the organisation", false},
    {"record_ids", "Records", "Leave empty to hold every record in scope; or their ids, one a line",
     true},
};

// Where the service's message about an order points on the form.
std::string_view OrderField(std::string_view message) {
  for (const std::string_view field :
       {"reference", "reason", "remit", "record_ids", "review_on", "organisation", "descriptor"}) {
    if (message.find(field) == std::string_view::npos) continue;
    if (field == "review_on") return "review";
    if (field == "organisation") return "org";
    if (field == "descriptor") return "descriptors";
    return field;
  }
  return "reference";
}

Result<http::Response> OrderForm(const ConsoleDeps& d, Call& c, http::Form form,
                                 const Error* error) {
  ASSIGN_OR_RETURN(auto orgs, OrgNames(d, c));
  auto data = SignedIn(d, c, "Make a Retention Order");
  const std::string_view field = error == nullptr ? "" : OrderField(error->message);
  const std::string message = error == nullptr ? "" : Sentence(error->message);
  data["orgs"] = OrgOptions(orgs, form["org"]);
  PageData texts{PageData::type::list};
  for (const auto& t : kOrderTexts) {
    auto text = TextField(t.name, t.label, t.hint, form[std::string(t.name)],
                          field == t.name ? message : "");
    if (t.multiline) text["multiline"] = true;
    texts.push_back(std::move(text));
  }
  data["text_fields"] = std::move(texts);
  PageData choices{PageData::type::list};
  choices.push_back(Choices("descriptors", "Labelled",
                            "Leave all unticked to hold whatever the records' labels", false,
                            d.records.options().descriptors, http::FormValues(form, "descriptors"),
                            field == "descriptors" ? message : ""));
  data["choices"] = std::move(choices);
  data["review"] = DateInput("review", "Review it on", "A day in the future, for example 1 6 2027",
                             form, field == "review" ? message : "");
  if (error == nullptr) return Page(d, 200, "admin_order_new", data);
  if (field == "org") data["org_error"] = message;
  const std::string link = field == "review" ? "review_day"
                           : field == "descriptors"
                               ? "descriptors-" + (d.records.options().descriptors.empty()
                                                       ? std::string()
                                                       : d.records.options().descriptors[0])
                               : std::string(field);
  return FormAgain(d, "admin_order_new", std::move(data), link, *error);
}

// Record ids one a line (or separated by commas), each trimmed; empty ones left out.
std::vector<std::string> IdsOf(const std::string& text) {
  std::vector<std::string> out;
  for (auto line : SplitList(text, '\n')) {
    for (auto& id : SplitList(line)) {
      while (!id.empty() && id.front() == ' ') id.erase(0, 1);
      while (!id.empty() && id.back() == ' ') id.pop_back();
      if (!id.empty()) out.push_back(std::move(id));
    }
  }
  return out;
}

Result<http::Response> MakeOrder(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(c.request, {{"org", 64},
                                          {"reference", 400},
                                          {"reason", 4000, true},
                                          {"remit", 64},
                                          {"record_ids", 1000 * 66, true},
                                          {"descriptors", 32, false, true},
                                          {"review_day", 8},
                                          {"review_month", 8},
                                          {"review_year", 8}});
  if (!form) {
    return d.lifecycle.RefuseMalformed(c.who(), "retention.order.create", form.error(), c.context);
  }
  auto& f = *form;
  retention::OrderInput in;
  in.org_id = f["org"];
  in.reference = f["reference"];
  in.reason = f["reason"];
  in.remit = f["remit"];
  in.record_ids = IdsOf(f["record_ids"]);
  in.descriptors = http::FormValues(f, "descriptors");
  in.review_on = DateFrom(f["review_day"], f["review_month"], f["review_year"]);
  auto made = d.retention.CreateOrder(c.who(), in, c.context);
  if (!made) {
    if (!ShownOnTheForm(made.error()) && made.error().code != ErrorCode::kNotFound) {
      return std::unexpected(made.error());
    }
    return OrderForm(d, c, std::move(f), &made.error());
  }
  return SeeOther("/admin/retention-orders");
}

Result<http::Response> LiftPage(const ConsoleDeps& d, Call& c, const http::Form& form,
                                const Error* error) {
  ASSIGN_OR_RETURN(auto orders, d.retention.ListOrders(c.who(), c.context));
  const auto found = std::ranges::find(orders, c.param("id"), &retention::Order::id);
  if (found == orders.end() || found->status != "active") {
    return Fail(ErrorCode::kNotFound, "no such active Retention Order");
  }
  ASSIGN_OR_RETURN(auto orgs, OrgNames(d, c));
  auto data = SignedIn(d, c, "Lift this Retention Order");
  data["id"] = PercentEncode(found->id);
  data["reference"] = found->reference;
  data["reason"] = found->reason;
  data["scope"] = ScopeOf(*found, orgs);
  data["created_at"] = Readable(found->created_at);
  if (const auto reason = form.find("reason"); reason != form.end()) {
    data["reason_value"] = reason->second;
  }
  if (error == nullptr) return Page(d, 200, "admin_order_lift", data);
  return FormAgain(d, "admin_order_lift", std::move(data), "reason", *error);
}

Result<http::Response> LiftOrder(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(c.request, {{"reason", 4000, true}});
  if (!form) {
    return d.lifecycle.RefuseMalformed(c.who(), "retention.order.lift", form.error(), c.context);
  }
  auto lifted = d.retention.LiftOrder(c.who(), c.param("id"), (*form)["reason"], c.context);
  if (!lifted) {
    // The maker refused (a second officer lifts it), or a reason refused: said on the form.
    if (!ShownOnTheForm(lifted.error())) return std::unexpected(lifted.error());
    return LiftPage(d, c, *form, &lifted.error());
  }
  return SeeOther("/admin/retention-orders");
}

}  // namespace

void AddRetentionPages(PageTable& pages) {
  pages.Add(verb::get, "/admin/retention-orders", Credentials::kSession, "Retention Orders",
            OrdersPage);
  pages.Add(verb::get, "/admin/retention-orders/new", Credentials::kSession,
            "The form to make a Retention Order",
            [](const ConsoleDeps& d, Call& c) { return OrderForm(d, c, {}, nullptr); });
  pages.Add(verb::post, "/admin/retention-orders", Credentials::kSession, "Make a Retention Order",
            MakeOrder);
  pages.Add(verb::get, "/admin/retention-orders/{id}/lift", Credentials::kSession,
            "The form to lift a Retention Order",
            [](const ConsoleDeps& d, Call& c) { return LiftPage(d, c, {}, nullptr); });
  pages.Add(verb::post, "/admin/retention-orders/{id}/lift", Credentials::kSession,
            "Lift a Retention Order (a second security officer)", LiftOrder);
}

}  // namespace strongroom::web
