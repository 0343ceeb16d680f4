// Retention Orders and the purge over HTTPS and the command line against the real binary.

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

class RetentionApiTest : public OrgFixture {};

TEST_F(RetentionApiTest, AnOrderStopsDeleteAndPurgeUntilASecondOfficerLiftsIt) {
  auto made =
      api_.As(sessions_["ann.editor"], "POST", "/api/v1/records",
              boost::json::object{
                  {"remit", "north"},
                  {"title", "held"},
                  {"classification", "OFFICIAL"},
                  {"descriptors", boost::json::array{"PERSONAL"}},
                  {"body", boost::json::object{}},
                  {"retain_until", FormatRfc3339(SystemClock().Now() + std::chrono::hours(24))}});
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string path = "/api/v1/records/" + std::string(JsonOf(made).at("id").as_string());
  const boost::json::object order{
      {"reference", "LIT-42"},
      {"reason", "pending litigation"},
      {"review_on", "2099-06-30"},
      {"scope",
       {{"org", org_a_}, {"remit", "north"}, {"descriptors", boost::json::array{"PERSONAL"}}}}};
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "POST", "/api/v1/retention-orders", order).status, 401)
      << "a standard session is not read on the admin surface";
  auto created = api_.As(officer1_, "POST", "/api/v1/retention-orders", order);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id(JsonOf(created).at("id").as_string());
  EXPECT_EQ(api_.As(sessions_["ann.editor"], "DELETE", path, "", "If-Match: \"1\"\r\n").status,
            409);
  // Past its retention date, still held: the purge leaves it.
  api_.AdvanceClock(2 * 24 * 3600);
  sessions_["ann.editor"] = {};
  auto purge = api_.Call("POST", "/__test/jobs/purge", "");
  ASSERT_EQ(purge.status, 200) << purge.body;
  EXPECT_EQ(JsonOf(purge).at("count").as_int64(), 0);
  // The officers' sessions idled out with the clock: sign in again.
  officer1_ = api_.SignIn(kOfficer1);
  officer2_ = api_.SignIn(kOfficer2);
  auto listed = api_.As(officer2_, "GET", "/api/v1/retention-orders");
  ASSERT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find("LIT-42"), std::string::npos);
  const std::string lift = "/api/v1/retention-orders/" + id + "/lift";
  EXPECT_EQ(api_.As(officer1_, "POST", lift, boost::json::object{{"reason", "settled"}}).status,
            403)
      << "the officer who made it";
  EXPECT_EQ(api_.As(officer2_, "POST", lift, boost::json::object{{"reason", "settled"}}).status,
            204);
  EXPECT_EQ(api_.As(officer2_, "POST", lift, boost::json::object{{"reason", "again"}}).status, 409);
  purge = api_.Call("POST", "/__test/jobs/purge", "");
  EXPECT_EQ(JsonOf(purge).at("count").as_int64(), 1);
}

TEST(PurgeCliTest, DryRunAndPurgeWithTheServiceStopped) {
  Instance inst;
  auto dry = RunBinary({"purge", "--config", inst.config().string(), "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("dry run: 0 record(s)"), std::string::npos) << dry.out;
  ASSERT_TRUE(inst.Start());
  auto busy = RunBinary({"purge", "--config", inst.config().string()});
  EXPECT_NE(busy.exit_code, 0) << "the running service holds the instance lock";
  inst.Stop();
  auto run = RunBinary({"purge", "--config", inst.config().string()});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("purged 0 record(s)"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace strongroom::testing
