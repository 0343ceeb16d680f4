#include "defense/prefilter.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "defense/crs.h"
#include "fakes/temp_dir.h"

namespace strongroom::defense {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Lines(const fs::path& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    if (!line.empty() && line.front() != '#') out.push_back(line);
  }
  return out;
}

// Every `stride`-th of `v` (the corpus stays a few thousand requests).
std::vector<std::string> Every(const std::vector<std::string>& v, size_t stride) {
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); i += stride) out.push_back(v[i]);
  return out;
}

std::string UrlEncoded(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// What a header can carry: no control characters.
std::string HeaderSafe(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
  return out;
}

// sqlmap's own payloads (its XML files), placeholders ([RANDNUM], [DELIMITER_START], ...) filled
// with a number, as sqlmap fills them with random ones.
std::vector<std::string> SqlmapPayloads() {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator("/usr/share/sqlmap/data/xml/payloads")) {
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (auto at = text.find("<payload>"); at != std::string::npos;
         at = text.find("<payload>", at + 1)) {
      const auto end = text.find("</payload>", at);
      if (end == std::string::npos) break;
      std::string p;
      for (size_t i = at + 9; i < end; ++i) {
        const auto close = text.find(']', i);
        if (text[i] == '[' && close < end &&
            std::all_of(text.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                        text.begin() + static_cast<std::ptrdiff_t>(close), [](char c) {
                          return std::isupper(static_cast<unsigned char>(c)) || c == '_';
                        })) {
          p += "4821";
          i = close;
        } else {
          p += text[i];
        }
      }
      for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
               {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}}) {
        for (auto f = p.find(from); f != std::string::npos; f = p.find(from, f + 1))
          p.replace(f, from.size(), to);
      }
      out.push_back("1' " + p + "-- -");
      out.push_back("1 " + p);
    }
  }
  return out;
}

// wapiti's payload files (command execution, blind SQL, XSS, file handling, XXE).
std::vector<std::string> WapitiPayloads() {
  const fs::path dir = "/usr/lib/python3/dist-packages/wapitiCore/data/attacks";
  std::vector<std::string> out;
  for (const auto* file : {"execPayloads.txt", "blindSQLPayloads.txt"}) {
    for (auto& l : Lines(dir / file)) out.push_back(l);
  }
  for (const auto* file : {"xssPayloads.ini", "fileHandlingPayloads.ini", "xxePayloads.ini"}) {
    for (auto& l : Lines(dir / file)) {
      const auto at = l.find("payload = ");
      if (at != std::string::npos) out.push_back(l.substr(at + 10));
    }
  }
  for (auto& p : out) {
    for (auto at = p.find("[VALUE]"); at != std::string::npos; at = p.find("[VALUE]"))
      p.replace(at, 7, "1");
  }
  return out;
}

// The phrases of the CRS's own data files: the attack classes its rule files name (LFI, RCE,
// PHP, Java, Node.js, scanners, restricted files).
std::vector<std::string> CrsPhrases() {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator("/usr/share/modsecurity-crs/rules")) {
    if (entry.path().extension() != ".data") continue;
    for (auto& l : Every(Lines(entry.path()), 7)) out.push_back(l);
  }
  return out;
}

struct Sample {
  std::string what;
  http::Request request;
};

http::Request Get(std::string target) {
  http::Request r;
  r.remote_address = "192.0.2.7";
  r.request_id = "0123456789abcdef";
  r.message.method(http::beast_http::verb::get);
  r.message.target(target);
  r.path = target.substr(0, target.find('?'));
  r.message.set("Host", "records.example.org");
  r.message.set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101");
  r.message.set("Accept", "application/json");
  r.message.set("Cookie", "__Host-strongroom-session=");
  return r;
}

// Each payload where a client puts what it controls: a query value, a parameter's name, a path
// segment, a cookie, the User-Agent, the Referer (in turn, and always the query value).
std::vector<Sample> Placed(const std::vector<std::string>& payloads, std::string_view source) {
  std::vector<Sample> out;
  for (size_t i = 0; i < payloads.size(); ++i) {
    const auto& p = payloads[i];
    out.push_back({fmt::format("{} #{} in a query value", source, i),
                   Get("/api/v1/records?q=" + UrlEncoded(p))});
    auto r = Get("/api/v1/records");
    std::string where;
    switch (i % 5) {
      case 0:
        r = Get("/api/v1/records?" + UrlEncoded(p) + "=1");
        where = "a parameter's name";
        break;
      case 1:
        r = Get("/api/v1/records/" + UrlEncoded(p));
        where = "the path";
        break;
      case 2:
        r.message.set("Cookie", "pref=" + HeaderSafe(p));
        where = "a cookie";
        break;
      case 3:
        r.message.set("User-Agent", HeaderSafe(p));
        where = "the User-Agent";
        break;
      case 4:
        r.message.set("Referer", HeaderSafe(p));
        where = "the Referer";
        break;
    }
    out.push_back({fmt::format("{} #{} in {}", source, i, where), std::move(r)});
  }
  return out;
}

class PrefilterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = Crs::Load({});
    ASSERT_TRUE(loaded) << loaded.error().message;
    crs_ = loaded->release();
    ASSERT_TRUE(crs_->prefiltered()) << crs_->prefilter_error();
  }
  static void TearDownTestSuite() {
    delete crs_;
    crs_ = nullptr;
  }

  static std::vector<int> Ids(const Finding& f) {
    std::vector<int> ids;
    for (const auto& m : f.matches) ids.push_back(m.rule_id);
    return ids;
  }

  static Crs* crs_;
};
Crs* PrefilterTest::crs_ = nullptr;

TEST_F(PrefilterTest, EveryRuleThatCanFireIsScreenedOneWayOrAnother) {
  const auto& c = crs_->prefilter()->coverage();
  EXPECT_GE(c.live, 100u) << "CRS 3.3.4 at paranoia level 1 has ~120 request rules that report";
  EXPECT_EQ(c.patterns + c.exact + c.derived, c.live);
  EXPECT_GE(c.patterns, 80u);
  EXPECT_GE(c.derived, 1u) << "the anomaly score's evaluation (949110)";
  EXPECT_GT(c.databases, 0u);
}

TEST_F(PrefilterTest, ThisServicesOrdinaryRequestsPassWithoutInspection) {
  for (const auto& target :
       {"/healthz", "/readyz", "/api/v1/records/0b7c3d2e-1f5a-4c4e-9d1a-2b3c4d5e6f70",
        "/api/v1/records?limit=50&cursor=MTcwMDAwMDAwMA", "/api/v1/me",
        "/api/v1/audit/events?actor=alice.admin&action=record.view&limit=100",
        "/api/v1/security/events?since=2026-12-01T00:00:00Z"}) {
    auto r = Get(target);
    EXPECT_FALSE(crs_->MayMatch(r))
        << target << ": rules "
        << fmt::format("{}", fmt::join(crs_->prefilter()->Candidates("GET", ViewOf(r)), ","));
    EXPECT_TRUE(crs_->Evaluate(r).clean()) << target;
  }
  // A bare client (wrk sends nothing but Host) with a session cookie.
  http::Request bare;
  bare.remote_address = "192.0.2.7";
  bare.message.method(http::beast_http::verb::get);
  bare.message.target("/api/v1/records/0b7c3d2e-1f5a-4c4e-9d1a-2b3c4d5e6f70");
  bare.message.set("Host", "127.0.0.1:8443");
  bare.message.set("Cookie", "__Host-strongroom-session=" + std::string(43, 'A'));
  EXPECT_FALSE(crs_->MayMatch(bare))
      << fmt::format("{}", fmt::join(crs_->prefilter()->Candidates("GET", ViewOf(bare)), ","));
  // A request with a body is always inspected.
  auto post = Get("/api/v1/records");
  post.message.method(http::beast_http::verb::post);
  post.message.set("Content-Type", "application/json");
  post.message.body() = R"({"title":"a note"})";
  EXPECT_TRUE(crs_->MayMatch(post));
}

// The proof the issue asks for: with the prefilter and without it, every request of a corpus
// built from real tools' payloads and the CRS's own attack classes gets the same rule ids.
TEST_F(PrefilterTest, RealToolsAndTheCrsAttackClassesGetTheSameRulesWithAndWithoutIt) {
  std::vector<Sample> corpus;
  for (auto& s : Placed(SqlmapPayloads(), "sqlmap")) corpus.push_back(std::move(s));
  for (auto& s : Placed(WapitiPayloads(), "wapiti")) corpus.push_back(std::move(s));
  for (auto& s : Placed(CrsPhrases(), "CRS data")) corpus.push_back(std::move(s));
  // ffuf and dirb: Debian's dirb wordlists, as paths and as words.
  for (const auto& word : Every(Lines("/usr/share/dirb/wordlists/common.txt"), 9)) {
    corpus.push_back({"dirb common " + word, Get("/" + UrlEncoded(word))});
  }
  for (const auto& entry : fs::directory_iterator("/usr/share/dirb/wordlists/vulns")) {
    for (const auto& path : Every(Lines(entry.path()), 11)) {
      const auto target = path.starts_with("/") ? path : "/" + path;
      if (target.find_first_of(" \t") != std::string::npos) continue;
      corpus.push_back({"dirb " + entry.path().filename().string() + " " + path, Get(target)});
    }
  }
  // Names the rules turn into TX variables' names (920450 sets tx.header_name_<header name>,
  // which 922110 reads as multipart_headers_content_types_*).
  auto named_header = Get("/healthz");
  named_header.message.set("X-Multipart_Headers_Content_Types", "a");
  corpus.push_back({"a header named like a TX variable", std::move(named_header)});
  corpus.push_back({"a parameter named like a TX variable",
                    Get("/healthz?multipart_headers_content_types_x=http://example.org/x")});
  size_t attacks = 0, screened = 0, failures = 0;
  for (const auto& [what, request] : corpus) {
    const auto off = Ids(crs_->Evaluate(request));
    const bool may = crs_->MayMatch(request);
    const auto on = may ? off : std::vector<int>{};
    if (!off.empty()) ++attacks;
    if (!may) ++screened;
    if (on != off && ++failures <= 20) {
      ADD_FAILURE() << what << ": rules " << fmt::format("{}", fmt::join(off, ","))
                    << " match, and the prefilter let it through";
    }
  }
  EXPECT_EQ(failures, 0u);
  // It looked: thousands of requests, most of them attacks, and the clean ones screened.
  EXPECT_GE(corpus.size(), 3000u);
  EXPECT_GE(attacks, corpus.size() / 3) << "an attack corpus that the rules mostly flag";
  EXPECT_GE(screened, 100u) << "the prefilter let the clean part through";
  fmt::print("prefilter corpus: {} requests, {} flagged by the rules, {} let through unexamined\n",
             corpus.size(), attacks, screened);
}

// What a value matched is remembered, by the value and where it was: the same value elsewhere is
// judged again, and asking twice gives the same answer.
TEST_F(PrefilterTest, ARememberedValueIsJudgedByWhereItIs) {
  const std::string payload = ";cat /etc/passwd";
  auto in_header = Get("/healthz");
  in_header.message.set("X-Note", payload);
  auto in_query = Get("/healthz?note=" + UrlEncoded(payload));
  for (int round = 0; round < 2; ++round) {
    for (const auto* r : {&in_header, &in_query}) {
      const bool flagged = !crs_->Evaluate(*r).clean();
      if (flagged) {
        EXPECT_TRUE(crs_->MayMatch(*r)) << r->message.target() << " round " << round;
      }
    }
  }
  EXPECT_FALSE(crs_->Evaluate(in_query).clean()) << "the rules read the query";
  EXPECT_EQ(crs_->prefilter()->Candidates("GET", ViewOf(in_header)),
            crs_->prefilter()->Candidates("GET", ViewOf(in_header)));
}

TEST(PrefilterCacheTest, TheCacheIsUsedOnlyForTheSamePatternsAndSurvivesDamage) {
  testing::TempDir dir;
  const auto cache = dir.path() / "prefilter.cache";
  const auto configuration = CrsConfiguration({});
  std::vector<http::Request> requests = {Get("/healthz"), Get("/x?id=1%27%20or%201=1--"),
                                         Get("/etc/passwd"), Get("/?q=<script>alert(1)</script>")};
  const auto answers = [&](const Prefilter& p) {
    std::vector<std::vector<int>> out;
    for (const auto& r : requests) out.push_back(p.Candidates("GET", ViewOf(r)));
    return out;
  };
  auto first = Prefilter::Build(configuration, cache);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE((*first)->coverage().cached);
  ASSERT_TRUE(fs::exists(cache));
  EXPECT_EQ(fs::status(cache).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto second = Prefilter::Build(configuration, cache);
  ASSERT_TRUE(second);
  EXPECT_TRUE((*second)->coverage().cached);
  EXPECT_EQ(answers(**first), answers(**second));
  EXPECT_FALSE(answers(**first)[1].empty());
  // Other patterns (paranoia level 2): not this cache; compiled, and the cache replaced.
  auto other = Prefilter::Build(CrsConfiguration({.paranoia_level = 2}), cache);
  if (other) {
    EXPECT_FALSE((*other)->coverage().cached);
  }
  // Damaged: compiled again.
  {
    std::fstream f(cache, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(cache) / 2));
    f.write("garbage!", 8);
  }
  fs::resize_file(cache, fs::file_size(cache) - 100);
  auto third = Prefilter::Build(configuration, cache);
  ASSERT_TRUE(third);
  EXPECT_FALSE((*third)->coverage().cached);
  EXPECT_EQ(answers(**first), answers(**third));
}

TEST(PrefilterBuildTest, ARuleItCannotScreenTurnsItOffAndIsNamed) {
  // An operator on what the request says that it neither gates nor evaluates (@ipMatch on the
  // client's address): the prefilter would be unsound, so there is none.
  auto configuration = CrsConfiguration({});
  configuration +=
      "SecRule REMOTE_ADDR \"@ipMatch 198.51.100.0/24\" \"id:1999,phase:1,pass,log\"\n";
  auto built = Prefilter::Build(configuration);
  ASSERT_FALSE(built);
  EXPECT_NE(built.error().message.find("1999"), std::string::npos) << built.error().message;
  // The same rule with nolog reports nothing a finding holds: screened by leaving it out.
  configuration.replace(configuration.find("pass,log"), 8, "pass,nolog");
  EXPECT_TRUE(Prefilter::Build(configuration));
}

}  // namespace
}  // namespace strongroom::defense
