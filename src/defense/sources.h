#pragma once
// Who is attacking: a score per source address that each detected attack raises and time lowers,
// and a temporary block for a source whose score reaches the limit.
//
// The score halves every `half_life`, so a burst of attacks blocks a source while the odd false
// alarm over a day never adds up. A block lasts `block_for`, then the source starts again from
// zero. Sources in `allow` (an ITHC tester, a scanner the supplier runs) are scored but never
// blocked. Sources are kept by SourceKey (common/cidr.h), as admission control keeps them: an
// IPv6 attacker has a whole /64 to move around in.
//
// Memory is bounded: at most `max_sources` sources are tracked; when full, the lowest unblocked
// score of a sample makes room, and a new source finds none when every sampled one is blocked
// (it is then not scored).
//
// Thread-safety: every method may be called from any thread.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/cidr.h"
#include "common/clock.h"

namespace strongroom::defense {

struct SourcePolicy {
  double block_score = 20;              // four critical CRS matches
  std::chrono::seconds half_life{600};  // of a source's score
  std::chrono::seconds block_for{900};  // how long a block lasts
  CidrList allow;                       // never blocked
  size_t max_sources = 100'000;
};

class Sources {
 public:
  explicit Sources(SourcePolicy policy) : policy_(std::move(policy)) {}

  // When `source` is blocked until, if it is blocked at `now`.
  std::optional<TimePoint> BlockedUntil(std::string_view source, TimePoint now);

  struct Raised {
    double score = 0;                        // the source's score now
    std::optional<TimePoint> blocked_until;  // set when this raise blocked it
  };
  // Adds `points` to the source's score at `now`, blocking it at the limit if `may_block`.
  Raised Raise(std::string_view source, double points, TimePoint now, bool may_block = true);

  // Removes the blocks that have ended by `now`, returning whose they were.
  std::vector<std::string> Release(TimePoint now);

  bool Allowed(std::string_view source) const { return policy_.allow.Contains(source); }
  size_t blocked() const;

 private:
  struct State {
    double score = 0;
    TimePoint scored_at;
    std::optional<TimePoint> blocked_until;
  };
  double Decayed(const State& s, TimePoint now) const;
  bool MakeRoom(TimePoint now);  // requires mu_; false if nothing could go

  const SourcePolicy policy_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, State> sources_;  // guarded by mu_
  size_t blocked_ = 0;                              // guarded by mu_
};

}  // namespace strongroom::defense
