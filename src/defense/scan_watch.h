#pragma once
// Scanning: a source asking for many different paths that nothing serves (a directory brute
// force, a vulnerability scanner's crawl), which the CRS cannot see because each request alone is
// clean.
//
// A source that asks for `distinct` different unknown paths (or methods on them) within one
// `window` is scanning: Miss says so once per window. Repeats of one path never count twice, so a
// misconfigured client polling a wrong address is not a scanner. Sources are kept by SourceKey
// (common/cidr.h); at most `max_sources` are tracked (when full, the table is cleared: at worst a
// scanner's count starts again).
//
// Thread-safety: Miss may be called from any thread.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/clock.h"

namespace strongroom::defense {

struct ScanPolicy {
  int distinct = 20;
  std::chrono::seconds window{60};
  size_t max_sources = 100'000;
};

class ScanWatch {
 public:
  explicit ScanWatch(ScanPolicy policy) : policy_(policy) {}

  // Records that `source` asked for `method` `path`, which nothing serves, at `now`; true when
  // this is the request that makes it a scanner in the current window.
  bool Miss(std::string_view source, std::string_view method, std::string_view path, TimePoint now);
  const ScanPolicy& policy() const { return policy_; }

 private:
  struct Window {
    TimePoint started;
    std::unordered_set<uint64_t> seen;  // hashes of method and path, at most `distinct`
    bool reported = false;
  };
  const ScanPolicy policy_;
  std::mutex mu_;
  std::unordered_map<std::string, Window> sources_;  // guarded by mu_
};

}  // namespace strongroom::defense
