#pragma once
// Who is attacking, when several nodes serve behind one load balancer (on PostgreSQL): one score
// per source for them all, kept in the database they share (table attack_sources), so that an
// attacker whose requests are spread over the nodes is blocked at the same score as on one node,
// and a block any node reaches is enforced by every node.
//
// Each node's detector hands its raises here (Raise never waits: the I/O threads raise). A thread
// of its own writes them (those of one source in one round added together) by the rule every
// node's table follows (defense/sources.h, Add), at most kSourcesPerRound sources in one write
// transaction; writers take turns across the nodes (store/postgres/pg_store.h), so each raise
// reads the score the last one left. The raise that reaches the block score is the one that
// blocks, on whichever node made it: that node reports the block (`blocked`), once for the
// cluster, and (as its own, `enforce` with own) its end. Every node hears of the change
// (Store::WatchTables) and reads the blocks in force, enforcing each; at start it reads those
// already in force, so a restart does not lift them (and a restarted node still ends its own).
//
// A round that cannot write keeps its raises for the next, and still reads the blocks; at most
// `max_sources` sources wait (beyond them a raise is dropped, logged once a minute). A commit
// whose outcome is unknown (the connection lost as it committed) counts as not made: its raises
// are added again (a source may be scored twice; a block it reached is enforced everywhere, but
// not reported). Scores decayed to nothing and ended blocks are removed once an hour.
//
// Thread-safety: Raise from any thread; Start and Stop from one. The hooks run on the thread (and
// on Start's and Stop's caller).

#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/background_thread.h"
#include "common/clock.h"
#include "common/error.h"
#include "defense/sources.h"
#include "store/store.h"

namespace strongroom::defense {

inline constexpr size_t kSourcesPerRound = 1000;

struct SharedSourcesHooks {
  // A block in force until `until`: enforce it. `own`: this node's raise reached it (its end is
  // this node's to report).
  std::function<void(const std::string& key, TimePoint until, bool own)> enforce;
  // This node's raise reached the block score: the block is this node's to report (and enforce).
  std::function<void(const std::string& key, double score, TimePoint until)> blocked;
};

class SharedSources {
 public:
  // `store` and `clock` must outlive this; `node` names this node (attack_sources.blocked_by).
  SharedSources(store::Store& store, SourcePolicy policy, const Clock& clock, std::string node,
                SharedSourcesHooks hooks);
  ~SharedSources();

  // Reads the blocks in force, then watches for more and writes raises on a thread.
  Result<void> Start();
  void Stop();

  // Adds `points` to the source `key`'s score at `now`, blocking it at the limit if `may_block`.
  // Returns the score as this node knows it: as its own last write for the source left it, with
  // what waits (the other nodes' raises since are not in it).
  double Raise(const std::string& key, double points, TimePoint now, bool may_block);

  // Writes what waits (up to kSourcesPerRound sources) and, if told of a change, reads the blocks
  // in force: what the thread does each round. For tests (with Start not called).
  Result<void> RunOnce();
  // Removes scores decayed to nothing and ended blocks; returns how many. Once an hour by the
  // thread.
  Result<int64_t> Prune();

 private:
  struct Pending {
    double points = 0;
    TimePoint at;
    bool may_block = false;
  };
  // Adds `raise` to what waits for `key`; false if it is a new source and `max_sources` wait.
  bool Queue(const std::string& key, const Pending& raise);  // requires mu_
  Result<void> WriteRaises();
  Result<void> ReadBlocks();

  store::Store& store_;
  const SourcePolicy policy_;
  const Clock& clock_;
  const std::string node_;
  const SharedSourcesHooks hooks_;

  std::mutex mu_;
  std::unordered_map<std::string, Pending> pending_;         // guarded by mu_
  std::unordered_map<std::string, Score> known_;             // as last written; guarded by mu_
  bool changed_ = true;                                      // guarded by mu_: read the blocks
  std::chrono::steady_clock::time_point dropped_warning_{};  // guarded by mu_

  int watch_ = 0;
  std::chrono::steady_clock::time_point last_prune_{};    // the thread's
  std::chrono::steady_clock::time_point last_warning_{};  // the thread's
  BackgroundThread thread_;                               // last: stopped before the rest goes
};

}  // namespace strongroom::defense
