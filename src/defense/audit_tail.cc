#include "defense/audit_tail.h"

#include <spdlog/spdlog.h>

namespace strongroom::defense {

constexpr int kBatch = 1000;

AuditTail::AuditTail(audit::AuditLog& log, Behaviour behaviour,
                     std::function<void(const Pattern&)> found, std::chrono::milliseconds interval)
    : log_(log), behaviour_(std::move(behaviour)), found_(std::move(found)), interval_(interval) {}

Result<void> AuditTail::SkipToHead() {
  ASSIGN_OR_RETURN(
      auto reader,
      audit::JournalReader::From(log_.journal().dir(), log_.journal().DurableHead().sequence + 1));
  reader_.emplace(std::move(reader));
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
  if (!reader_) RETURN_IF_ERROR(SkipToHead());
  const int64_t head = log_.journal().DurableHead().sequence;
  int read = 0;
  while (read < kBatch) {
    auto item = reader_->Next(head);
    if (!item) {
      if (item.error().code == ErrorCode::kDataLoss) reader_->Skip();  // verify names it
      return std::unexpected(item.error());
    }
    if (!*item) break;
    if ((*item)->record.kind != audit::RecordKind::kEvent) continue;
    ++read;
    const auto fact = FactOf((*item)->record.text);
    if (!fact) continue;
    for (const auto& pattern : behaviour_.Observe(*fact)) found_(pattern);
  }
  return read;
}

}  // namespace strongroom::defense
