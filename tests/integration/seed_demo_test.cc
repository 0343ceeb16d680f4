// `strongroom seed-demo` against the real binary: synthetic people who enrol and see only what
// their grants allow, and never on a production instance.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "common/clock.h"
#include "common/secret.h"
#include "crypto/aead.h"
#include "integration/org_fixture.h"

namespace strongroom::testing {
namespace {

// The token `seed-demo` printed for `username`, or "".
std::string SeededToken(const std::string& out, const std::string& username) {
  const auto line = out.find("  " + username + " ");
  if (line == std::string::npos) return "";
  const auto at = out.find("token ", line);
  return at == std::string::npos ? "" : out.substr(at + 6, 64);
}

TEST(SeedDemoTest, SeededPeopleEnrolAndSeeOnlyWhatTheirGrantsAllow) {
  Instance inst("test");
  auto seeded = RunBinary({"seed-demo", "--config", inst.config().string(), "--organisations", "2",
                           "--people", "4", "--records", "60"});
  ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
  // The other organisation's editor asks for every record (60 misses): record enumeration, which
  // would block this test's address part-way (behaviour.h); it is what this test means to do.
  inst.ReplaceInConfig("allow = []", "allow = [\"127.0.0.0/8\"]");
  EXPECT_NE(seeded.out.find("Seeded 2 organisation(s), 8 person(s) and 120 record(s)"),
            std::string::npos)
      << seeded.out.substr(0, seeded.out.find('\n'));  // not the tokens below it
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  auto busy = RunBinary({"seed-demo", "--config", inst.config().string()});
  EXPECT_EQ(busy.exit_code, 2) << "the running service holds the instance lock";

  ApiClient api(inst);
  for (const char* who : {"basil.example.a", "dev.example.a", "basil.example.b"}) {
    ASSERT_TRUE(api.Enrol(who, SeededToken(seeded.out, who))) << who;
  }
  // A token is the person's own: it does not enrol anyone twice.
  EXPECT_FALSE(api.Enrol("dev.example.a", SeededToken(seeded.out, "dev.example.a")));
  api.AdvanceClock(30);
  const auto editor = api.SignIn("basil.example.a");
  const auto reader = api.SignIn("dev.example.a");
  const auto other = api.SignIn("basil.example.b");
  ASSERT_FALSE(editor.cookie.empty());
  ASSERT_FALSE(reader.cookie.empty());
  ASSERT_FALSE(other.cookie.empty());

  auto listed = [&](const Session& s) {
    auto r = api.As(s, "GET", "/api/v1/records?limit=100");
    EXPECT_EQ(r.status, 200) << r.body;
    return JsonOf(r);
  };
  const auto all = listed(editor);
  ASSERT_EQ(all.at("items").as_array().size(), 60u);
  EXPECT_EQ(all.at("next_cursor").as_string(), "");
  const auto mine = listed(reader);
  const auto& seen = mine.at("items").as_array();
  EXPECT_GT(seen.size(), 0u);
  EXPECT_LT(seen.size(), 60u);
  std::set<std::string> readable;
  for (const auto& item : seen) {
    const auto& o = item.as_object();
    EXPECT_EQ(o.at("remit").as_string(), "north");
    EXPECT_EQ(o.at("classification").as_string(), "OFFICIAL");
    for (const auto& d : o.at("descriptors").as_array()) EXPECT_EQ(d.as_string(), "PERSONAL");
    readable.insert(std::string(o.at("id").as_string()));
  }
  int hidden = 0;
  for (const auto& item : all.at("items").as_array()) {
    const std::string id(item.at("id").as_string());
    auto full = api.As(editor, "GET", "/api/v1/records/" + id);
    ASSERT_EQ(full.status, 200) << full.body;
    EXPECT_TRUE(JsonOf(full).at("body").at("synthetic").as_bool());
    EXPECT_EQ(api.As(reader, "GET", "/api/v1/records/" + id).status,
              readable.count(id) ? 200 : 404);
    hidden += readable.count(id) ? 0 : 1;
    EXPECT_EQ(api.As(other, "GET", "/api/v1/records/" + id).status, 404)
        << "another demo organisation's editor";
    // The seeded content, written again through the API: attack detection inspects it and finds
    // nothing (the instance fails this test if its log shows a detection).
    auto record = JsonOf(full);
    boost::json::object copy;
    for (const char* field : {"remit", "title", "classification", "descriptors", "body"}) {
      copy[field] = record.at(field);
    }
    EXPECT_EQ(api.As(editor, "POST", "/api/v1/records", copy).status, 201) << id;
  }
  EXPECT_GT(hidden, 0);
  EXPECT_GE(ScrapeMetric(inst.port(), "strongroom_security_inspected_total"), 60.0)
      << "every copy was inspected";
  EXPECT_EQ(ScrapeMetric(inst.port(), "strongroom_security_detections_total"), 0.0);
}

TEST(SeedDemoTest, RefusedOnAProductionInstanceWhateverItsConfigurationSays) {
  Instance inst("production");
  const auto before = RunBinary({"audit", "verify", "--config", inst.config().string()});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  auto r = RunBinary({"seed-demo", "--config", inst.config().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("refuses to run on a production instance"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  // Editing the configuration to say "test" does not make the production store a test one.
  std::stringstream text;
  text << std::ifstream(inst.config()).rdbuf();
  std::string config = text.str();
  const auto at = config.find("environment = \"production\"");
  ASSERT_NE(at, std::string::npos);
  config.replace(at, 26, "environment = \"test\"");
  std::ofstream(inst.config(), std::ios::trunc) << config;
  auto claimed = RunBinary({"seed-demo", "--config", inst.config().string()});
  EXPECT_EQ(claimed.exit_code, 2);
  EXPECT_NE(claimed.err.find("never cross environments"), std::string::npos) << claimed.err;
  std::ofstream(inst.config(), std::ios::trunc) << text.str();
  const auto after = RunBinary({"audit", "verify", "--config", inst.config().string()});
  EXPECT_EQ(after.out, before.out) << "nothing was written";
}

}  // namespace
}  // namespace strongroom::testing
