// The API contract is the route tables: the running service publishes them as OpenAPI 3.1, every
// route declares its credentials, summary and schemas, and docs/api.md is rendered from them (a
// test fails when they differ, so the reference cannot drift from the code).

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "integration/instance.h"
#include "integration/org_fixture.h"
#include "integration/tls_client.h"

namespace strongroom::testing {
namespace {

boost::json::object Document() {
  static const boost::json::object doc = [] {
    Instance inst;
    EXPECT_TRUE(inst.Start()) << inst.StartupError();
    auto r = HttpsGet(inst.port(), "/api/v1/openapi.json");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["cache-control"], "no-store");
    return boost::json::parse(r.body).as_object();
  }();
  return doc;
}

TEST(ApiContractTest, EveryRouteDeclaresItsCallerSummaryAndSchemas) {
  const auto doc = Document();
  EXPECT_EQ(doc.at("openapi").as_string(), "3.1.0");
  size_t operations = 0;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    EXPECT_FALSE(path.starts_with("/__test")) << "test routes are not the contract";
    for (const auto& [method, op] : item.as_object()) {
      const std::string where = std::string(method) + " " + std::string(path);
      EXPECT_FALSE(op.at("summary").as_string().empty()) << where;
      EXPECT_TRUE(op.as_object().contains("x-strongroom-credentials")) << where;
      EXPECT_TRUE(op.as_object().contains("responses")) << where;
      if (method == "post" || method == "put" || method == "patch") {
        EXPECT_TRUE(op.as_object().contains("requestBody") ||
                    op.as_object().contains("x-strongroom-body"))
            << where << " declares no request schema";
      }
      if (op.at("x-strongroom-credentials").as_string() != "none") {
        EXPECT_TRUE(op.as_object().contains("security")) << where;
      }
      ++operations;
    }
  }
  EXPECT_GE(operations, 40u) << "the whole API, not a part of it";
  // Sign-in takes no credentials; records and administration take a session; SCIM a token.
  const auto& paths = doc.at("paths");
  EXPECT_EQ(paths.at("/api/v1/auth/login").at("post").at("x-strongroom-credentials"), "none");
  EXPECT_EQ(paths.at("/api/v1/auth/reauth").at("post").at("x-strongroom-credentials"), "session");
  EXPECT_EQ(paths.at("/scim/v2/Users").at("get").at("x-strongroom-credentials"), "token");
}

// docs/api.md is this table, rendered.
std::string Rendered(const boost::json::object& doc) {
  std::ostringstream out;
  out << "# API reference\n\n"
         "Every route of the service, rendered from its route tables (`src/api/`); the service\n"
         "publishes the same as OpenAPI 3.1 at `GET /api/v1/openapi.json`, with the JSON Schema "
         "of\n"
         "each request and answer. `tests/integration/api_contract_test.cc` fails when this page "
         "and\nthe tables differ. Conventions (errors, cookies, CSRF) are in `shared/API.md`; who "
         "may\ntake each action once signed in is in `docs/authorization.md`. The listener column "
         "is\nthe surface a route is served on (`src/common/surface.h`): asked on a listener that "
         "does\nnot serve it, a route answers 404 and the attempt is audited as a probe. A route "
         "that\ntakes no body (in OpenAPI: `x-strongroom-body: none`) refuses one with 400, "
         "audited as\n`http.body`.\n\n"
         "| Method | Path | Listener | Credentials | What it does |\n"
         "|---|---|---|---|---|\n";
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      std::string m(method);
      for (auto& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      out << "| " << m << " | `" << std::string(path) << "` | "
          << std::string(op.at("x-strongroom-listener").as_string()) << " | "
          << std::string(op.at("x-strongroom-credentials").as_string()) << " | "
          << std::string(op.at("summary").as_string()) << " |\n";
    }
  }
  return out.str();
}

TEST(ApiContractTest, TheReferenceInDocsIsTheRouteTable) {
  const std::string path = std::string(STRONGROOM_SOURCE_DIR) + "/docs/api.md";
  const auto rendered = Rendered(Document());
  if (std::getenv("STRONGROOM_WRITE_DOCS") != nullptr) std::ofstream(path) << rendered;
  std::ifstream in(path);
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_EQ(doc.str(), rendered)
      << "docs/api.md differs from the route tables; STRONGROOM_WRITE_DOCS=1 rewrites it";
}

// The query parameters a route publishes are the ones its handler takes: each is accepted (its
// value may be refused, never its name), and any other name is refused.
class QueryParametersTest : public OrgFixture {};

TEST_F(QueryParametersTest, EachRoutePublishesExactlyTheQueryParametersItTakes) {
  const auto doc = Document();
  int checked = 0;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      if (!op.as_object().contains("parameters")) continue;
      const std::string credentials(op.at("x-strongroom-credentials").as_string());
      if (credentials == "token") continue;  // SCIM's: its own tests (scim_test.cc)
      const bool admin = op.at("x-strongroom-listener").as_string() == "admin";
      const auto& session = admin ? officer1_ : sessions_["ann.editor"];
      std::string query;
      for (const auto& p : op.at("parameters").as_array()) {
        EXPECT_EQ(p.at("in"), "query") << path;
        query += (query.empty() ? "" : "&") + std::string(p.at("name").as_string()) + "=";
      }
      const auto verb = method == "get" ? std::string("GET") : std::string("POST");
      const std::string where = verb + " " + std::string(path);
      // (A value may be refused; the name never. The error's message says which.)
      const auto error = [](const HttpResponse& r) -> std::string {
        const auto body = JsonOf(r);
        if (r.status != 400 || !body.contains("error")) return "";
        return std::string(body.at("error").at("message").as_string());
      };
      auto declared = api_.As(session, verb, std::string(path) + "?" + query, "");
      EXPECT_NE(error(declared), "unknown query parameter") << where;
      auto other = api_.As(session, verb, std::string(path) + "?" + query + "&ithc_unknown=1", "");
      EXPECT_EQ(error(other), "unknown query parameter") << where << ": " << other.body;
      ++checked;
    }
  }
  EXPECT_GE(checked, 8) << "records, audit and security events, orgs, joiners, users, leavers, "
                           "the compliance report";
}

}  // namespace
}  // namespace strongroom::testing
