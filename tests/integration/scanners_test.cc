// Real attack tools against the running service, in block mode: sqlmap, ffuf with Debian's dirb
// wordlist, and wapiti. Each must show that it scanned (its own report of what it sent and got),
// and the service must show that it saw the scan: security.attack events with the rule families
// the tool's payloads belong to, and a security.block of the tool's address.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <set>

#include "fakes/temp_dir.h"
#include "integration/instance.h"
#include "integration/process.h"

namespace strongroom::testing {
namespace {

class ScannersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    inst_.ExpectAttacks();
    ASSERT_TRUE(inst_.Start()) << inst_.StartupError();
    url_ = "https://127.0.0.1:" + std::to_string(inst_.port());
  }

  // The service's security events with `action`, read with the command line.
  std::vector<boost::json::object> Events(const std::string& action) {
    const auto r = RunBinary({"audit", "search", "--config", inst_.config().string(), "--action",
                              action, "--limit", "1000"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<boost::json::object> out;
    std::stringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) out.push_back(boost::json::parse(line).as_object());
    }
    return out;
  }

  // The CRS rule families (942 for REQUEST-942, ...) of every attack detected.
  std::set<int> FamiliesDetected() {
    std::set<int> families;
    for (const auto& e : Events("security.attack")) {
      std::stringstream rules(std::string(e.at("detail").at("rules").as_string()));
      for (std::string id; std::getline(rules, id, ',');) families.insert(std::stoi(id) / 1000);
    }
    return families;
  }

  void ExpectBlocked() {
    const auto blocks = Events("security.block");
    ASSERT_FALSE(blocks.empty()) << "the scanner's address was never blocked";
    EXPECT_EQ(blocks.front().at("source").as_string(), "127.0.0.1");
  }

  Instance inst_;
  std::string url_;
  TempDir out_;
};

TEST_F(ScannersTest, SqlmapIsDetectedAndBlocked) {
  const auto r = RunProgram("/usr/bin/sqlmap",
                            {"-u", url_ + "/api/v1/records?q=1", "--batch", "--level", "1",
                             "--risk", "1", "--timeout", "5", "--retries", "0", "--flush-session",
                             "--disable-coloring", "--output-dir", out_.path().string()},
                            std::chrono::seconds(300));
  // It tested the parameter, and says what it was answered: refusals, then the block.
  EXPECT_NE(r.out.find("testing 'AND boolean-based blind"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("403 (Forbidden)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("429 (Too Many Requests)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("is vulnerable"), std::string::npos) << r.out;
  const auto families = FamiliesDetected();
  EXPECT_TRUE(families.contains(942) || families.contains(913)) << "SQL injection or the scanner";
  ExpectBlocked();
}

TEST_F(ScannersTest, FfufWithTheDirbWordlistIsDetectedAndBlocked) {
  const auto report = out_.path() / "ffuf.json";
  const auto r =
      RunProgram("/usr/bin/ffuf",
                 {"-u", url_ + "/FUZZ", "-w", "/usr/share/dirb/wordlists/common.txt", "-t", "10",
                  "-timeout", "5", "-mc", "all", "-o", report.string(), "-of", "json", "-s"},
                 std::chrono::seconds(300));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // With every status matched, its report holds one result per word answered: (nearly) all of
  // the list's 4,613 words (a few requests fail in the client and are not reported).
  std::ifstream in(report);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto results = boost::json::parse(text).at("results").as_array();
  EXPECT_GE(results.size(), 4500u);
  std::map<int64_t, int> statuses;
  for (const auto& x : results) ++statuses[x.at("status").as_int64()];
  EXPECT_GE(statuses[403], 1) << "restricted files refused as attacks";
  EXPECT_GE(statuses[429], 1) << "then the address blocked";
  const auto families = FamiliesDetected();
  EXPECT_TRUE(families.contains(930) || families.contains(913))
      << "restricted files or the scanner";
  ExpectBlocked();
}

TEST_F(ScannersTest, WapitiIsDetectedAndBlocked) {
  const auto report = out_.path() / "wapiti.json";
  const auto r = RunProgram("/usr/bin/wapiti",
                            {"-u", url_ + "/api/v1/records?q=x", "--scope", "page", "-m",
                             "exec,file,sql,xss", "-f", "json", "-o", report.string(),
                             "--flush-session", "--max-scan-time", "120", "--verify-ssl", "0"},
                            std::chrono::seconds(300));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Launching module exec"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Launching module sql"), std::string::npos) << r.out;
  std::ifstream in(report);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto vulnerabilities = boost::json::parse(text).at("vulnerabilities").as_object();
  for (const auto& [name, found] : vulnerabilities) {
    EXPECT_TRUE(found.as_array().empty()) << name << " reported";
  }
  const auto families = FamiliesDetected();
  EXPECT_TRUE(families.contains(932) || families.contains(930)) << "command or file injection";
  ExpectBlocked();
}

}  // namespace
}  // namespace strongroom::testing
