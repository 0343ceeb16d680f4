#pragma once
// Follows the audit log as it grows and hands each new event to the behaviour patterns
// (defense/behaviour.h): the detectors read committed events, in order, from the one record of
// everything people do, and never slow the requests that made them.
//
// It starts at the log's head (what happened before this start is not replayed), reads every
// `interval` (a batch at most), and reports each pattern found to `found`. A read that fails is
// retried at the next round, and logged as an error at most once a minute.
//
// Several nodes on one database (Shared): a pattern may be spread over the nodes (an attacker's
// sign-ins, through a balancer), so one node watches them all. Each round, every node brings its
// journal's copy in the database up to its head (audit/audit_copy.h); the node that holds the
// lease kBehaviourLease (store/leases.h: taken for kLeaseTerm, renewed every kLeaseRenew; the
// others try every kLeaseRenew) reads every node's copied events from where it last read (each
// node's from its head when it took the lease, or from the first for a node that appears later)
// and reports what it finds, once for the cluster. If it stops, or cannot renew within the term,
// another node takes over once its lease lapses, from the heads then (and so does it, should it
// take the lease back). The nodes' clocks must agree to well within kLeaseTerm - kLeaseRenew.
//
// Thread-safety: Start and Stop from one thread; RunOnce is what the thread runs (tests call it).

#include <functional>
#include <map>
#include <optional>

#include "audit/audit_log.h"
#include "common/background_thread.h"
#include "common/clock.h"
#include "common/error.h"
#include "defense/behaviour.h"

namespace strongroom::defense {

inline constexpr std::string_view kBehaviourLease = "attack-behaviour";
inline constexpr std::chrono::seconds kLeaseTerm{30};
inline constexpr std::chrono::seconds kLeaseRenew{5};

class AuditTail {
 public:
  // Several nodes on one database: this node's name and the store (which must outlive the tail),
  // and the clock its lease is taken on.
  struct Shared {
    store::Store* store = nullptr;
    std::string node;
    const Clock* clock = nullptr;
  };

  // `log` must outlive the tail.
  AuditTail(audit::AuditLog& log, Behaviour behaviour, std::function<void(const Pattern&)> found,
            std::chrono::milliseconds interval = std::chrono::milliseconds(250),
            std::optional<Shared> shared = std::nullopt);

  // Reads the head now, then follows from it on a thread.
  Result<void> Start();
  void Stop() { thread_.Stop(); }
  // Reads what is new (up to one batch) and returns how many events it read.
  Result<int> RunOnce();
  // From the log's head now.
  Result<void> SkipToHead();

 private:
  // Several nodes: copies this node's journal, holds or renews the lease, and (holding it)
  // reads every node's copy.
  Result<int> RunShared();
  void Hand(std::string_view text);  // one event to the patterns
  audit::AuditLog& log_;
  Behaviour behaviour_;
  const std::function<void(const Pattern&)> found_;
  const std::chrono::milliseconds interval_;
  // Where the next read starts; touched only by the thread (or before it starts).
  std::optional<audit::JournalReader> reader_;
  const std::optional<Shared> shared_;
  // Several nodes, while holding the lease: each node's last copied record read (sequence,
  // kind), and when the lease was last taken; when it was last tried for (on the shared clock).
  // The thread's.
  std::map<std::string, std::pair<int64_t, audit::RecordKind>> read_;
  std::optional<TimePoint> leased_at_;
  std::optional<TimePoint> tried_at_;
  std::chrono::steady_clock::time_point last_warning_{};  // the thread's
  BackgroundThread thread_;
};

}  // namespace strongroom::defense
