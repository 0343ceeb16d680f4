#include "defense/audit_tail.h"

#include <spdlog/spdlog.h>

#include "audit/audit_copy.h"
#include "store/leases.h"

namespace strongroom::defense {

constexpr int kBatch = 1000;

AuditTail::AuditTail(audit::AuditLog& log, Behaviour behaviour,
                     std::function<void(const Pattern&)> found, std::chrono::milliseconds interval,
                     std::optional<Shared> shared)
    : log_(log),
      behaviour_(std::move(behaviour)),
      found_(std::move(found)),
      interval_(interval),
      shared_(std::move(shared)) {}

Result<void> AuditTail::SkipToHead() {
  ASSIGN_OR_RETURN(
      auto reader,
      audit::JournalReader::From(log_.journal().dir(), log_.journal().DurableHead().sequence + 1));
  reader_.emplace(std::move(reader));
  return {};
}

Result<void> AuditTail::Start() {
  if (!shared_) RETURN_IF_ERROR(SkipToHead());
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
    return *read >= kBatch ? std::chrono::milliseconds(0) : interval_;
  });
  return {};
}

void AuditTail::Hand(std::string_view text) {
  const auto fact = FactOf(text);
  if (!fact) return;
  for (const auto& pattern : behaviour_.Observe(*fact)) found_(pattern);
}

Result<int> AuditTail::RunOnce() {
  if (shared_) return RunShared();
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
    Hand((*item)->record.text);
  }
  return read;
}

Result<int> AuditTail::RunShared() {
  RETURN_IF_ERROR(log_.CopyToStore());
  store::Store& store = *shared_->store;
  const auto now = shared_->clock->Now();
  // A lease not renewed within its term may be another node's by now, and what it reads with it.
  if (leased_at_ && (now - *leased_at_ >= kLeaseTerm || now < *leased_at_)) {
    leased_at_.reset();
    read_.clear();
  }
  if (!tried_at_ || now - *tried_at_ >= kLeaseRenew || now < *tried_at_) {
    tried_at_ = now;  // (a failed attempt is tried again as a renewal would be)
    ASSIGN_OR_RETURN(auto holder,
                     store::TakeLease(store, kBehaviourLease, shared_->node, now, kLeaseTerm));
    if (holder != shared_->node) {
      leased_at_.reset();  // another node watches: from the heads when this one takes over
      read_.clear();
      return 0;
    }
    // The nodes there are: each from its head when the lease is taken, from its first record
    // when it appears later.
    const bool taken = !leased_at_;
    ASSIGN_OR_RETURN(auto nodes, audit::KnownNodes(store));
    auto cursors = read_;
    RETURN_IF_ERROR(store.Read([&](store::Transaction& tx) -> Result<void> {
      cursors = read_;
      for (const auto& node : nodes) {
        if (cursors.contains(node)) continue;
        int64_t from = 0;
        if (taken) {
          ASSIGN_OR_RETURN(from, audit::CopiedHead(tx, node));
        }
        cursors[node] = {from, audit::RecordKind::kSeal};
      }
      return {};
    }));
    read_ = std::move(cursors);
    leased_at_ = now;
  }
  if (!leased_at_) return 0;
  // Up to a batch from each node, in one snapshot; where each ends is kept only once it is read.
  auto next = read_;
  std::vector<std::string> texts;
  RETURN_IF_ERROR(store.Read([&](store::Transaction& tx) -> Result<void> {
    next = read_;
    texts.clear();
    for (auto& [node, at] : next) {
      ASSIGN_OR_RETURN(auto records, audit::CopiedRecords(tx, node, at.first, at.second, kBatch));
      for (auto& c : records) {
        at = {c.record.sequence, c.record.kind};
        if (c.record.kind == audit::RecordKind::kEvent) texts.push_back(std::move(c.record.text));
      }
    }
    return {};
  }));
  read_ = std::move(next);
  for (const auto& text : texts) Hand(text);
  return static_cast<int>(texts.size());
}

}  // namespace strongroom::defense
