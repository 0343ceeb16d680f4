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
// Several nodes keep one score per source in the database they share (defense/shared_sources.h),
// by the same rule (Score, below); each node's Sources then holds only the blocks, each node's own
// (reported as it ends) or another's (enforced, and ended without a word).
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

// A source's score, as this node's table or the shared one keeps it.
struct Score {
  double score = 0;
  TimePoint scored_at;
  std::optional<TimePoint> blocked_until;
};
// The one rule: `points` added to `s` at `now`, the score halving every half-life, and the source
// blocked at the block score if `may_block` (and it is not allow-listed: the caller says) and not
// blocked already. True when this raise blocked it. (A block that has ended starts the score
// again from zero: whoever keeps `s` starts it afresh.)
bool Add(const SourcePolicy& policy, Score& s, double points, TimePoint now, bool may_block);
// `s`'s score at `now`, decayed.
double Decayed(const SourcePolicy& policy, const Score& s, TimePoint now);

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

  // Enforces a block the shared scores reached (defense/shared_sources.h) until `until`: `own` if
  // this node's raise reached it (Release reports it), otherwise another node's (a block of this
  // node's own that it lengthens stays this node's). The source's local score is not kept (the
  // shared one is). True if it was not already blocked until then.
  bool Block(std::string_view key, TimePoint until, bool own);

  // Removes the blocks that have ended by `now`, returning whose they were (this node's own).
  std::vector<std::string> Release(TimePoint now);

  bool Allowed(std::string_view source) const { return policy_.allow.Contains(source); }
  const SourcePolicy& policy() const { return policy_; }
  size_t blocked() const;

 private:
  struct State {
    Score score;
    bool own = true;  // blocked by this node's raise, or by another node's (Block)
  };
  bool MakeRoom(TimePoint now);  // requires mu_; false if nothing could go

  const SourcePolicy policy_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, State> sources_;  // guarded by mu_
  size_t blocked_ = 0;                              // guarded by mu_
};

}  // namespace strongroom::defense
