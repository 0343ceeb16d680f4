#pragma once
// Follows the audit log as it grows and hands each new event to the behaviour patterns
// (defense/behaviour.h): the detectors read committed events, in order, from the one record of
// everything people do, and never slow the requests that made them.
//
// It starts at the log's head (what happened before this start is not replayed), reads every
// `interval` (a batch at most), and reports each pattern found to `found`. A read that fails is
// retried at the next round, and logged as an error at most once a minute.
//
// Thread-safety: Start and Stop from one thread; RunOnce is what the thread runs (tests call it).

#include <functional>
#include <optional>

#include "audit/audit_log.h"
#include "common/background_thread.h"
#include "common/error.h"
#include "defense/behaviour.h"

namespace strongroom::defense {

class AuditTail {
 public:
  // `log` must outlive the tail.
  AuditTail(audit::AuditLog& log, Behaviour behaviour, std::function<void(const Pattern&)> found,
            std::chrono::milliseconds interval = std::chrono::milliseconds(250));

  // Reads the head now, then follows from it on a thread.
  Result<void> Start();
  void Stop() { thread_.Stop(); }
  // Reads what is new (up to one batch) and returns how many events it read.
  Result<int> RunOnce();
  // From the log's head now.
  Result<void> SkipToHead();

 private:
  audit::AuditLog& log_;
  Behaviour behaviour_;
  const std::function<void(const Pattern&)> found_;
  const std::chrono::milliseconds interval_;
  // Where the next read starts; touched only by the thread (or before it starts).
  std::optional<audit::JournalReader> reader_;
  std::chrono::steady_clock::time_point last_warning_{};  // the thread's
  BackgroundThread thread_;
};

}  // namespace strongroom::defense
