#include "http/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace strongroom::http {
namespace {

using std::chrono::microseconds;

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(MetricsTest, CountsRequestsByRouteAndStatusWithALatencyHistogram) {
  Metrics m({"/api/v1/records/{id}", "/healthz", "/healthz"});
  m.Observe({"GET", "/api/v1/records/{id}", 200, microseconds(300), "r1"});
  m.Observe({"GET", "/api/v1/records/{id}", 200, microseconds(2'000), "r2"});
  m.Observe({"GET", "/api/v1/records/{id}", 404, microseconds(20'000'000), "r3"});
  m.Observe({"GET", "/not/a/route/of/ours", 200, microseconds(1), "r4"});
  m.Observe({"GET", "-", 429, microseconds(1), "r5"});
  const auto text = m.Render();
  EXPECT_TRUE(
      Has(text, R"(strongroom_http_requests_total{route="/api/v1/records/{id}",status="200"} 2)"))
      << text;
  EXPECT_TRUE(
      Has(text, R"(strongroom_http_requests_total{route="/api/v1/records/{id}",status="404"} 1)"));
  EXPECT_TRUE(Has(text, R"(strongroom_http_requests_total{route="-",status="200"} 1)"))
      << "an unknown route is counted as -, never by its name";
  EXPECT_TRUE(Has(text, R"(strongroom_http_requests_total{route="-",status="429"} 1)"));
  EXPECT_EQ(text.find("/not/a/route"), std::string::npos);
  // Cumulative buckets: 300 us <= 0.0005; 2 ms <= 0.0025; 20 s only in +Inf.
  const std::string b =
      R"(strongroom_http_request_duration_seconds_bucket{route="/api/v1/records/{id}",le=)";
  EXPECT_TRUE(Has(text, b + R"("0.0005"} 1)")) << text;
  EXPECT_TRUE(Has(text, b + R"("0.001"} 1)"));
  EXPECT_TRUE(Has(text, b + R"("0.0025"} 2)"));
  EXPECT_TRUE(Has(text, b + R"("10"} 2)"));
  EXPECT_TRUE(Has(text, b + R"("+Inf"} 3)"));
  EXPECT_TRUE(Has(
      text, R"(strongroom_http_request_duration_seconds_count{route="/api/v1/records/{id}"} 3)"));
  EXPECT_TRUE(
      Has(text,
          R"(strongroom_http_request_duration_seconds_sum{route="/api/v1/records/{id}"} 20.0023)"));
  EXPECT_EQ(text.find(R"(route="/healthz")"), std::string::npos) << "no series for routes unused";
  EXPECT_TRUE(text.starts_with("# HELP strongroom_http_requests_total "));
  EXPECT_NE(text.find("\n# TYPE strongroom_http_requests_total counter\n"), std::string::npos);
}

TEST(MetricsTest, CountsRefusalsByKindAndStatus) {
  Metrics m({});
  m.Refused({Refusal::Kind::kProbe, "10.0.0.1", "r", 404, ErrorCode::kNotFound, "x"});
  m.Refused({Refusal::Kind::kProbe, "10.0.0.1", "r", 404, ErrorCode::kNotFound, "x"});
  m.Refused({Refusal::Kind::kRequest, "10.0.0.1", "r", 400, ErrorCode::kInvalidArgument, "x"});
  const auto text = m.Render();
  EXPECT_TRUE(Has(text, R"(strongroom_http_refused_total{kind="probe",status="404"} 2)")) << text;
  EXPECT_TRUE(Has(text, R"(strongroom_http_refused_total{kind="request",status="400"} 1)"));
  EXPECT_EQ(text.find("10.0.0.1"), std::string::npos) << "no address in the exposition";
}

TEST(MetricsTest, ConcurrentObservationsAreAllCounted) {
  Metrics m({"/r"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 10'000; ++i) m.Observe({"GET", "/r", 200, microseconds(1), "id"});
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(Has(m.Render(), R"(strongroom_http_requests_total{route="/r",status="200"} 40000)"));
}

TEST(MetricsTest, AValueLineHasItsHelpAndType) {
  std::string out;
  Metrics::AppendValue(out, "strongroom_worker_queue_depth", "gauge", "Waiting.", 3);
  EXPECT_EQ(out,
            "# HELP strongroom_worker_queue_depth Waiting.\n"
            "# TYPE strongroom_worker_queue_depth gauge\n"
            "strongroom_worker_queue_depth 3\n");
}

}  // namespace
}  // namespace strongroom::http
