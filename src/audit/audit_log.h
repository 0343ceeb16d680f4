#pragma once
// The audit log: every action of every user, durable before the answer, hash-chained, with signed
// checkpoints.
//
// Guarantees:
// - `Append` adds an event inside the caller's write transaction, so a data change and its event
//   commit together or not at all. `Record` commits an event on its own and returns once it is
//   durable (group commit through the store's single writer).
// - `Change` and `Observe` are the calls every domain service makes: `Change` runs a write and its
//   event in one transaction; `Observe` runs a read, then records its event, and returns the data
//   only once the event is durable. If the event cannot be written, both fail with kUnavailable
//   and nothing is changed or returned (fail closed).
// - hash[n] = SHA-256(hash[n-1] || canonical(event[n])), hash[0] = 32 zero bytes. Sequence numbers
//   are assigned inside the writing transaction, so they are gapless across processes.
// - Every `checkpoint_every` events, and on `Checkpoint()` (called every 10 s by the server), the
//   head (sequence, hash, time) is signed with the Ed25519 audit key and stored.
//
// Thread-safety: all methods may be called from any thread.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>

#include "audit/event.h"
#include "common/clock.h"
#include "common/environment.h"
#include "common/error.h"
#include "crypto/hash.h"
#include "crypto/signing.h"
#include "store/store.h"

namespace strongroom::audit {

struct Head {
  int64_t sequence = 0;
  crypto::Sha256Digest hash{};
};

// The bytes a checkpoint's signature covers.
Bytes CheckpointPayload(Environment env, int64_t sequence, std::span<const uint8_t> head_hash,
                        std::string_view time);

class AuditLog {
 public:
  // `store`, `clock` and `key` must outlive the log.
  AuditLog(store::Store& store, const Clock& clock, const crypto::SigningKey& key, Environment env,
           int checkpoint_every = 1000);

  Result<int64_t> Append(store::Transaction& tx, Event event);
  Result<int64_t> Record(Event event);
  // As Record, without blocking: `done` runs on the store's writer thread once the event is
  // durable (or failed), so it must be short. For callers that keep many appends in flight.
  void RecordAsync(Event event, std::function<void(Result<int64_t>)> done);

  // `fn` is called as fn(tx) or, when it must fill in the event (the policy's decision and
  // reason are known only once the data is read), as fn(tx, event).
  template <typename T, typename Fn>
  Result<T> Change(Event event, Fn&& change);
  template <typename T, typename Fn>
  Result<T> Observe(Event event, Fn&& read);
  // As Observe, without waiting: `done` gets the data once its event is durable, on the store's
  // writer thread (so it must be short), or kUnavailable if the event could not be written.
  template <typename T, typename Fn>
  void ObserveAsync(Event event, Fn&& read, std::function<void(Result<T>)> done);

  // Records a refusal (allowed = false; outcome the error's code; reason, if empty, its message)
  // and returns `error`, or kUnavailable if the event could not be written.
  std::unexpected<Error> Refuse(Event event, const Error& error);

  // Signs the head if it moved since the last checkpoint.
  Result<void> Checkpoint();
  // Readiness: kUnavailable when the log cannot be written.
  Result<void> Probe();

#ifdef STRONGROOM_TESTING
  // Test builds only: make every append fail, as a full or broken disk would.
  void InjectFailureForTest(bool fail) { inject_failure_ = fail; }
#endif

 private:
  Result<Head> ReadHead(store::Transaction& tx);
  Result<void> WriteCheckpoint(store::Transaction& tx, const Head& head);
  static void Finish(Event& event, const Error* error);

  store::Store& store_;
  const Clock& clock_;
  const crypto::SigningKey& key_;
  const Environment env_;
  const int checkpoint_every_;
  std::atomic<bool> inject_failure_{false};
};

namespace internal {
template <typename Fn>
auto CallWithEvent(Fn& fn, store::Transaction& tx, Event& event) {
  if constexpr (std::is_invocable_v<Fn&, store::Transaction&, Event&>) {
    return fn(tx, event);
  } else {
    return fn(tx);
  }
}
}  // namespace internal

template <typename T, typename Fn>
Result<T> AuditLog::Change(Event event, Fn&& change) {
  std::optional<T> value;
  std::optional<Error> failure;
  auto committed = store_.Write([&](store::Transaction& tx) -> Result<void> {
    Result<T> r = internal::CallWithEvent(change, tx, event);
    if (!r) {
      failure = r.error();
      return std::unexpected(r.error());
    }
    value.emplace(std::move(*r));
    Finish(event, nullptr);
    ASSIGN_OR_RETURN(auto seq, Append(tx, event));
    (void)seq;
    return {};
  });
  if (failure) {
    // The change was refused and rolled back; the refusal itself is still audited.
    Finish(event, &*failure);
    RETURN_IF_ERROR(Record(std::move(event)));
    return std::unexpected(*failure);
  }
  if (!committed) return Fail(ErrorCode::kUnavailable, "the audit log cannot be written");
  return std::move(*value);
}

template <typename T, typename Fn>
Result<T> AuditLog::Observe(Event event, Fn&& read) {
  std::optional<Result<T>> result;
  auto done = store_.Read([&](store::Transaction& tx) -> Result<void> {
    result.emplace(internal::CallWithEvent(read, tx, event));
    return {};
  });
  if (!done) result.emplace(std::unexpected(done.error()));
  Finish(event, *result ? nullptr : &result->error());
  if (!Record(std::move(event))) {
    return Fail(ErrorCode::kUnavailable, "the audit log cannot be written");
  }
  return std::move(*result);
}

template <typename T, typename Fn>
void AuditLog::ObserveAsync(Event event, Fn&& read, std::function<void(Result<T>)> done) {
  auto result = std::make_shared<std::optional<Result<T>>>();
  auto read_done = store_.Read([&](store::Transaction& tx) -> Result<void> {
    result->emplace(internal::CallWithEvent(read, tx, event));
    return {};
  });
  if (!read_done) result->emplace(std::unexpected(read_done.error()));
  Finish(event, **result ? nullptr : &(*result)->error());
  RecordAsync(std::move(event), [result, done = std::move(done)](Result<int64_t> recorded) mutable {
    if (!recorded) {
      done(Fail(ErrorCode::kUnavailable, "the audit log cannot be written"));
    } else {
      done(std::move(**result));
    }
  });
}

}  // namespace strongroom::audit
