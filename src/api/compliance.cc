#include "api/compliance.h"

#include <boost/json.hpp>
#include <functional>

#include "http/json.h"
#include "http/query.h"

namespace strongroom::api {
namespace {

using http::beast_http::verb;

struct Deps {
  compliance::IthcRegister& ithc;
  compliance::Gate& gate;
  compliance::Reporter& reporter;
  int depth;
};

boost::json::object FingerprintJson(const compliance::Fingerprint& f) {
  boost::json::object components;
  for (const auto& [name, value] : f.components) components[name] = value;
  return {{"digest", f.Digest()}, {"components", std::move(components)}};
}

boost::json::object CheckJson(const compliance::Check& c) {
  boost::json::array findings;
  for (const auto& f : c.findings) {
    findings.push_back({{"id", f.id},
                        {"title", f.title},
                        {"severity", f.severity},
                        {"detail", f.detail},
                        {"state", f.state},
                        {"resolution", f.resolution},
                        {"resolved_by", f.resolved_by},
                        {"resolved_at", f.resolved_at}});
  }
  boost::json::object fingerprint;
  if (auto parsed = compliance::ParseFingerprint(c.fingerprint)) {
    fingerprint = FingerprintJson(*parsed);
  }
  return {{"id", c.id},
          {"performed_on", c.performed_on},
          {"organisation", c.organisation},
          {"tester", c.tester},
          {"scope", c.scope},
          {"report_sha256", c.report_sha256},
          {"fingerprint", std::move(fingerprint)},
          {"recorded_by", c.recorded_by},
          {"recorded_at", c.recorded_at},
          {"status", c.status},
          {"signed_off_by", c.signed_off_by},
          {"signed_off_at", c.signed_off_at},
          {"findings", std::move(findings)}};
}

http::Response CheckResponse(int status, const compliance::Check& c) {
  return http::Response::Json(status, boost::json::serialize(CheckJson(c)));
}

Result<compliance::FindingInput> ReadFinding(const boost::json::object& o) {
  http::FieldReader f(o);
  compliance::FindingInput in;
  ASSIGN_OR_RETURN(in.title, f.String("title", 800));
  ASSIGN_OR_RETURN(in.severity, f.String("severity", 16));
  ASSIGN_OR_RETURN(in.detail, f.OptionalString("detail", 16000));
  RETURN_IF_ERROR(f.Finish());
  return in;
}

Result<compliance::CheckInput> ReadCheck(const http::Request& r, int depth) {
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
  http::FieldReader f(body);
  compliance::CheckInput in;
  ASSIGN_OR_RETURN(in.fingerprint, f.String("fingerprint", 64));
  ASSIGN_OR_RETURN(in.performed_on, f.String("performed_on", 10));
  ASSIGN_OR_RETURN(in.organisation, f.String("organisation", 800));
  ASSIGN_OR_RETURN(in.tester, f.String("tester", 800));
  ASSIGN_OR_RETURN(in.scope, f.String("scope", 8000));
  ASSIGN_OR_RETURN(in.report_sha256, f.String("report_sha256", 64));
  ASSIGN_OR_RETURN(auto findings, f.ObjectArray("findings", 1000, false));
  RETURN_IF_ERROR(f.Finish());
  for (const auto* o : findings) {
    ASSIGN_OR_RETURN(auto finding, ReadFinding(*o));
    in.findings.push_back(std::move(finding));
  }
  return in;
}

Result<http::Response> Gate(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto a, d.gate.Show(c.who(), c.context));
  static constexpr std::string_view kModes[] = {"off", "warn", "enforce"};
  boost::json::object out{{"gate", kModes[static_cast<int>(d.gate.mode())]},
                          {"standing", compliance::Name(a.standing)},
                          {"fit", a.Fit()},
                          {"reason", a.reason},
                          {"check", a.check_id},
                          {"due_on", a.due_on},
                          {"fingerprint", FingerprintJson(d.gate.deployment())}};
  return http::Response::Json(200, boost::json::serialize(out));
}

// Reads a request's body only once its caller is admitted to `action` (a refusal audited), so
// that nobody else learns what a body would be answered; a body refused is audited too.
template <typename T>
Result<T> AdmitThenRead(const Deps& d, Call& c, authz::AdminAction action,
                        const std::function<Result<T>()>& read) {
  const auto check = c.request.params.contains("id") ? c.param("id") : std::string();
  RETURN_IF_ERROR(d.ithc.Admit(c.who(), action, check, c.context));
  auto in = read();
  if (!in) return d.ithc.RefuseInput(c.who(), action, check, in.error(), c.context);
  return in;
}

Result<http::Response> Report(const Deps& d, Call& c) {
  // The report first: it admits (and audits) the caller before the query is looked at.
  ASSIGN_OR_RETURN(auto report, d.reporter.Run(c.who(), c.context));
  ASSIGN_OR_RETURN(auto params, http::ParseQuery(c.request.query, {"format"}, 8));
  const auto& format = params["format"];
  if (!format.empty() && format != "json" && format != "html") {
    return Fail(ErrorCode::kInvalidArgument, "format is json or html");
  }
  if (format == "html") {
    return http::Response{
        200, "text/html; charset=utf-8", compliance::ReportHtml(report), {}, false};
  }
  return http::Response::Json(200, compliance::ReportJson(report));
}

Result<http::Response> Record(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(
      auto in, AdmitThenRead<compliance::CheckInput>(d, c, authz::AdminAction::kIthcRecord, [&] {
        return ReadCheck(c.request, d.depth);
      }));
  ASSIGN_OR_RETURN(auto check, d.ithc.Record(c.who(), in, c.context));
  return CheckResponse(201, check);
}

Result<http::Response> List(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto checks, d.ithc.List(c.who(), c.context));
  boost::json::array items;
  for (const auto& check : checks) items.push_back(CheckJson(check));
  boost::json::object out{{"items", std::move(items)}};
  return http::Response::Json(200, boost::json::serialize(out));
}

Result<http::Response> Get(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto check, d.ithc.Get(c.who(), c.param("id"), c.context));
  return CheckResponse(200, check);
}

Result<http::Response> AddFinding(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(
      auto in,
      AdmitThenRead<compliance::FindingInput>(
          d, c, authz::AdminAction::kIthcFinding, [&]() -> Result<compliance::FindingInput> {
            ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(c.request, d.depth));
            return ReadFinding(body);
          }));
  ASSIGN_OR_RETURN(auto id, d.ithc.AddFinding(c.who(), c.param("id"), in, c.context));
  boost::json::object out{{"id", id}, {"state", "open"}};
  return http::Response::Json(201, boost::json::serialize(out));
}

Result<http::Response> Resolve(const Deps& d, Call& c, compliance::Resolution resolution) {
  const bool accept = resolution == compliance::Resolution::kAccept;
  ASSIGN_OR_RETURN(
      auto f,
      AdmitThenRead<std::vector<std::string>>(
          d, c, accept ? authz::AdminAction::kIthcAccept : authz::AdminAction::kIthcMitigate,
          [&]() -> Result<std::vector<std::string>> {
            ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(c.request, d.depth));
            return http::RequireStringFields(body, {{accept ? "reason" : "evidence", 16000}});
          }));
  RETURN_IF_ERROR(
      d.ithc.Resolve(c.who(), c.param("id"), c.param("finding"), resolution, f[0], c.context));
  return http::Response::NoContent();
}

Result<http::Response> SignOff(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto check, d.ithc.SignOff(c.who(), c.param("id"), c.context));
  return CheckResponse(200, check);
}

}  // namespace

void AddComplianceRoutes(RouteTable& table, compliance::IthcRegister& ithc, compliance::Gate& gate,
                         compliance::Reporter& reporter, int max_json_depth) {
  const Deps d{ithc, gate, reporter, max_json_depth};
  const auto finding =
      ObjectSchema({{"title", StringSchema(200)},
                    {"severity", R"({"enum":["critical","high","medium","low","info"]})"},
                    {"detail", StringSchema(4000)}},
                   {"detail"});
  const auto check = kAnyObjectSchema;
  table.Add(WithQuery({verb::get, "/api/v1/compliance", Credentials::kSession,
                       "The compliance report: every control, its mechanism, settings, state and "
                       "status (format=json|html)",
                       "", kAnyObjectSchema, [d](Call& c) { return Report(d, c); }},
                      {"format"}));
  table.Add({verb::get, "/api/v1/compliance/gate", Credentials::kSession,
             "The go-live gate: this deployment's IT Health Check standing", "", kAnyObjectSchema,
             [d](Call& c) { return Gate(d, c); }});
  table.Add({verb::get, "/api/v1/compliance/ithc", Credentials::kSession,
             "The IT Health Check register", "",
             ObjectSchema({{"items", ArraySchema(check, 100000)}}),
             [d](Call& c) { return List(d, c); }});
  table.Add({verb::post, "/api/v1/compliance/ithc", Credentials::kSession,
             "Record an IT Health Check of this deployment (its fingerprint digest), with its "
             "findings (open)",
             ObjectSchema({{"fingerprint", StringSchema(64)},
                           {"performed_on", StringSchema(10, "date")},
                           {"organisation", StringSchema(200)},
                           {"tester", StringSchema(200)},
                           {"scope", StringSchema(2000)},
                           {"report_sha256", StringSchema(64)},
                           {"findings", ArraySchema(finding, 1000)}},
                          {"findings"}),
             check, [d](Call& c) { return Record(d, c); }});
  table.Add({verb::get, "/api/v1/compliance/ithc/{id}", Credentials::kSession,
             "One IT Health Check and its findings", "", check,
             [d](Call& c) { return Get(d, c); }});
  table.Add({verb::post, "/api/v1/compliance/ithc/{id}/findings", Credentials::kSession,
             "Add a finding to an IT Health Check that is not signed off", finding,
             ObjectSchema({{"id", StringSchema(64)}, {"state", StringSchema(16)}}),
             [d](Call& c) { return AddFinding(d, c); }});
  table.Add({verb::post, "/api/v1/compliance/ithc/{id}/findings/{finding}/mitigate",
             Credentials::kSession, "Record a finding's mitigation, with its evidence",
             ObjectSchema({{"evidence", StringSchema(4000)}}), "",
             [d](Call& c) { return Resolve(d, c, compliance::Resolution::kMitigate); }});
  table.Add({verb::post, "/api/v1/compliance/ithc/{id}/findings/{finding}/accept",
             Credentials::kSession,
             "Accept a finding's risk, with the reason (a fresh second factor)",
             ObjectSchema({{"reason", StringSchema(4000)}}), "",
             [d](Call& c) { return Resolve(d, c, compliance::Resolution::kAccept); }});
  table.Add({verb::post, "/api/v1/compliance/ithc/{id}/sign-off", Credentials::kSession,
             "Sign off an IT Health Check as passed (a second security officer, a fresh second "
             "factor, no blocking finding open)",
             kNoBody, check, [d](Call& c) { return SignOff(d, c); }});
}

}  // namespace strongroom::api
