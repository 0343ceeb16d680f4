#include "app/test_routes.h"

#include <unistd.h>

#include "http/json.h"
#include "store/meta.h"

namespace strongroom::app {

#ifdef STRONGROOM_TESTING
namespace {

audit::Event TestEvent(const http::Request& request, std::string action) {
  audit::Event e;
  e.actor = {"", "test-client", "anonymous", ""};
  e.source = request.remote_address;
  e.action = std::move(action);
  e.target = {"test", "test_value", ""};
  e.allowed = true;
  e.reason = "test route";
  e.request_id = request.request_id;
  return e;
}

Result<std::string> StringField(const boost::json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) {
    return Fail(ErrorCode::kInvalidArgument, std::string(name) + " must be a string");
  }
  return std::string(v->as_string());
}

// {"fail": true|false}: makes every audit append fail, as a broken disk would.
Result<http::Response> AuditFailure(audit::AuditLog& audit, int depth, http::Request& request) {
  ASSIGN_OR_RETURN(auto object, http::ParseJsonObject(request, depth));
  const auto* fail = object.if_contains("fail");
  if (fail == nullptr || !fail->is_bool()) {
    return Fail(ErrorCode::kInvalidArgument, "fail must be true or false");
  }
  audit.InjectFailureForTest(fail->as_bool());
  return http::Response::NoContent();
}

// {"value": "..."}: a data change and its audit event (the value is also an event detail, so
// tests can send hostile text through the audit log).
Result<http::Response> AuditedWrite(audit::AuditLog& audit, int depth, http::Request& request) {
  ASSIGN_OR_RETURN(auto object, http::ParseJsonObject(request, depth));
  ASSIGN_OR_RETURN(auto value, StringField(object, "value"));
  auto event = TestEvent(request, "test.write");
  event.detail["value"] = value;
  ASSIGN_OR_RETURN(auto ok, audit.Change<bool>(event, [&](store::Transaction& tx) -> Result<bool> {
    RETURN_IF_ERROR(store::SetMeta(tx, "test_value", value));
    return true;
  }));
  (void)ok;
  return http::Response::NoContent();
}

Result<http::Response> AuditedRead(audit::AuditLog& audit, http::Request& request) {
  ASSIGN_OR_RETURN(auto value, audit.Observe<std::string>(
                                   TestEvent(request, "test.read"),
                                   [](store::Transaction& tx) -> Result<std::string> {
                                     ASSIGN_OR_RETURN(auto v, store::GetMeta(tx, "test_value"));
                                     return v.value_or("");
                                   }));
  boost::json::object body{{"value", value}};
  return http::Response::Json(200, boost::json::serialize(body));
}

// {"advance_ms": N}: moves the instance's clock forward (never back).
Result<http::Response> AdvanceClock(OffsetClock& clock, int depth, http::Request& request) {
  ASSIGN_OR_RETURN(auto object, http::ParseJsonObject(request, depth));
  const auto* ms = object.if_contains("advance_ms");
  if (ms == nullptr || !ms->is_int64() || ms->as_int64() <= 0) {
    return Fail(ErrorCode::kInvalidArgument, "advance_ms must be a positive integer");
  }
  clock.Advance(std::chrono::milliseconds(ms->as_int64()));
  return http::Response::NoContent();
}

// Makes a call the system-call filter forbids in every build: setuid, to the user it runs as
// already (harmless if it runs). With the filter the process is killed; without it the call
// returns 0, and the answer says so.
Result<http::Response> ForbiddenCall(http::Request&) {
  boost::json::object body{{"result", ::setuid(::geteuid())}};
  return http::Response::Json(200, boost::json::serialize(body));
}

}  // namespace
#endif

void RegisterTestRoutes([[maybe_unused]] http::Router& router,
                        [[maybe_unused]] const Config& config,
                        [[maybe_unused]] audit::AuditLog& audit,
                        [[maybe_unused]] OffsetClock* clock) {
#ifdef STRONGROOM_TESTING
  if (config.environment == Environment::kProduction) return;
  const int depth = config.server.max_json_depth;
  using http::beast_http::verb;
  // Parses the body as a strict JSON object and returns it re-serialised.
  router.Add(Surface::kAll, verb::post, "/__test/echo-json",
             [depth](http::Request& request) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto object, http::ParseJsonObject(request, depth));
               return http::Response::Json(200, boost::json::serialize(object));
             });
  router.Add(Surface::kAll, verb::post, "/__test/audit-failure",
             [depth, &audit](http::Request& r) { return AuditFailure(audit, depth, r); });
  router.Add(Surface::kAll, verb::post, "/__test/audited-write",
             [depth, &audit](http::Request& r) { return AuditedWrite(audit, depth, r); });
  router.Add(Surface::kAll, verb::get, "/__test/audited-read",
             [&audit](http::Request& r) { return AuditedRead(audit, r); });
  router.Add(Surface::kAll, verb::post, "/__test/forbidden-call", ForbiddenCall);
  if (clock != nullptr) {
    router.Add(Surface::kAll, verb::post, "/__test/clock",
               [depth, clock](http::Request& r) { return AdvanceClock(*clock, depth, r); });
  }
#endif
}

void RegisterTestJobs([[maybe_unused]] http::Router& router, [[maybe_unused]] const Config& config,
                      [[maybe_unused]] std::map<std::string, JobFn> jobs) {
#ifdef STRONGROOM_TESTING
  if (config.environment == Environment::kProduction) return;
  router.Add(Surface::kAll, http::beast_http::verb::post, "/__test/jobs/{name}",
             [jobs = std::move(jobs)](http::Request& request) -> Result<http::Response> {
               auto job = jobs.find(request.params.at("name"));
               if (job == jobs.end()) return Fail(ErrorCode::kNotFound, "no such job");
               ASSIGN_OR_RETURN(auto run, job->second());
               boost::json::object out{{"count", run.count}};
               if (!run.elsewhere.empty()) out["elsewhere"] = run.elsewhere;
               return http::Response::Json(200, boost::json::serialize(out));
             });
#endif
}

}  // namespace strongroom::app
