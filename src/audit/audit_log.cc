#include "audit/audit_log.h"

#include <fmt/format.h>

#include <memory>

#include "store/meta.h"

namespace strongroom::audit {

Bytes CheckpointPayload(Environment env, int64_t sequence, std::span<const uint8_t> head_hash,
                        std::string_view time) {
  const auto text = fmt::format("strongroom-audit-checkpoint/v1\n{}\n{}\n{}\n{}",
                                EnvironmentName(env), sequence, HexEncode(head_hash), time);
  return Bytes(text.begin(), text.end());
}

AuditLog::AuditLog(store::Store& store, const Clock& clock, const crypto::SigningKey& key,
                   Environment env, int checkpoint_every)
    : store_(store), clock_(clock), key_(key), env_(env), checkpoint_every_(checkpoint_every) {}

std::unexpected<Error> AuditLog::Refuse(Event event, const Error& error) {
  event.allowed = false;
  if (event.reason.empty()) event.reason = error.message;
  event.outcome = std::string(ErrorCodeName(error.code));
  if (!Record(std::move(event)))
    return Fail(ErrorCode::kUnavailable, "the audit log cannot be written");
  return std::unexpected(error);
}

void AuditLog::Finish(Event& event, const Error* error) {
  event.outcome = error == nullptr ? "ok" : std::string(ErrorCodeName(error->code));
  // A refusal always says why; service messages never carry input or secrets.
  if (error != nullptr && event.reason.empty()) event.reason = error->message;
}

Result<Head> AuditLog::ReadHead(store::Transaction& tx) {
  ASSIGN_OR_RETURN(auto rows,
                   tx.Query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"));
  if (rows.empty()) {
    // Everything up to the newest checkpoint may have been pruned: the chain goes on from it.
    ASSIGN_OR_RETURN(rows, tx.Query("SELECT seq, head_hash FROM audit_checkpoints ORDER BY seq "
                                    "DESC LIMIT 1"));
  }
  Head head;
  if (rows.empty()) return head;
  const auto hash = rows.front().Blob(1);
  if (hash.size() != head.hash.size()) return Fail(ErrorCode::kDataLoss, "audit chain is damaged");
  head.sequence = rows.front().Int(0);
  std::copy(hash.begin(), hash.end(), head.hash.begin());
  return head;
}

Result<int64_t> AuditLog::Append(store::Transaction& tx, Event event) {
  if (inject_failure_) return Fail(ErrorCode::kUnavailable, "the audit log cannot be written");
  ASSIGN_OR_RETURN(auto head, ReadHead(tx));
  event.sequence = head.sequence + 1;
  event.time = clock_.Now();
  const std::string canonical = Canonical(event);
  Bytes chained(head.hash.begin(), head.hash.end());
  chained.insert(chained.end(), canonical.begin(), canonical.end());
  const auto hash = crypto::Sha256(chained);
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO audit_events (seq, time, actor_id, action, target_id, canonical, hash) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)",
              {event.sequence, FormatRfc3339(event.time), event.actor.account_id, event.action,
               event.target.id, canonical, Bytes(hash.begin(), hash.end())}));
  if (event.sequence % checkpoint_every_ == 0) {
    RETURN_IF_ERROR(WriteCheckpoint(tx, Head{event.sequence, hash}));
  }
  return event.sequence;
}

Result<int64_t> AuditLog::Record(Event event) {
  int64_t seq = 0;
  auto r = store_.Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(seq, Append(tx, event));
    return {};
  });
  if (!r) return Fail(ErrorCode::kUnavailable, "the audit log cannot be written");
  return seq;
}

void AuditLog::RecordAsync(Event event, std::function<void(Result<int64_t>)> done) {
  auto seq = std::make_shared<int64_t>(0);
  store_.WriteAsync(
      [this, event = std::move(event), seq](store::Transaction& tx) -> Result<void> {
        ASSIGN_OR_RETURN(*seq, Append(tx, event));
        return {};
      },
      [seq, done = std::move(done)](Result<void> r) {
        if (!r) {
          done(Fail(ErrorCode::kUnavailable, "the audit log cannot be written"));
        } else {
          done(*seq);
        }
      });
}

Result<void> AuditLog::WriteCheckpoint(store::Transaction& tx, const Head& head) {
  const auto time = FormatRfc3339(clock_.Now());
  ASSIGN_OR_RETURN(auto sig,
                   crypto::Sign(key_, CheckpointPayload(env_, head.sequence, head.hash, time)));
  RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO audit_checkpoints (seq, head_hash, time, key_id, signature) VALUES (?, ?, ?, ?, "
      "?) ON CONFLICT (seq) DO NOTHING",
      {head.sequence, Bytes(head.hash.begin(), head.hash.end()), time, key_.id(), std::move(sig)}));
  return {};
}

Result<void> AuditLog::Checkpoint() {
  return store_.Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto head, ReadHead(tx));
    if (head.sequence == 0) return {};
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query("SELECT 1 FROM audit_checkpoints WHERE seq = ?", {head.sequence}));
    if (!rows.empty()) return {};
    return WriteCheckpoint(tx, head);
  });
}

Result<void> AuditLog::Probe() {
  if (inject_failure_) return Fail(ErrorCode::kUnavailable, "the audit log cannot be written");
  auto r = store_.Write([&](store::Transaction& tx) {
    return store::SetMeta(tx, "audit_probe", FormatRfc3339(clock_.Now()));
  });
  if (!r) return Fail(ErrorCode::kUnavailable, "the audit log cannot be written");
  return {};
}

}  // namespace strongroom::audit
