#pragma once
// Who is attacking, when several nodes serve behind one load balancer (on PostgreSQL): one score
// per source for them all, kept in the database they share (table attack_sources), so that an
// attacker whose requests are spread over the nodes is blocked at the same score as on one node,
// and a block any node reaches is enforced by every node.
//
// Each node's detector hands its raises here (Raise never waits: the I/O threads raise). A thread
// of its own writes them (those of one source in one round added together) by the rule every
// node's table follows (defense/sources.h, Add), in one write transaction for the round; writers
// take turns across the nodes (store/postgres/pg_store.h), so each raise reads the score the last
// one left. The raise that reaches the block score is the one that blocks, on whichever node made
// it: that node reports the block (`blocked`), once for the cluster, and ends it with a report.
// Every node hears of the change (Store::WatchTables) and reads the blocks in force, enforcing
// each (`enforce`), and the scores raised since it last read, so that what Raise answers (a
// finding's source score) counts the other nodes' raises; at start it reads those already in
// force, so a restart does not lift them.
//
// A round that cannot write keeps its raises for the next (at most `max_sources` sources wait;
// beyond them a raise is dropped and logged once a minute); a read that fails is tried again.
// Scores decayed to nothing and ended blocks are removed once an hour, by whichever node.
//
// Thread-safety: Raise from any thread; Start and Stop from one. The hooks run on the thread.

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/background_thread.h"
#include "common/clock.h"
#include "common/error.h"
#include "defense/sources.h"
#include "store/store.h"

namespace strongroom::defense {

struct SharedSourcesHooks {
  // A block in force, this node's or another's: enforce it until `until`.
  std::function<void(const std::string& key, TimePoint until)> enforce;
  // This node's raise reached the block score: the block is this node's to report.
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
  // Returns the score as this node knows it (what it last read for the source, with what waits).
  double Raise(const std::string& key, double points, TimePoint now, bool may_block);

  // Writes what waits and, if told of a change, reads the blocks in force: what the thread does
  // each round. For tests (with Start not called).
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
  Result<void> WriteRaises();
  // Reads the blocks in force, and the scores raised since the last read (for Raise's answer).
  Result<void> Read();

  store::Store& store_;
  const SourcePolicy policy_;
  const Clock& clock_;
  const std::string node_;
  const SharedSourcesHooks hooks_;

  std::mutex mu_;
  std::unordered_map<std::string, Pending> pending_;  // guarded by mu_
  std::unordered_map<std::string, Score> known_;      // as last written or read; guarded by mu_
  bool changed_ = true;                               // guarded by mu_: read the blocks
  std::chrono::steady_clock::time_point dropped_warning_{};  // guarded by mu_

  int watch_ = 0;
  std::optional<TimePoint> read_at_;                      // the last Read's now; the thread's
  std::chrono::steady_clock::time_point last_prune_{};    // the thread's
  std::chrono::steady_clock::time_point last_warning_{};  // the thread's
  BackgroundThread thread_;                               // last: stopped before the rest goes
};

}  // namespace strongroom::defense
