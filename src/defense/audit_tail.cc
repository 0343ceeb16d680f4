#include "defense/audit_tail.h"

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
    const auto read = RunOnce();
    // A full batch means more is waiting: read on at once.
    return read && *read == kBatch ? std::chrono::milliseconds(0) : interval_;
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
