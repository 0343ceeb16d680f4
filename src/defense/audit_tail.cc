#include "defense/audit_tail.h"

#include <spdlog/spdlog.h>

#include "audit/search.h"

namespace strongroom::defense {

constexpr int kBatch = 1000;

AuditTail::AuditTail(store::Store& store, Behaviour behaviour,
                     std::function<void(const Pattern&)> found, std::chrono::milliseconds interval)
    : store_(store),
      behaviour_(std::move(behaviour)),
      found_(std::move(found)),
      interval_(interval) {}

Result<void> AuditTail::SkipToHead() {
  ASSIGN_OR_RETURN(cursor_, audit::LastSequence(store_));
  return {};
}

Result<void> AuditTail::Start() {
  RETURN_IF_ERROR(SkipToHead());
  thread_.Start(interval_, [this] {
    Result<int> read = 0;
    try {
      read = RunOnce();
    } catch (const std::exception&) {
      read = Fail(ErrorCode::kInternal, "an exception while reading the audit log");
    }
    if (!read) {
      // Detection is blind while this lasts: said at most once a minute.
      const auto now = std::chrono::steady_clock::now();
      if (now - last_warning_ >= std::chrono::minutes(1)) {
        last_warning_ = now;
        spdlog::error("attack detection cannot read the audit log: {}", read.error().message);
      }
      return interval_;
    }
    // A full batch means more is waiting: read on at once.
    return *read == kBatch ? std::chrono::milliseconds(0) : interval_;
  });
  return {};
}

Result<int> AuditTail::RunOnce() {
  ASSIGN_OR_RETURN(auto events, audit::ReadAfter(store_, cursor_, kBatch));
  for (const auto& e : events) {
    cursor_ = e.sequence;
    const auto fact = FactOf(e.canonical);
    if (!fact) continue;
    for (const auto& pattern : behaviour_.Observe(*fact)) found_(pattern);
  }
  return static_cast<int>(events.size());
}

}  // namespace strongroom::defense
