// The console's organisations, on the admin listener: the list (with the certificates lapsing
// soon), adding one (security officers), an organisation's page with its certificates and remits,
// recording renewed certificates, and adding a remit (its org admin too).

#include <fmt/format.h>

#include <charconv>

#include "api/admin.h"
#include "http/query.h"
#include "lifecycle/rules.h"
#include "web/page_kit.h"

namespace strongroom::web {
namespace {

// A certificate this close to its expiry is tagged on the pages.
constexpr int kSoonDays = 30;

// A certificate as people read it: tagged when it has lapsed, or lapses within kSoonDays.
PageData CertificateOf(std::string_view title, const identity::Certificate& cert, TimePoint now) {
  PageData out;
  out["title"] = std::string(title);
  out["reference"] = cert.reference;
  out["expires_on"] = ReadableDate(cert.expires_on);
  if (const auto expires = lifecycle::ParseDate(cert.expires_on)) {
    const auto left = std::chrono::ceil<std::chrono::days>(*expires - now).count();
    if (left <= 0) {
      out["state"] = "Lapsed";
      out["tag"] = "govuk-tag--red";
    } else if (left <= kSoonDays) {
      out["state"] = left == 1 ? std::string("Lapses in 1 day")
                               : "Lapses in " + std::to_string(left) + " days";
      out["tag"] = "govuk-tag--yellow";
    }
  }
  return out;
}

PageData CertificatesOf(const identity::Org& o, TimePoint now) {
  PageData list{PageData::type::list};
  list.push_back(CertificateOf("ISO 27001", o.iso27001, now));
  list.push_back(CertificateOf("Cyber Essentials Plus", o.cyber_essentials_plus, now));
  return list;
}

// What every view of an organisation shows.
void AddOrg(PageData& data, const identity::Org& o, TimePoint now) {
  data["id"] = PercentEncode(o.id);
  data["name"] = o.name;
  const bool active = o.status == "active";
  data["status"] = active ? std::string("Active") : Sentence(o.status);
  data["status_tag"] = active ? "govuk-tag--green" : "govuk-tag--red";
  data["agreed_expiry_days"] = std::to_string(o.agreed_expiry_days);
  data["certificates"] = CertificatesOf(o, now);
}

constexpr std::string_view kLapsing = "certificates_lapsing_within_days";

Result<http::Response> OrgsPage(const ConsoleDeps& d, Call& c) {
  auto q = http::ParseQuery(c.request.query, {kLapsing});
  if (!q) return d.lifecycle.RefuseMalformed(c.who(), "admin.org.list", q.error(), c.context);
  auto days = api::ReadLapsingDays(*q);
  if (!days) {
    // Recorded, then shown beside its field (unless it could not be recorded: that fails closed).
    auto refused = d.lifecycle.RefuseMalformed(c.who(), "admin.org.list", days.error(), c.context);
    if (refused.error().code != ErrorCode::kInvalidArgument) return refused;
  }
  std::vector<identity::Org> orgs;
  if (days) {
    ASSIGN_OR_RETURN(orgs, d.lifecycle.organisations.List(c.who(), c.context, *days));
  }
  auto data = SignedIn(d, c, "Organisations");
  const auto now = d.clock.Now();
  if (Offered(d, c.who(), authz::AdminAction::kOrgCreate)) data["can_create"] = true;
  auto lapsing = TextField(kLapsing, "Certificates lapsing within (days)",
                           "0 for those lapsed already; empty for every organisation",
                           (*q)[std::string(kLapsing)], days ? "" : Sentence(days.error().message));
  lapsing["width"] = "govuk-input--width-4";
  lapsing["numeric"] = true;
  data["lapsing"] = std::move(lapsing);
  PageData items{PageData::type::list};
  for (const auto& o : orgs) {
    PageData item;
    AddOrg(item, o, now);
    items.push_back(item);
  }
  if (!orgs.empty()) data["has_items"] = true;
  if (!(*q)[std::string(kLapsing)].empty()) data["filtered"] = true;
  data["items"] = std::move(items);
  if (!days) return FormAgain(d, "admin_orgs", std::move(data), kLapsing, days.error());
  return Page(d, 200, "admin_orgs", data);
}

// One organisation, as the caller may see it (an org admin: their own only; the service records
// an attempt at another).
Result<identity::Org> FindOrg(const ConsoleDeps& d, Call& c) {
  return d.lifecycle.organisations.Find(c.who(), c.param("id"), c.context);
}

constexpr std::string_view kRemitHint = "1 to 64 characters: a to z, 0 to 9, '.', '_' or '-'";

// What an organisation's people sign in with, as a sentence.
std::string FactorsText(const identity::FactorPolicy& policy) {
  const auto text = [](identity::SecondFactor f) {
    return f == identity::SecondFactor::kSecurityKey ? "a security key only"
                                                     : "an authenticator app or a security key";
  };
  return fmt::format("Standard accounts: {}. Privileged accounts: {}.{}", text(policy.standard),
                     text(identity::KeyRequired(policy, identity::Kind::kPrivileged)
                              ? identity::SecondFactor::kSecurityKey
                              : identity::SecondFactor::kAny),
                     policy.user_verification
                         ? " Security keys must check who holds them (a PIN or a fingerprint)."
                         : "");
}

// An organisation's page; `remit` and `error` are a remit refused, shown again beside its field.
Result<http::Response> OrgPage(const ConsoleDeps& d, Call& c, const std::string& remit,
                               const Error* error) {
  ASSIGN_OR_RETURN(const auto org, FindOrg(d, c));
  ASSIGN_OR_RETURN(const auto remits, d.lifecycle.organisations.Remits(c.who(), org.id, c.context));
  auto data = SignedIn(d, c, org.name);
  AddOrg(data, org, d.clock.Now());
  data["idp"] = org.identity_provider_approves ? "Its identity provider's approval is enough"
                                               : "Each waits for an administrator's approval";
  data["created_at"] = Readable(org.created_at);
  const authz::AdminTarget in_org{org.id, {}, "", {}};
  if (Offered(d, c.who(), authz::AdminAction::kOrgCertificates, in_org)) {
    data["can_certify"] = true;
  }
  data["second_factor"] = FactorsText(org.factors);
  if (Offered(d, c.who(), authz::AdminAction::kOrgSecondFactor, in_org)) {
    data["can_set_factors"] = true;
  }
  PageData list{PageData::type::list};
  for (const auto& r : remits) {
    PageData item;
    item["name"] = r.name;
    item["created_at"] = Readable(r.created_at);
    list.push_back(item);
  }
  if (!remits.empty()) data["has_remits"] = true;
  data["remits"] = std::move(list);
  if (Offered(d, c.who(), authz::AdminAction::kRemitCreate, in_org)) {
    data["can_add_remit"] = true;
    auto field = TextField("remit", "Add a remit", kRemitHint, remit,
                           error == nullptr ? "" : Sentence(error->message));
    field["width"] = "govuk-input--width-20";
    data["remit"] = std::move(field);
  }
  if (error == nullptr) return Page(d, 200, "admin_org", data);
  return FormAgain(d, "admin_org", std::move(data), "remit", *error);
}

Result<http::Response> AddRemit(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(c.request, {{"remit", 200}});
  if (!form) {
    return d.lifecycle.RefuseMalformed(c.who(), "admin.remit.create", form.error(), c.context);
  }
  const auto& name = (*form)["remit"];
  auto made = d.lifecycle.organisations.CreateRemit(c.who(), c.param("id"), name, c.context);
  if (!made) {
    if (!ShownOnTheForm(made.error())) return std::unexpected(made.error());
    return OrgPage(d, c, name, &made.error());
  }
  return SeeOther("/admin/orgs/" + PercentEncode(c.param("id")));
}

// --- Certificates --------------------------------------------------------------------------------

// The two certificates' fields: `prefix`_ref and the date input `prefix`_expires.
struct CertificateFields {
  std::string_view prefix, title, service_name;  // service_name: how the service's messages name it
};
constexpr CertificateFields kCertificates[] = {
    {"iso", "ISO 27001", "iso27001"},
    {"cep", "Cyber Essentials Plus", "cyber_essentials_plus"},
};

// The form's field the service's message is about: a certificate's reference or expiry, the
// accounts' agreed period, or else `otherwise` (the form's first field).
std::string FieldOf(std::string_view message, std::string_view otherwise) {
  for (const auto& cert : kCertificates) {
    if (message.find(cert.service_name) == std::string_view::npos) continue;
    const bool expiry = message.find("expiry") != std::string_view::npos ||
                        message.find("lapsed") != std::string_view::npos;
    return std::string(cert.prefix) + (expiry ? "_expires" : "_ref");
  }
  if (message.find("agreed_expiry_days") != std::string_view::npos) return "agreed_expiry_days";
  return std::string(otherwise);
}

// Where the error summary links for `field` (a date input: its day).
std::string LinkOf(const std::string& field) {
  return field.ends_with("_expires") ? field + "_day" : field;
}

// The certificates' fields of a form, with `form`'s values and `message` beside `field`.
PageData CertificateInputs(http::Form& form, const std::string& field, const std::string& message) {
  PageData list{PageData::type::list};
  for (const auto& cert : kCertificates) {
    const std::string ref = std::string(cert.prefix) + "_ref";
    const std::string expires = std::string(cert.prefix) + "_expires";
    PageData item;
    item["title"] = std::string(cert.title);
    item["reference"] =
        TextField(ref, "Certificate number", "", form[ref], field == ref ? message : "");
    item["expires"] = DateInput(expires, "Expires on", "For example, 31 3 2027", form,
                                field == expires ? message : "");
    list.push_back(item);
  }
  return list;
}

// The certificates a form holds.
std::pair<identity::Certificate, identity::Certificate> CertificatesFrom(http::Form& f) {
  return {
      {f["iso_ref"], DateFrom(f["iso_expires_day"], f["iso_expires_month"], f["iso_expires_year"])},
      {f["cep_ref"],
       DateFrom(f["cep_expires_day"], f["cep_expires_month"], f["cep_expires_year"])}};
}

constexpr http::FormField kCertificateFields[] = {
    {"iso_ref", 400}, {"iso_expires_day", 8}, {"iso_expires_month", 8}, {"iso_expires_year", 8},
    {"cep_ref", 400}, {"cep_expires_day", 8}, {"cep_expires_month", 8}, {"cep_expires_year", 8}};

Result<http::Response> CertificatesPage(const ConsoleDeps& d, Call& c, http::Form form,
                                        const Error* error) {
  ASSIGN_OR_RETURN(const auto org, FindOrg(d, c));
  if (error == nullptr) {
    // Opened: the references held now, for the person to change (renewals are often new numbers).
    form["iso_ref"] = org.iso27001.reference;
    form["cep_ref"] = org.cyber_essentials_plus.reference;
  }
  auto data = SignedIn(d, c, "Record renewed certificates");
  data["id"] = PercentEncode(org.id);
  data["name"] = org.name;
  const std::string field = error == nullptr ? "" : FieldOf(error->message, "iso_ref");
  data["certificates"] =
      CertificateInputs(form, field, error == nullptr ? "" : Sentence(error->message));
  if (error == nullptr) return Page(d, 200, "admin_org_certificates", data);
  return FormAgain(d, "admin_org_certificates", std::move(data), LinkOf(field), *error);
}

Result<http::Response> RenewCertificates(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(c.request, kCertificateFields);
  if (!form) {
    return d.lifecycle.RefuseMalformed(c.who(), "admin.org.certificates", form.error(), c.context);
  }
  const auto [iso, cep] = CertificatesFrom(*form);
  auto renewed =
      d.lifecycle.organisations.RenewCertificates(c.who(), c.param("id"), iso, cep, c.context);
  if (!renewed) {
    if (!ShownOnTheForm(renewed.error())) return std::unexpected(renewed.error());
    return CertificatesPage(d, c, std::move(*form), &renewed.error());
  }
  return SeeOther("/admin/orgs/" + PercentEncode(c.param("id")));
}

// --- Second factors ------------------------------------------------------------------------------

Result<http::Response> FactorsPage(const ConsoleDeps& d, Call& c,
                                   const identity::FactorPolicy& policy, const Error* error,
                                   std::string_view field) {
  ASSIGN_OR_RETURN(const auto org, FindOrg(d, c));
  auto data = SignedIn(d, c, "Second factors");
  data["id"] = PercentEncode(org.id);
  data["name"] = org.name;
  PageData groups{PageData::type::list};
  for (const auto& [name, legend, value] :
       {std::tuple{"second_factor", "Its standard accounts sign in with", policy.standard},
        {"privileged_second_factor", "Its privileged accounts sign in with", policy.privileged}}) {
    PageData group;
    group["field"] = std::string(name);
    group["legend"] = std::string(legend);
    if (value == identity::SecondFactor::kAny) group["any"] = true;
    if (error != nullptr && field == name) group["error"] = Sentence(error->message);
    groups.push_back(std::move(group));
  }
  data["groups"] = std::move(groups);
  if (policy.user_verification) data["user_verification"] = true;
  if (error != nullptr && field == "webauthn_user_verification") {
    data["user_verification_error"] = Sentence(error->message);
  }
  if (NeedsCode(d, c, authz::AdminAction::kOrgSecondFactor)) AskFreshFactor(d, c, data);
  if (error == nullptr) return Page(d, 200, "admin_org_second_factor", data);
  return FormAgain(d, "admin_org_second_factor", std::move(data), field, *error);
}

Result<http::Response> SetFactors(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(c.request, {{"second_factor", 32},
                                          {"privileged_second_factor", 32},
                                          {"webauthn_user_verification", 16},
                                          {"code", 32},
                                          {"key_answer", 8192}});
  if (!form) {
    return d.lifecycle.RefuseMalformed(c.who(), "admin.org.second_factor", form.error(), c.context);
  }
  identity::FactorPolicy policy;
  for (const auto& [name, out] : {std::pair{"second_factor", &policy.standard},
                                  {"privileged_second_factor", &policy.privileged}}) {
    auto parsed = identity::ParseSecondFactor((*form)[name]);
    if (!parsed) {
      const Error error{ErrorCode::kInvalidArgument, "choose which second factors they use"};
      (void)d.lifecycle.RefuseMalformed(c.who(), "admin.org.second_factor", error, c.context);
      return FactorsPage(d, c, policy, &error, name);
    }
    *out = *parsed;
  }
  const auto uv = identity::ParseUserVerification((*form)["webauthn_user_verification"]);
  if (!uv) {
    const Error error{ErrorCode::kInvalidArgument, "choose whether keys must check who holds them"};
    (void)d.lifecycle.RefuseMalformed(c.who(), "admin.org.second_factor", error, c.context);
    return FactorsPage(d, c, policy, &error, "webauthn_user_verification");
  }
  policy.user_verification = *uv;
  auto who = Proven(d, c, authz::AdminAction::kOrgSecondFactor, *form);
  if (!who) {
    if (!ShownOnTheForm(who.error()) && who.error().code != ErrorCode::kUnauthenticated) {
      return std::unexpected(who.error());
    }
    return FactorsPage(d, c, policy, &who.error(), "code");
  }
  auto set = d.lifecycle.organisations.SetFactorPolicy(*who, c.param("id"), policy,
                                                       policy.user_verification, c.context);
  if (!set) return std::unexpected(set.error());
  return SeeOther("/admin/orgs/" + PercentEncode(c.param("id")));
}

// --- A new organisation --------------------------------------------------------------------------

Result<http::Response> NewOrgPage(const ConsoleDeps& d, Call& c, http::Form form,
                                  const Error* error) {
  auto data = SignedIn(d, c, "Add an organisation");
  const std::string field = error == nullptr ? "" : FieldOf(error->message, "name");
  const std::string message = error == nullptr ? "" : Sentence(error->message);
  if (error == nullptr && form["agreed_expiry_days"].empty()) {
    form["agreed_expiry_days"] = std::to_string(identity::OrgInput{}.agreed_expiry_days);
  }
  PageData texts{PageData::type::list};
  texts.push_back(TextField("name", "Name", "As on its certificates", form["name"],
                            field == "name" ? message : ""));
  auto days = TextField("agreed_expiry_days", "Its accounts last (days)",
                        "Agreed with the supplier: 1 to 365. Then an administrator renews each",
                        form["agreed_expiry_days"], field == "agreed_expiry_days" ? message : "");
  days["width"] = "govuk-input--width-3";
  days["numeric"] = true;
  texts.push_back(std::move(days));
  data["text_fields"] = std::move(texts);
  data["certificates"] = CertificateInputs(form, field, message);
  if (form["identity_provider_approves"] == "yes") data["idp_checked"] = true;
  if (error == nullptr) return Page(d, 200, "admin_org_new", data);
  return FormAgain(d, "admin_org_new", std::move(data), LinkOf(field), *error);
}

// "90" as a whole number; -1 (which the service refuses, naming the field) for anything else.
int DaysFrom(const std::string& text) {
  int n = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc() && end == text.data() + text.size() ? n : -1;
}

Result<http::Response> CreateOrg(const ConsoleDeps& d, Call& c) {
  std::vector<http::FormField> fields = {
      {"name", 800}, {"agreed_expiry_days", 8}, {"identity_provider_approves", 3}};
  fields.insert(fields.end(), std::begin(kCertificateFields), std::end(kCertificateFields));
  auto form = http::ParseForm(c.request, fields);
  if (form && !(*form)["identity_provider_approves"].empty() &&
      (*form)["identity_provider_approves"] != "yes") {
    form = Fail(ErrorCode::kInvalidArgument, "identity_provider_approves must be yes or absent");
  }
  if (!form)
    return d.lifecycle.RefuseMalformed(c.who(), "admin.org.create", form.error(), c.context);
  auto& f = *form;
  identity::OrgInput in;
  in.name = f["name"];
  in.agreed_expiry_days = DaysFrom(f["agreed_expiry_days"]);
  std::tie(in.iso27001, in.cyber_essentials_plus) = CertificatesFrom(f);
  in.identity_provider_approves = f["identity_provider_approves"] == "yes";
  auto made = d.lifecycle.organisations.Create(c.who(), in, c.context);
  if (!made) {
    if (!ShownOnTheForm(made.error())) return std::unexpected(made.error());
    return NewOrgPage(d, c, std::move(f), &made.error());
  }
  return SeeOther("/admin/orgs/" + PercentEncode(made->id));
}

}  // namespace

void AddOrgPages(PageTable& pages) {
  pages.Add(verb::get, "/admin/orgs", Credentials::kSession,
            "Organisations (certificates_lapsing_within_days)", OrgsPage);
  pages.Add(verb::get, "/admin/orgs/new", Credentials::kSession, "The form to add an organisation",
            [](const ConsoleDeps& d, Call& c) { return NewOrgPage(d, c, {}, nullptr); });
  pages.Add(verb::post, "/admin/orgs", Credentials::kSession,
            "Add an organisation with its certificates", CreateOrg);
  pages.Add(verb::get, "/admin/orgs/{id}", Credentials::kSession,
            "An organisation: its certificates and remits",
            [](const ConsoleDeps& d, Call& c) { return OrgPage(d, c, "", nullptr); });
  pages.Add(verb::post, "/admin/orgs/{id}/remits", Credentials::kSession, "Add a remit", AddRemit);
  pages.Add(verb::get, "/admin/orgs/{id}/certificates", Credentials::kSession,
            "The form to record renewed certificates",
            [](const ConsoleDeps& d, Call& c) { return CertificatesPage(d, c, {}, nullptr); });
  pages.Add(verb::get, "/admin/orgs/{id}/second-factor", Credentials::kSession,
            "The form to set an organisation's second factors",
            [](const ConsoleDeps& d, Call& c) -> Result<http::Response> {
              ASSIGN_OR_RETURN(const auto org, FindOrg(d, c));
              return FactorsPage(d, c, org.factors, nullptr, "");
            });
  pages.Add(verb::post, "/admin/orgs/{id}/second-factor", Credentials::kSession,
            "Set an organisation's second factors", SetFactors);
  pages.Add(verb::post, "/admin/orgs/{id}/certificates", Credentials::kSession,
            "Record an organisation's renewed certificates", RenewCertificates);
}

}  // namespace strongroom::web
