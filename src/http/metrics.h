#pragma once
// What the server has answered, counted for the Prometheus text exposition (GET /metrics on the
// metrics surface): requests by route template and status, their latency as a histogram by route,
// and the requests refused before any handler (malformed, over a limit, probes) by kind and status.
// Gauges of the moment (connections, queue depth, the audit backlog) are read when scraped and
// rendered with the same helpers.
//
// Labels are route templates and status codes, never a path, a query or an address: nothing a
// client sent reaches the exposition, and its size is bounded by the route table.
//
// Thread-safety: Observe and Refused are lock-free and may be called from any thread (the I/O
// threads call them for every request); Render may run concurrently with them.

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/server.h"

namespace strongroom::http {

class Metrics {
 public:
  // `routes`: the route templates to count apart; any other (and a request that matched none) is
  // counted as route "-".
  explicit Metrics(const std::vector<std::string>& routes);

  void Observe(const AccessRecord& record);
  void Refused(const Refusal& refusal);

  // The counters and histograms, in the exposition format.
  std::string Render() const;

  // One gauge or counter line with its HELP and TYPE: for values read when scraped.
  static void AppendValue(std::string& out, std::string_view name, std::string_view type,
                          std::string_view help, double value);

 private:
  static constexpr size_t kStatuses = 600;
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  struct Route {
    explicit Route(std::string n) : name(std::move(n)) {}
    const std::string name;
    std::array<std::atomic<uint64_t>, kStatuses> by_status{};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // the last is +Inf
    std::atomic<uint64_t> micros{0};
  };
  Route& Find(std::string_view route);

  std::vector<std::unique_ptr<Route>> routes_;            // [0] is "-"
  std::unordered_map<std::string_view, Route*> by_name_;  // read-only after construction
  std::array<std::array<std::atomic<uint64_t>, kStatuses>, 2> refused_{};  // by Refusal::Kind
};

}  // namespace strongroom::http
