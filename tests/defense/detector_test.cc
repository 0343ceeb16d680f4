#include "defense/detector.h"

#include <gtest/gtest.h>

#include <future>

namespace strongroom::defense {
namespace {

using std::chrono::seconds;

struct Reported {
  std::mutex mu;
  std::vector<Detection> detections;
  std::vector<std::pair<std::string, TimePoint>> blocks;
  std::vector<std::string> releases;
  int misses = 0;
};

class DetectorTest : public ::testing::Test {
 protected:
  // Without the prefilter unless asked: most tests here are of the queue, which the prefilter
  // lets clean requests skip.
  std::unique_ptr<Detector> Make(DetectorOptions options = {}, SourcePolicy policy = {},
                                 bool prefilter = false) {
    options.prefilter = prefilter;
    auto crs = Crs::Load({.prefilter = prefilter});
    EXPECT_TRUE(crs) << crs.error().message;
    if (policy.allow.empty()) policy.allow = *CidrList::Parse({"10.9.0.0/16"});
    DetectorHooks hooks;
    hooks.detected = [this](const Detection& d) {
      std::lock_guard lock(reported_.mu);
      reported_.detections.push_back(d);
    };
    hooks.blocked = [this](std::string_view source, double, TimePoint until) {
      std::lock_guard lock(reported_.mu);
      reported_.blocks.emplace_back(std::string(source), until);
    };
    hooks.released = [this](std::string_view source) {
      std::lock_guard lock(reported_.mu);
      reported_.releases.emplace_back(source);
    };
    hooks.prefilter_missed = [this](const http::Request&, const Finding&) {
      std::lock_guard lock(reported_.mu);
      ++reported_.misses;
    };
    return std::make_unique<Detector>(std::move(*crs), policy, clock_, options, hooks);
  }

  static http::Request Request(std::string source, std::string target, std::string body = "",
                               std::string cookie = "") {
    http::Request r;
    r.remote_address = std::move(source);
    r.request_id = "0123456789abcdef";
    r.message.method(body.empty() ? http::beast_http::verb::get : http::beast_http::verb::post);
    r.message.target(target);
    r.path = target.substr(0, target.find('?'));
    r.message.set("Host", "records.example.org");
    r.message.set("Accept", "application/json");
    r.message.set("User-Agent", "Mozilla/5.0");
    if (!cookie.empty()) r.message.set("Cookie", "__Host-strongroom-session=" + cookie);
    if (!body.empty()) {
      r.message.set("Content-Type", "application/json");
      r.message.set("Content-Length", std::to_string(body.size()));
      r.message.body() = std::move(body);
    }
    return r;
  }

  // Asks about a request to a route for people signed in.
  static std::optional<http::Verdict> Ask(Detector& d, http::Request r,
                                          std::function<void(http::Verdict)> done) {
    return d.Inspect(std::make_shared<http::Request>(std::move(r)), http::RouteKind::kSignedIn,
                     std::move(done));
  }

  ManualClock clock_{TimePoint(std::chrono::hours(24 * 20000))};
  Reported reported_;
};

const std::string kSqli = "/api/v1/records?q=1%27%20OR%20%271%27=%271%27%20--";
const std::string kSession(64, 'a');

TEST_F(DetectorTest, AnAnonymousAttackIsRefusedReportedAndScored) {
  auto d = Make();
  const auto v = d->Decide(Request("192.0.2.1", kSqli), false, true);
  EXPECT_TRUE(v.refuse);
  EXPECT_EQ(v.status, 403u);
  EXPECT_NE(v.reason.find("0123456789abcdef"), std::string::npos) << "names the request id";
  EXPECT_EQ(v.reason.find("942"), std::string::npos) << "names no rule";
  ASSERT_EQ(reported_.detections.size(), 1u);
  const auto& r = reported_.detections[0];
  EXPECT_TRUE(r.refused);
  EXPECT_EQ(r.context, Detection::Context::kRequest);
  EXPECT_GE(r.finding.score, 5);
  EXPECT_EQ(r.source_score, r.finding.score);
  EXPECT_EQ(r.path, "/api/v1/records");
  EXPECT_EQ(d->stats().refused, 1u);
}

TEST_F(DetectorTest, ACleanRequestIsLetThroughUnreported) {
  auto d = Make();
  EXPECT_FALSE(
      d->Decide(Request("192.0.2.1", "/api/v1/records/rec-0123?limit=10"), false, true).refuse);
  EXPECT_TRUE(reported_.detections.empty());
}

TEST_F(DetectorTest, SignedInRecordContentIsReportedButNeitherRefusedNorScored) {
  auto d = Make();
  const std::string quoting = R"({"title":"He typed 1' OR '1'='1 -- into the form"})";
  EXPECT_FALSE(
      d->Decide(Request("192.0.2.1", "/api/v1/records", quoting, kSession), false, true).refuse);
  ASSERT_EQ(reported_.detections.size(), 1u);
  EXPECT_EQ(reported_.detections[0].context, Detection::Context::kSignedInContent);
  EXPECT_EQ(reported_.detections[0].source_score, 0);
  // The same body without credentials is refused; and credentials do not cover the query.
  EXPECT_TRUE(d->Decide(Request("192.0.2.1", "/api/v1/records", quoting), false, true).refuse);
  EXPECT_TRUE(d->Decide(Request("192.0.2.1", kSqli, "", kSession), false, true).refuse);
}

TEST_F(DetectorTest, ForgedCredentialsOnAnAnonymousRouteBuyNothing) {
  // A body attack to the sign-in route with a made-up session cookie: the route is anonymous, so
  // the cookie is no reason to let the body through.
  auto d = Make();
  const std::string login = R"({"username":"admin' OR '1'='1' --","password":"x"})";
  EXPECT_TRUE(
      d->Decide(Request("192.0.2.1", "/api/v1/auth/login", login, kSession), false, false).refuse);
  EXPECT_EQ(reported_.detections.back().context, Detection::Context::kRequest);
  EXPECT_GT(reported_.detections.back().source_score, 0);
}

TEST_F(DetectorTest, AQueryParameterNamedLikeABodyFieldIsNotRecordContent) {
  auto d = Make();
  const std::string body = R"({"title":"ok"})";
  for (const char* query : {"?json.title=1%27%20OR%20%271%27=%271%27%20--",
                            "?%6Ason.title=1%27%20OR%20%271%27=%271%27%20--"}) {
    EXPECT_TRUE(
        d->Decide(Request("192.0.2.1", std::string("/api/v1/records") + query, body, kSession),
                  false, true)
            .refuse)
        << query;
  }
}

TEST_F(DetectorTest, AMalformedRequestIsScoredButItsAnswerStands) {
  auto d = Make();
  EXPECT_FALSE(d->Decide(Request("192.0.2.1", kSqli), true, true).refuse);
  ASSERT_EQ(reported_.detections.size(), 1u);
  EXPECT_EQ(reported_.detections[0].context, Detection::Context::kMalformed);
  EXPECT_GT(reported_.detections[0].source_score, 0);
}

TEST_F(DetectorTest, AllowListedSourcesAndDetectModeRefuseNothing) {
  auto d = Make();
  EXPECT_FALSE(d->Decide(Request("10.9.1.1", kSqli), false, true).refuse);
  EXPECT_EQ(reported_.detections.back().context, Detection::Context::kAllowListed);
  auto detect_only = Make({.block = false});
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(detect_only->Decide(Request("192.0.2.1", kSqli), false, true).refuse);
    EXPECT_FALSE(reported_.detections.back().refused);
  }
  EXPECT_GT(reported_.detections.back().source_score, 20) << "scored";
  EXPECT_TRUE(reported_.blocks.empty()) << "never blocked";
}

TEST_F(DetectorTest, RepeatedAttacksBlockTheSourceUntilTheBlockEnds) {
  auto d = Make({}, {.block_score = 20, .half_life = seconds(600), .block_for = seconds(900)});
  for (int i = 0; i < 10 && reported_.blocks.empty(); ++i) {
    d->Decide(Request("192.0.2.1", kSqli), false, true);
  }
  ASSERT_EQ(reported_.blocks.size(), 1u);
  EXPECT_EQ(reported_.blocks[0].first, "192.0.2.1");
  EXPECT_EQ(d->stats().blocked_sources, 1u);
  // Every request from it is now refused before inspection, clean or not, with when to retry.
  bool called = false;
  const auto v = Ask(*d, (Request("192.0.2.1", "/healthz")), [&](http::Verdict) { called = true; });
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->refuse);
  EXPECT_EQ(v->status, 429u);
  EXPECT_EQ(v->retry_after, 900);
  EXPECT_FALSE(called);
  EXPECT_EQ(d->stats().blocked_requests, 1u);
  // Others are not.
  auto other = Ask(*d, (Request("192.0.2.2", "/healthz")), [](http::Verdict) {});
  EXPECT_FALSE(other) << "queued for inspection";

  clock_.Advance(seconds(900));
  d->Start();  // the thread releases ended blocks (at least once a second)
  for (int i = 0; i < 300 && d->stats().blocked_sources > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polls the thread; no clock
  }
  d->Stop();
  EXPECT_EQ(d->stats().blocked_sources, 0u);
  std::lock_guard lock(reported_.mu);
  EXPECT_EQ(reported_.releases, std::vector<std::string>{"192.0.2.1"});
}

TEST_F(DetectorTest, AnAllowListedAddressIsNeverRefusedEvenWhenItsSlash64IsBlocked) {
  auto d = Make({}, {.block_score = 20, .allow = *CidrList::Parse({"2001:db8:9:9::7/128"})});
  for (int i = 0; i < 5; ++i) d->Decide(Request("2001:db8:9:9::1", kSqli), false, true);
  ASSERT_EQ(reported_.blocks.size(), 1u) << "a neighbour's attacks block the /64";
  ASSERT_TRUE(Ask(*d, Request("2001:db8:9:9::2", "/healthz"), [](http::Verdict) {}))
      << "the neighbourhood is blocked";
  EXPECT_FALSE(Ask(*d, Request("2001:db8:9:9::7", "/healthz"), [](http::Verdict) {}))
      << "the allow-listed address is queued for inspection, not refused";
  auto& allowed = d;
  EXPECT_FALSE(allowed->Decide(Request("2001:db8:9:9::7", kSqli), false, true).refuse);
  EXPECT_EQ(reported_.detections.back().context, Detection::Context::kAllowListed);
  allowed->Stop();
}

TEST_F(DetectorTest, OneSourceMayHaveOnlyAFewRequestsWaiting) {
  auto d = Make({.queue = 100, .queue_per_source = 3});  // not started: nothing leaves the queue
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(Ask(*d, Request("192.0.2.1", "/healthz"), [](http::Verdict) {}));
  }
  const auto v = Ask(*d, Request("192.0.2.1", "/healthz"), [](http::Verdict) {});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, 429u);
  EXPECT_FALSE(Ask(*d, Request("192.0.2.2", "/healthz"), [](http::Verdict) {})) << "another may";
  d->Stop();
}

TEST_F(DetectorTest, ScanningIsReportedAndScoredAsOneFinding) {
  // Not started, so nothing leaves the queue: room for all.
  auto d = Make({.queue = 1000, .queue_per_source = 1000}, {.block_score = 9});
  for (int i = 0; i < 19; ++i) {
    EXPECT_FALSE(d->Inspect(
        std::make_shared<http::Request>(Request("192.0.2.1", "/nothing/" + std::to_string(i))),
        http::RouteKind::kNone, [](http::Verdict) {}))
        << i;
  }
  EXPECT_EQ(d->stats().scans, 0u);
  (void)d->Inspect(std::make_shared<http::Request>(Request("192.0.2.1", "/nothing/19")),
                   http::RouteKind::kNone, [](http::Verdict) {});
  EXPECT_EQ(d->stats().scans, 1u) << "the twentieth different unknown path";
  (void)d->Inspect(std::make_shared<http::Request>(Request("192.0.2.1", "/nothing/20")),
                   http::RouteKind::kNone, [](http::Verdict) {});
  EXPECT_EQ(d->stats().scans, 1u) << "once a window";
  // Known routes never count, and an allow-listed source is not watched.
  for (int i = 0; i < 40; ++i) {
    (void)d->Inspect(std::make_shared<http::Request>(
                         Request("192.0.2.2", "/api/v1/records/rec-" + std::to_string(i))),
                     http::RouteKind::kSignedIn, [](http::Verdict) {});
    (void)d->Inspect(
        std::make_shared<http::Request>(Request("10.9.0.1", "/nothing/" + std::to_string(i))),
        http::RouteKind::kNone, [](http::Verdict) {});
  }
  EXPECT_EQ(d->stats().scans, 1u);
  // Scored as one finding at the threshold (5): a second window's scan (the first's 5 having
  // faded a little) blocks at 9.
  clock_.Advance(std::chrono::seconds(61));
  for (int i = 0; i < 20; ++i) {
    (void)d->Inspect(
        std::make_shared<http::Request>(Request("192.0.2.1", "/again/" + std::to_string(i))),
        http::RouteKind::kNone, [](http::Verdict) {});
  }
  EXPECT_EQ(d->stats().scans, 2u);
  EXPECT_EQ(reported_.blocks.size(), 1u);
  d->Stop();
}

TEST_F(DetectorTest, TheThreadAnswersEachRequestOnceAndAfterStopRefusesAsBusy) {
  auto d = Make();
  d->Start();
  std::promise<http::Verdict> clean, attack;
  EXPECT_FALSE(
      Ask(*d, (Request("192.0.2.1", "/healthz")), [&](http::Verdict v) { clean.set_value(v); }));
  EXPECT_FALSE(
      Ask(*d, (Request("192.0.2.3", kSqli)), [&](http::Verdict v) { attack.set_value(v); }));
  EXPECT_FALSE(clean.get_future().get().refuse);
  EXPECT_TRUE(attack.get_future().get().refuse);
  d->Stop();
  // Stopped: nothing is queued any more; a newcomer is refused as busy at once.
  const auto v = Ask(*d, (Request("192.0.2.1", "/healthz")),
                     [](http::Verdict) { ADD_FAILURE() << "answered twice"; });
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, 503u);
}

TEST_F(DetectorTest, AFullQueueRefusesWithBusyAndNothingIsLost) {
  auto d = Make({.queue = 2});  // not started: nothing leaves the queue
  int answered = 0;
  for (int i = 0; i < 2; ++i) {
    EXPECT_FALSE(Ask(*d, (Request("192.0.2.1", "/healthz")), [&](http::Verdict v) {
      EXPECT_EQ(v.status, 503u);
      ++answered;
    }));
  }
  const auto v = Ask(*d, (Request("192.0.2.1", "/healthz")), [](http::Verdict) {});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, 503u);
  EXPECT_EQ(d->stats().busy, 1u);
  d->Stop();
  EXPECT_EQ(answered, 2) << "what waited is answered when the detector stops";
}

TEST_F(DetectorTest, ASourceSendingCostlyRequestsIsRationedAndOthersAreNot) {
  // Charged beyond 1 ms each, a quarter of the thread, a burst of 50 ms: a few large bodies use it.
  auto d = Make({.inspection_free = std::chrono::milliseconds(1),
                 .inspection_share = 0.25,
                 .inspection_burst = std::chrono::milliseconds(50)});
  d->Start();
  const std::string large = R"({"body":")" + std::string(256 * 1024, ' ') + "\"}";
  std::optional<http::Verdict> rationed;
  for (int i = 0; i < 50 && !rationed; ++i) {
    std::promise<void> done;
    auto v = Ask(*d, (Request("192.0.2.1", "/x", large)), [&](http::Verdict) { done.set_value(); });
    if (v) {
      rationed = v;
    } else {
      done.get_future().wait();
    }
  }
  ASSERT_TRUE(rationed) << "never rationed";
  EXPECT_EQ(rationed->status, 429u);
  EXPECT_GE(rationed->retry_after, 1);
  EXPECT_GE(d->stats().rationed, 1u);
  std::promise<http::Verdict> other;
  EXPECT_FALSE(
      Ask(*d, (Request("192.0.2.2", "/healthz")), [&](http::Verdict v) { other.set_value(v); }));
  EXPECT_FALSE(other.get_future().get().refuse);
  // Time pays the debt back (the injected clock: a quarter of what passes).
  clock_.Advance(seconds(3600));
  std::promise<http::Verdict> later;
  EXPECT_FALSE(
      Ask(*d, (Request("192.0.2.1", "/healthz")), [&](http::Verdict v) { later.set_value(v); }));
  EXPECT_FALSE(later.get_future().get().refuse);
  d->Stop();
}

TEST_F(DetectorTest, ThePrefilterLetsCleanRequestsThroughAtOnceAndQueuesTheRest) {
  auto d = Make({}, {}, /*prefilter=*/true);  // not started: what is queued stays queued
  const auto clean = Ask(*d, Request("192.0.2.1", "/api/v1/records/rec-1?limit=50"),
                         [](http::Verdict) { ADD_FAILURE() << "answered at once, not later"; });
  ASSERT_TRUE(clean);
  EXPECT_FALSE(clean->refuse);
  bool attack_answered = false;
  EXPECT_FALSE(Ask(*d, Request("192.0.2.1", kSqli), [&](http::Verdict v) {
    EXPECT_EQ(v.status, 503u);  // by Stop, below
    attack_answered = true;
  })) << "an attack waits for the full inspection";
  EXPECT_FALSE(Ask(*d, Request("192.0.2.1", "/api/v1/records", R"({"title":"a note"})"),
                   [](http::Verdict) {}))
      << "a request with a body is always inspected";
  const auto s = d->stats();
  EXPECT_EQ(s.screened, 1u);
  EXPECT_EQ(s.inspected, 0u);
  d->Stop();
  EXPECT_TRUE(attack_answered);
}

TEST_F(DetectorTest, VerifyingInspectsEveryRequestAndCountsNoMissOnCleanOnes) {
  auto d = Make({.verify_prefilter = true}, {}, /*prefilter=*/true);
  d->Start();
  std::promise<http::Verdict> clean;
  EXPECT_FALSE(Ask(*d, Request("192.0.2.1", "/healthz"), [&](http::Verdict v) {
    clean.set_value(v);
  })) << "queued: verified";
  EXPECT_FALSE(clean.get_future().get().refuse);
  // A miss is what the hook reports: a request passed with a finding. Decide is told so here.
  (void)d->Decide(Request("192.0.2.3", kSqli), false, false, /*passed=*/true);
  d->Stop();
  const auto s = d->stats();
  EXPECT_EQ(s.screened, 0u);
  EXPECT_EQ(s.inspected, 2u);
  EXPECT_EQ(s.prefilter_misses, 1u);
  std::lock_guard lock(reported_.mu);
  EXPECT_EQ(reported_.misses, 1);
}

}  // namespace
}  // namespace strongroom::defense
