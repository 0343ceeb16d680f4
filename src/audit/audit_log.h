#pragma once
// The audit log: every action of every user, durable before the answer, hash-chained, with signed
// checkpoints. Its events live in the audit journal (journal.h), not in the store.
//
// Guarantees:
// - `Append` stages an event inside the caller's write transaction: the store makes the batch's
//   events durable in the journal before it commits the data, and records the last journal
//   sequence it committed in the same commit (store.h's CommitSink). A change whose commit then
//   fails, or never happens because the process died between the two, is followed by an
//   `audit.change.not_committed` event naming the sequence of its event (written at once, or at
//   the next start). No change without its event; no event claiming a change that did not happen
//   without its correction.
// - `Record` appends an event on its own, straight to the journal (never through the store), and
//   returns once it is durable.
// - `Change` and `Observe` are the calls every domain service makes: `Change` runs a write and its
//   event in one transaction; `Observe` runs a read, then records its event, and returns the data
//   only once the event is durable. If the event cannot be written, both fail with kUnavailable
//   and nothing is changed or returned (fail closed).
// - Search reads the journal's index, brought up to the head first (journal_index.h); on a
//   database several nodes share, every node's copy there, this node's brought up to its head
//   first (audit_copy.h).
//
// Thread-safety: all methods may be called from any thread.

#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>

#include "audit/audit_copy.h"
#include "audit/event.h"
#include "audit/journal.h"
#include "audit/journal_index.h"
#include "audit/search.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/environment.h"
#include "common/error.h"
#include "crypto/signing.h"
#include "store/store.h"

namespace strongroom::audit {

// What a call answers, with kUnavailable, when its event cannot be made durable.
inline constexpr std::string_view kUnwritable = "the audit log cannot be written";

struct AuditOptions {
  std::filesystem::path journal;  // the journal's directory
  std::string node;               // this node's name, in every event it writes
  int checkpoint_every = 1000;
  int64_t segment_bytes = 64 << 20;
  // This process owns the instance (`serve`, maintenance with the instance lock): move an older
  // store's events into the journal and correct changes that did not commit. False for commands
  // that read beside a running service.
  bool owner = true;
  // The store is a database several nodes may share: copy the journal into it (audit_copy.h), and
  // search every node's copy there.
  bool copy_to_store = false;
};

// The options of a configured instance's audit log.
AuditOptions OptionsFrom(const Config& config, bool owner);

// Where the audit log stands: its head, how far the collector has acknowledged it, and the newest
// signed checkpoint (for the compliance report).
struct Standing {
  int64_t head = 0;                 // the newest event's sequence
  int64_t shipped = 0;              // acknowledged by the collector through this sequence
  std::string oldest_unshipped_at;  // the time of the first event after it; "" if none
  int64_t checkpointed = 0;         // the newest signed checkpoint's sequence
  std::string checkpointed_at;      // and its time; "" if none
};

class AuditLog final : public store::CommitSink {
 public:
  // Opens the journal and its index and attaches the log to `store` as its commit sink.
  // `store`, `clock` and `key` must outlive the log.
  static Result<std::unique_ptr<AuditLog>> Open(store::Store& store, const Clock& clock,
                                                const crypto::SigningKey& key, Environment env,
                                                AuditOptions options);
  ~AuditLog() override;  // detaches from the store

  Result<void> Append(store::Transaction& tx, Event event);
  Result<int64_t> Record(Event event);
  // As Record, without blocking: `done` runs on the journal's writer thread once the event is
  // durable (or failed), so it must be short. For callers that keep many appends in flight.
  void RecordAsync(Event event, std::function<void(Result<int64_t>)> done);

  // `fn` is called as fn(tx) or, when it must fill in the event (the policy's decision and
  // reason are known only once the data is read), as fn(tx, event).
  template <typename T, typename Fn>
  Result<T> Change(Event event, Fn&& change);
  // As Change, without waiting: the write is queued and `done` gets its outcome once the change
  // and its event are durable (on the store's writer thread), or once a refusal's event is (on
  // the journal's writer thread), or at once on the calling thread when the store is closed;
  // so it must be short and take no lock its caller may hold. `change` runs on the store's
  // writer, so it only writes: what can be worked out before (decisions that read nothing,
  // sealing) is the caller's, before this call.
  template <typename T, typename Fn>
  void ChangeAsync(Event event, Fn change, std::function<void(Result<T>)> done);
  template <typename T, typename Fn>
  Result<T> Observe(Event event, Fn&& read);
  // As Observe, without waiting: `answer` makes what is to be given from the data at once, on the
  // calling thread once the read is over (its failure is the call's, on the event); `done` gets
  // that once the event is durable, on the journal's writer thread (so it must be short), or
  // kUnavailable if the event could not be written.
  template <typename T, typename A, typename Fn>
  void ObserveAsync(Event event, Fn&& read, const std::function<Result<A>(T)>& answer,
                    std::function<void(Result<A>)> done);

  // Records a refusal (allowed = false; outcome the error's code; reason, if empty, its message)
  // and returns `error`, or kUnavailable if the event could not be written.
  std::unexpected<Error> Refuse(Event event, const Error& error);
  // As Refuse for a call that was allowed and then failed: `allowed` stays as decided.
  std::unexpected<Error> Failed(Event event, const Error& error);

  // Signs the head if it moved since the last checkpoint, and tells the store how far the journal
  // is settled (see the .cc).
  Result<void> Checkpoint();
  // Readiness: kUnavailable when the log cannot be written.
  Result<void> Probe();

  // kInvalidArgument for a query Search would refuse: its filters, and a cursor that is not this
  // log's kind (the journal index's, or the copy's across nodes).
  Result<void> CheckSearch(const SearchQuery& query) const;
  // Runs `query` as Observe runs a read, recorded as `event` (the search's own audit event).
  Result<SearchPage> ObserveSearch(Event event, const SearchQuery& query);
  // Runs `query` unrecorded (tests, and what the service does for itself).
  Result<SearchPage> Search(const SearchQuery& query);
  // Brings the copy in a shared database up to the head: none on the embedded store, nor in a
  // command beside a serving node (which searches what the nodes copied).
  Result<void> CopyToStore();
  Result<Standing> ReadStanding();

  Journal& journal() { return *journal_; }
  JournalIndex& index() { return *index_; }
  AuditCopy* copy() { return copy_.get(); }  // null unless the store is shared

  // store::CommitSink
  Result<std::vector<int64_t>> MakeDurable(std::vector<std::any> entries) override;
  void NotCommitted(const std::vector<int64_t>& sequences) override;
  const std::string& CommittedKey() const override { return committed_key_; }
  // The store's meta key under which the node `node` records its committed position.
  static std::string CommittedKeyFor(std::string_view node);

#ifdef STRONGROOM_TESTING
  // Test builds only: make every append fail, as a full or broken disk would.
  void InjectFailureForTest(bool fail) { journal_->InjectFailureForTest(fail); }
  // Test builds only: called at each step of making a change's events durable, on the store's
  // writer (0: before the journal write; 1: after it, before the store commits).
  void SetChangeHookForTest(std::function<void(int)> hook) { change_hook_ = std::move(hook); }
#endif

 private:
  AuditLog(store::Store& store, std::unique_ptr<Journal> journal,
           std::unique_ptr<JournalIndex> index, std::unique_ptr<AuditCopy> copy, bool owner);
  Result<SearchPage> SearchIn(store::Transaction& tx, const SearchQuery& query);
  Result<void> MoveOlderStoreEvents();
  Result<void> CheckNotBehind();
  Result<void> CorrectUncommitted();
  Result<void> WriteCorrections(const std::vector<int64_t>& sequences);
  static void Finish(Event& event, const Error* error);

  store::Store& store_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<JournalIndex> index_;
  std::unique_ptr<AuditCopy> copy_;
  const bool owner_;
  const std::string committed_key_;  // where the store records this journal's position
#ifdef STRONGROOM_TESTING
  std::function<void(int)> change_hook_;
#endif
  std::mutex owed_mu_;
  std::vector<int64_t> owed_;  // corrections not yet written; guarded by owed_mu_
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
void AuditLog::ChangeAsync(Event event, Fn change, std::function<void(Result<T>)> done) {
  struct State {
    Event event;
    Fn change;
    std::function<void(Result<T>)> done;
    std::optional<T> value;
    std::optional<Error> failure;
  };
  auto s = std::make_shared<State>(State{std::move(event), std::move(change), std::move(done)});
  store_.WriteAsync(
      [this, s, pristine = s->event](store::Transaction& tx) -> Result<void> {
        // Each attempt starts afresh, should a store ever run a transaction again.
        s->event = pristine;
        s->value.reset();
        s->failure.reset();
        Result<T> r = internal::CallWithEvent(s->change, tx, s->event);
        if (!r) {
          s->failure = r.error();
          return std::unexpected(r.error());
        }
        s->value.emplace(std::move(*r));
        Finish(s->event, nullptr);
        return Append(tx, s->event);
      },
      [this, s](Result<void> committed) {
        if (s->failure) {
          // The change was refused and rolled back; the refusal itself is still audited.
          Finish(s->event, &*s->failure);
          RecordAsync(std::move(s->event), [s](Result<int64_t> recorded) {
            s->done(recorded ? std::unexpected(*s->failure) : std::unexpected(recorded.error()));
          });
          return;
        }
        if (!committed) return s->done(Fail(ErrorCode::kUnavailable, std::string(kUnwritable)));
        s->done(std::move(*s->value));
      });
}

template <typename T, typename Fn>
Result<T> AuditLog::Change(Event event, Fn&& change) {
  std::promise<Result<T>> promise;
  auto future = promise.get_future();
  ChangeAsync<T>(
      std::move(event),
      [&change](store::Transaction& tx, Event& ev) {
        return internal::CallWithEvent(change, tx, ev);
      },
      [&promise](Result<T> r) { promise.set_value(std::move(r)); });
  return future.get();
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
    return Fail(ErrorCode::kUnavailable, std::string(kUnwritable));
  }
  return std::move(*result);
}

template <typename T, typename A, typename Fn>
void AuditLog::ObserveAsync(Event event, Fn&& read, const std::function<Result<A>(T)>& answer,
                            std::function<void(Result<A>)> done) {
  std::optional<Result<T>> data;
  auto read_done = store_.Read([&](store::Transaction& tx) -> Result<void> {
    data.emplace(internal::CallWithEvent(read, tx, event));
    return {};
  });
  if (!read_done) data.emplace(std::unexpected(read_done.error()));
  auto result = std::make_shared<Result<A>>(*data ? answer(std::move(**data))
                                                  : Result<A>(std::unexpected((*data).error())));
  Finish(event, *result ? nullptr : &result->error());
  RecordAsync(std::move(event), [result, done = std::move(done)](Result<int64_t> recorded) mutable {
    if (!recorded) {
      done(Fail(ErrorCode::kUnavailable, std::string(kUnwritable)));
    } else {
      done(std::move(*result));
    }
  });
}

}  // namespace strongroom::audit
