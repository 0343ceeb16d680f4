// The HTTP layer of the real server under hostile and oversized input: every bad request gets a
// clear 4xx (or is cut off), every response carries the security headers, and the server goes on
// serving everyone else.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "integration/instance.h"
#include "integration/tls_client.h"

namespace strongroom::testing {
namespace {

constexpr const char* kHostHeader = "Host: localhost\r\n";

void ExpectSecurityHeaders(const HttpResponse& r) {
  EXPECT_EQ(r.headers.at("strict-transport-security"), "max-age=31536000; includeSubDomains");
  EXPECT_NE(r.headers.at("content-security-policy").find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(r.headers.at("x-content-type-options"), "nosniff");
  EXPECT_EQ(r.headers.at("referrer-policy"), "no-referrer");
  EXPECT_EQ(r.headers.at("cache-control"), "no-store");
  EXPECT_EQ(r.headers.at("x-request-id").size(), 16u);
  EXPECT_EQ(r.headers.count("server"), 0u);
}

class HttpLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    instance_.SetServer({{"header_timeout_ms", "1000"},
                         {"keepalive_timeout_ms", "1000"},
                         {"body_timeout_ms", "2000"},
                         {"redirect_listen", "\"127.0.0.1:0\""}});
    ASSERT_TRUE(instance_.Start()) << instance_.StartupError();
  }

  uint16_t port() const { return instance_.port(); }

  // The server still answers a fresh, well-formed request.
  void ExpectStillServing() {
    auto r = HttpsGet(port(), "/healthz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"status":"ok"})");
  }

  HttpResponse Raw(const std::string& request) {
    auto c = TlsClient::Connect(port());
    if (!c) return {};
    return c->Request(request);
  }

  Instance instance_;
};

TEST_F(HttpLimitsTest, HealthAndReadinessAnswerWithSecurityHeaders) {
  auto h = HttpsGet(port(), "/healthz");
  ASSERT_EQ(h.status, 200);
  EXPECT_EQ(h.headers.at("content-type"), "application/json; charset=utf-8");
  ExpectSecurityHeaders(h);
  auto r = HttpsGet(port(), "/readyz");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ready"})");
  ExpectSecurityHeaders(r);
}

TEST_F(HttpLimitsTest, UnknownPathIsA404JsonError) {
  auto r = HttpsGet(port(), "/api/v1/nothing-here?secret=1");
  ASSERT_EQ(r.status, 404);
  ExpectSecurityHeaders(r);
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("error").at("code").as_string(), "not_found");
  EXPECT_EQ(body.at("request_id").as_string(), r.headers.at("x-request-id"));
  EXPECT_EQ(r.body.find("nothing-here"), std::string::npos) << "input echoed";
}

TEST_F(HttpLimitsTest, RequestIdsAreDistinctHexAcrossManyRequests) {
  // Ids come from a per-thread pool of 64; 300 requests on one connection span several refills.
  auto c = TlsClient::Connect(port());
  ASSERT_NE(c, nullptr);
  std::set<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    auto r = c->Request(std::string("GET /healthz HTTP/1.1\r\n") + kHostHeader + "\r\n");
    ASSERT_EQ(r.status, 200) << i;
    const auto& id = r.headers.at("x-request-id");
    ASSERT_EQ(id.size(), 16u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 300u);
}

TEST_F(HttpLimitsTest, WrongMethodIs405) {
  auto r = Raw(std::string("DELETE /healthz HTTP/1.1\r\n") + kHostHeader + "\r\n");
  EXPECT_EQ(r.status, 405);
  ExpectSecurityHeaders(r);
}

TEST_F(HttpLimitsTest, OversizeHeaderIs431) {
  auto r = Raw(std::string("GET /healthz HTTP/1.1\r\n") + kHostHeader +
               "X-Big: " + std::string(17 * 1024, 'a') + "\r\n\r\n");
  EXPECT_EQ(r.status, 431);
  ExpectSecurityHeaders(r);
  ExpectStillServing();
}

TEST_F(HttpLimitsTest, OversizeBodyIs413WhetherDeclaredOrChunked) {
  auto declared = Raw(std::string("POST /__test/echo-json HTTP/1.1\r\n") + kHostHeader +
                      "Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n{");
  EXPECT_EQ(declared.status, 413);
  ExpectSecurityHeaders(declared);

  auto c = TlsClient::Connect(port());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->Send(std::string("POST /__test/echo-json HTTP/1.1\r\n") + kHostHeader +
                      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk(64 * 1024, ' ');
  HttpResponse chunked;
  for (int i = 0; i < 20 && chunked.status == 0; ++i) {
    if (!c->Send("10000\r\n" + chunk + "\r\n")) break;
  }
  chunked = c->ReadResponse();
  EXPECT_EQ(chunked.status, 413);
  ExpectStillServing();
}

struct Malformed {
  const char* name;
  std::string request;
  friend void PrintTo(const Malformed& v, std::ostream* os) { *os << v.name; }
};

// Malformed requests are also inspected, and most of them look like the protocol attacks they are.
class MalformedRequestTest : public HttpLimitsTest,
                             public ::testing::WithParamInterface<Malformed> {
 protected:
  void SetUp() override {
    instance_.ExpectAttacks();
    HttpLimitsTest::SetUp();
  }
};

TEST_P(MalformedRequestTest, Is400AndTheServerGoesOn) {
  auto r = Raw(GetParam().request);
  EXPECT_EQ(r.status, 400) << r.raw.substr(0, 200);
  if (r.status != 0) ExpectSecurityHeaders(r);
  ExpectStillServing();
}

const std::string kPost = "POST /__test/echo-json HTTP/1.1\r\nHost: x\r\n";

INSTANTIATE_TEST_SUITE_P(
    Requests, MalformedRequestTest,
    ::testing::Values(
        Malformed{"BadRequestLine", "GET\r\n\r\n"},
        Malformed{"BadVersion", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"},
        Malformed{"SpaceInTarget", "GET /hea lthz HTTP/1.1\r\nHost: x\r\n\r\n"},
        Malformed{"AbsoluteFormTarget",
                  "GET https://evil.example/healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
        Malformed{"AsteriskTarget", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"},
        Malformed{"DuplicateContentLength",
                  kPost + "Content-Type: application/json\r\nContent-Length: 2\r\n"
                          "Content-Length: 3\r\n\r\n{}x"},
        Malformed{"ContentLengthAndChunked",
                  kPost + "Content-Type: application/json\r\nContent-Length: 2\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"},
        Malformed{"BadChunkSize",
                  kPost + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "zz\r\n{}\r\n0\r\n\r\n"},
        Malformed{"NegativeContentLength",
                  kPost + "Content-Type: application/json\r\nContent-Length: -1\r\n\r\n"},
        Malformed{"ControlCharacterInHeader",
                  "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n"},
        Malformed{"BareLineFeeds", "GET /healthz HTTP/1.1\nHost: x\n\n"},
        Malformed{
            "InvalidUtf8Json",
            kPost +
                "Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"a\":\"\xff\xfe\"}"},
        Malformed{"JsonNested10000Deep",
                  kPost + "Content-Type: application/json\r\nContent-Length: 20000\r\n\r\n" +
                      std::string(10000, '[') + std::string(10000, ']')},
        Malformed{
            "HugeNumber",
            kPost + "Content-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"a\":1e999999}"},
        Malformed{"NotJson",
                  kPost + "Content-Type: application/json\r\nContent-Length: 5\r\n\r\nhello"},
        Malformed{"WrongContentType",
                  kPost + "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST_F(HttpLimitsTest, WellFormedJsonIsAccepted) {
  const std::string body = R"({"title":"O'Brien said a < b","n":[1,2,3]})";
  auto r = Raw(kPost + "Content-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(boost::json::parse(r.body), boost::json::parse(body));
}

TEST_F(HttpLimitsTest, SlowHeaderClientIsCutOffWhileOthersAreServed) {
  auto slow = TlsClient::Connect(port());
  ASSERT_NE(slow, nullptr);
  ASSERT_TRUE(slow->Send("GET /healthz HTTP/1.1\r\n"));
  const auto start = std::chrono::steady_clock::now();
  bool cut_off = false;
  // One header line every 100 ms: never finishing, always "active".
  for (int i = 0; i < 100 && !cut_off; ++i) {
    ExpectStillServing();
    if (!slow->Send("X-Drip-" + std::to_string(i) + ": 1\r\n")) cut_off = true;
    std::string got;
    if (slow->WaitClosed(std::chrono::milliseconds(100), &got)) {
      cut_off = true;
      EXPECT_EQ(got.find("200 OK"), std::string::npos);
    }
  }
  EXPECT_TRUE(cut_off);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(8)) << "header timeout is 1 s";
}

TEST_F(HttpLimitsTest, IdleKeepAliveConnectionIsClosed) {
  auto c = TlsClient::Connect(port());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  EXPECT_EQ(c->Request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);  // kept alive
  EXPECT_TRUE(c->WaitClosed(std::chrono::seconds(10)));
}

TEST_F(HttpLimitsTest, PipelinedRequestsAreAnsweredInOrder) {
  auto c = TlsClient::Connect(port());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      c->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c->ReadResponse().status, 200);
  EXPECT_EQ(c->ReadResponse().status, 404);
}

// The bytes a client sends after a request it framed ambiguously (RFC 9112 §6.1, §6.3) must never
// be read as a second request: one answer, then the connection closes. Each case carries a body
// that is itself a complete request, as a smuggling attempt would.
struct Framed {
  const char* name;
  std::string fields;
  std::string body;
  int status;  // 0: well framed, both requests answered
};

std::vector<int> StatusesUntilClosed(TlsClient& c, bool* closed) {
  std::string received;
  *closed = c.WaitClosed(std::chrono::seconds(5), &received);
  std::vector<int> out;
  // Each answer starts with a status line (the JSON bodies here never hold one).
  for (size_t at = received.find("HTTP/1.1 "); at != std::string::npos;
       at = received.find("HTTP/1.1 ", at + 1)) {
    out.push_back(std::stoi(received.substr(at + 9, 3)));
  }
  return out;
}

TEST_F(HttpLimitsTest, AmbiguousTransferEncodingIsAnsweredOnceAndTheConnectionClosed) {
  // Request smuggling is an attack: each is reported. This test is about framing, so its one
  // address is not blocked after the first few.
  instance_.ExpectAttacks();
  instance_.Stop();
  instance_.AddToSection("defense", "block_score = 10000\n");
  ASSERT_TRUE(instance_.Start()) << instance_.StartupError();
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string chunked_smuggle = "2\r\n{}\r\n0\r\n\r\n" + smuggled;
  const std::vector<Framed> cases = {
      {"xchunked with length", "Transfer-Encoding: xchunked\r\nContent-Length: 2\r\n",
       "{}" + smuggled, 400},
      {"chunked then identity", "Transfer-Encoding: chunked, identity\r\n", chunked_smuggle, 400},
      {"identity alone", "Transfer-Encoding: identity\r\n", smuggled, 400},
      {"unknown coding", "Transfer-Encoding: foo\r\n", smuggled, 400},
      {"gzip then chunked", "Transfer-Encoding: gzip, chunked\r\n", chunked_smuggle, 501},
      {"repeated header, chunked first",
       "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", chunked_smuggle, 400},
      {"repeated header, chunked last",
       "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n", chunked_smuggle, 501},
      {"repeated chunked", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
       chunked_smuggle, 400},
      {"length then chunked", "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
       chunked_smuggle, 400},
      {"chunked then length", "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n",
       chunked_smuggle, 400},
      {"empty element", "Transfer-Encoding: ,chunked\r\n", chunked_smuggle, 400},
      {"parameter", "Transfer-Encoding: chunked;x=1\r\n", chunked_smuggle, 400},
      {"empty value", "Transfer-Encoding: \r\nContent-Length: 2\r\n", "{}" + smuggled, 400},
      {"upper case, well framed", "Transfer-Encoding: CHUNKED\r\n", chunked_smuggle, 0},
      {"tab before chunked, well framed", "Transfer-Encoding:\tchunked\r\n", chunked_smuggle, 0},
      {"length alone, well framed", "Content-Length: 2\r\n", "{}" + smuggled, 0},
  };
  for (const auto& c : cases) {
    auto client = TlsClient::Connect(port());
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(
        client->Send("POST /__test/echo-json HTTP/1.1\r\nHost: x\r\n"
                     "Content-Type: application/json\r\n" +
                     c.fields + "\r\n" + c.body));
    bool closed = false;
    const auto statuses = StatusesUntilClosed(*client, &closed);
    if (c.status == 0) {
      // The control: a well-framed body, so the request after it is a real second request.
      EXPECT_EQ(statuses, (std::vector<int>{200, 200})) << c.name;
    } else {
      EXPECT_EQ(statuses, std::vector<int>{c.status}) << c.name;
      EXPECT_TRUE(closed) << c.name;
    }
  }
  ExpectStillServing();
  // Each refusal is an audit event of an attempt, from its source.
  ASSERT_EQ(instance_.Stop(), 0);
  auto audit = RunBinary(
      {"audit", "search", "--config", instance_.config().string(), "--action", "http.refused"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  size_t ambiguous = 0, not_implemented = 0;
  std::istringstream lines(audit.out);
  for (std::string line; std::getline(lines, line);) {
    const auto e = boost::json::parse(line);
    EXPECT_EQ(e.at("source").as_string(), "127.0.0.1");
    EXPECT_EQ(e.at("decision").at("allow").as_bool(), false);
    const auto status = e.at("detail").at("status").as_string();
    if (status == "400") ++ambiguous;
    if (status == "501") ++not_implemented;
  }
  auto expected = [&](int status) {
    return static_cast<size_t>(std::count_if(cases.begin(), cases.end(),
                                             [&](const Framed& c) { return c.status == status; }));
  };
  EXPECT_EQ(ambiguous, expected(400)) << audit.out;
  EXPECT_EQ(not_implemented, expected(501));
}

TEST_F(HttpLimitsTest, ATransferEncodingOnHttp10IsRefused) {
  auto c = TlsClient::Connect(port());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      c->Send("POST /__test/echo-json HTTP/1.0\r\nHost: x\r\nContent-Type: "
              "application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
              "2\r\n{}\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  bool closed = false;
  EXPECT_EQ(StatusesUntilClosed(*c, &closed), std::vector<int>{400});
  EXPECT_TRUE(closed);
}

TEST_F(HttpLimitsTest, PlainHttpPortOnlyRedirectsToHttps) {
  ASSERT_NE(instance_.redirect_port(), 0);
  for (const std::string method : {"GET", "POST"}) {
    const int fd = TcpConnect(instance_.redirect_port());
    ASSERT_GE(fd, 0);
    const std::string req = method + " /api/v1/records?x=1 HTTP/1.1\r\nHost: evil.example\r\n" +
                            "Content-Length: 0\r\n\r\n";
    ASSERT_EQ(::write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    ::close(fd);
    auto r = ParseHttpResponse(got);
    EXPECT_EQ(r.status, 308) << got;
    EXPECT_EQ(r.headers["location"],
              "https://127.0.0.1:" + std::to_string(port()) + "/api/v1/records?x=1");
    EXPECT_EQ(r.headers["content-length"], "0");
    EXPECT_TRUE(r.body.empty());
  }
}

TEST(ConnectionCapTest, PerSourceCapRefusesExtraConnectionsOnly) {
  Instance inst;
  inst.SetServer({{"max_connections_per_source", "3"}});
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  std::vector<std::unique_ptr<TlsClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(TlsClient::Connect(inst.port()));
    ASSERT_NE(held.back(), nullptr);
  }
  EXPECT_EQ(TlsClient::Connect(inst.port()), nullptr);
  EXPECT_EQ(held[0]->Request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  held.pop_back();
  // The freed slot is released asynchronously; the next connection gets it once it is.
  std::unique_ptr<TlsClient> again;
  for (int i = 0; i < 200 && !again; ++i) again = TlsClient::Connect(inst.port());
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->Request("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
}

// A source over its request allowance gets 429 with Retry-After on the same connection; another
// address goes on being served; and the run of refusals is one audit event, not one each.
TEST(RequestRateTest, ASourceOverItsRateGets429AndOthersAreServed) {
  Instance inst;
  inst.SetServer({{"requests_per_second_per_source", "1"}, {"request_burst_per_source", "5"}});
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  auto client = TlsClient::Connect(inst.port());
  ASSERT_NE(client, nullptr);
  const std::string get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  std::vector<int> statuses;
  HttpResponse refused;
  for (int i = 0; i < 9; ++i) {
    auto r = client->Request(get);
    statuses.push_back(r.status);
    if (r.status == 429) refused = r;
  }
  // The burst passes (a token may refill meanwhile, at one a second); then refusals.
  EXPECT_GE(std::count(statuses.begin(), statuses.end(), 200), 5);
  EXPECT_LE(std::count(statuses.begin(), statuses.end(), 200), 6);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 429) +
                std::count(statuses.begin(), statuses.end(), 200),
            9)
      << "every request answered on the one connection";
  ASSERT_EQ(refused.status, 429);
  EXPECT_GE(std::stoi(refused.headers["retry-after"]), 1);
  TlsOptions other;
  other.source_address = "127.0.0.2";
  auto elsewhere = TlsClient::Connect(inst.port(), other);
  ASSERT_NE(elsewhere, nullptr);
  EXPECT_EQ(elsewhere->Request(get).status, 200) << "another address is not limited";

  ASSERT_EQ(inst.Stop(), 0);
  auto audit = RunBinary(
      {"audit", "search", "--config", inst.config().string(), "--action", "http.refused"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  int runs = 0;
  std::istringstream lines(audit.out);
  for (std::string line; std::getline(lines, line);) {
    const auto e = boost::json::parse(line);
    EXPECT_EQ(e.at("detail").at("status").as_string(), "429");
    EXPECT_EQ(e.at("source").as_string(), "127.0.0.1");
    ++runs;
  }
  EXPECT_EQ(runs, 1) << "one run of refusals, one event: " << audit.out;
}

}  // namespace
}  // namespace strongroom::testing
