#pragma once
// The audit journal: the audit log itself, as an append-only sequence of segment files in one
// directory (journal_format.h says what a record is).
//
// Guarantees:
// - One writer thread per process appends, with group commit: every entry queued while a batch
//   is being made durable goes into the next batch, which is one write() and one fdatasync().
//   An entry's `done` is told its sequence only once its bytes are durable.
// - hash[n] = SHA-256(hash[n-1] || canonical(event[n])), hash[0] = 32 zero bytes. The writer
//   assigns each event its sequence, time and node, so sequence order is time order.
// - Every `checkpoint_every` events, on `Checkpoint()`, and at the head of every new segment, the
//   head is signed with the Ed25519 audit key and written as a checkpoint record.
// - Several processes may append to one journal (a `strongroom audit search` while `serve` runs):
//   each batch is written under an exclusive flock of `lock` in the directory, and a writer first
//   catches up with records another process appended (or a segment it sealed).
// - At open, a record cut short at the end of the last segment (a crash mid-write; only bytes
//   never acknowledged can be there) is cut off. A record damaged in the middle is left for
//   `audit verify` to name.
// - If a batch cannot be written (disk full, file size limit), the bytes written are cut off
//   again, every entry of the batch fails (kUnavailable), and the next batch tries afresh: service
//   resumes by itself when space returns.
//
// Thread-safety: every public method may be called from any thread.

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "audit/event.h"
#include "audit/journal_format.h"
#include "common/clock.h"
#include "common/environment.h"
#include "common/error.h"
#include "crypto/hash.h"
#include "crypto/signing.h"

namespace strongroom::audit {

struct Head {
  int64_t sequence = 0;
  crypto::Sha256Digest hash{};
};

// A signed checkpoint: the head it signs, and when.
struct SignedHead {
  int64_t sequence = 0;
  std::string time;
  crypto::Sha256Digest hash{};
};

// The bytes a checkpoint's signature covers.
Bytes CheckpointPayload(Environment env, int64_t sequence, std::span<const uint8_t> head_hash,
                        std::string_view time);

struct JournalOptions {
  std::filesystem::path dir;
  std::string node;  // the writer's name, in every event it writes
  int checkpoint_every = 1000;
  int64_t segment_bytes = 64 << 20;
};

// Where a record lies: its segment (named by the first sequence it was opened for) and offset.
struct Position {
  int64_t segment = 0;
  int64_t offset = 0;
};

// The segments in `dir`, oldest first.
Result<std::vector<int64_t>> ListSegments(const std::filesystem::path& dir);
std::filesystem::path SegmentPath(const std::filesystem::path& dir, int64_t segment);

class Journal {
 public:
  using Done = std::function<void(Result<int64_t>)>;
  struct Entry {
    Event event;
    uint8_t flags = 0;  // kChange for a store change's event
    Done done;          // runs on the writer thread: keep it short
  };

  // Opens the journal in `opts.dir` (created 0700 if absent). `clock` and `key` must outlive it.
  static Result<std::unique_ptr<Journal>> Open(JournalOptions opts, const Clock& clock,
                                               const crypto::SigningKey& key, Environment env);
  ~Journal();  // writes what is queued, then stops the writer

  void Append(std::vector<Entry> entries);
  // Appends one event and returns its sequence once it is durable.
  Result<int64_t> AppendAndWait(Event event, uint8_t flags = 0);
  // Appends records made elsewhere, as they are (events moved from an older store, with their
  // hashes), then makes them durable. The first must follow the head.
  Result<void> Import(std::vector<JournalRecord> records);
  // Signs the head if it moved since the last checkpoint.
  Result<void> Checkpoint();
  // kUnavailable while the journal cannot be written; tries a write when the last one failed.
  Result<void> Probe();

  // The newest durable event: records up to it are complete on disk.
  Head DurableHead() const;
  // The newest signed checkpoint this process knows of.
  SignedHead LastCheckpoint() const;
  const std::filesystem::path& dir() const { return opts_.dir; }
  const std::string& node() const { return opts_.node; }
  const crypto::SigningKey& key() const { return key_; }
  Environment environment() const { return env_; }

#ifdef STRONGROOM_TESTING
  // Test builds only: make every write fail, as a full or broken disk would.
  void InjectFailureForTest(bool fail);
  // Bytes cut off the end at open (a torn tail).
  int64_t CutAtOpenForTest() const { return cut_at_open_; }
#endif

 private:
  struct Request {
    std::vector<Entry> entries;
    std::vector<JournalRecord> imported;
    bool checkpoint = false;
    std::function<void(Result<void>)> finished;  // for checkpoints, imports and probes
  };

  Journal(JournalOptions opts, const Clock& clock, const crypto::SigningKey& key, Environment env,
          int lock_fd);
  Result<void> LoadTail();
  Result<void> OpenSegment(int64_t segment);
  Result<void> CatchUp(bool at_open);
  Result<void> Rotate();
  Result<void> WriteDurably(const std::string& bytes);
  void Undo();
  void Submit(Request request);
  void WriterLoop();
  void WriteBatch(std::vector<Request>& batch);
  JournalRecord SignedCheckpoint(const Head& head);
  void Apply(const JournalRecord& r);

  const JournalOptions opts_;
  const Clock& clock_;
  const crypto::SigningKey& key_;
  const Environment env_;
  const int lock_fd_;

  // The writer thread's own state (and Open's, before it starts).
  int fd_ = -1;          // the active segment
  int64_t segment_ = 0;  // its name
  int64_t end_ = 0;      // the offset after its last complete record
  bool sealed_ = false;
  Head head_;
  int64_t checkpointed_ = 0;
  std::string checkpointed_at_;
  crypto::Sha256Digest checkpointed_hash_{};
  int64_t cut_at_open_ = 0;
  bool broken_ = false;  // a failed write could not be undone

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;    // guarded by mu_
  bool stopping_ = false;        // guarded by mu_
  Head durable_;                 // guarded by mu_
  SignedHead last_checkpoint_;   // guarded by mu_
  bool failing_ = false;         // guarded by mu_
  bool inject_failure_ = false;  // guarded by mu_
  std::thread writer_;
};

// Reads a journal's records in order, following it as it grows: at the end of what is written,
// Next answers nullopt and a later call goes on from there. Not thread-safe; one per follower.
class JournalReader {
 public:
  // From the start of the oldest segment.
  static Result<JournalReader> FromStart(const std::filesystem::path& dir);
  // From the segment that holds event `sequence`, skipping records before it.
  static Result<JournalReader> From(const std::filesystem::path& dir, int64_t sequence);
  // From a record's position (from the index).
  static Result<JournalReader> At(const std::filesystem::path& dir, Position at);

  JournalReader(JournalReader&&) noexcept;
  JournalReader& operator=(JournalReader&&) = delete;
  ~JournalReader();

  struct Item {
    JournalRecord record;
    Position at;
  };
  // The next record, if complete and (for an event) at most `up_to`. A damaged record, or a
  // segment that ends without its seal while a later one exists, is kDataLoss naming where;
  // `Skip` moves past it. Other errors (a read that fails) are returned as they are.
  Result<std::optional<Item>> Next(int64_t up_to = INT64_MAX);
  void Skip();
  // Bytes read so far.
  int64_t bytes_read() const { return bytes_read_; }

 private:
  JournalReader(std::filesystem::path dir, int64_t segment);
  Result<void> Fill();
  Result<bool> NextSegment();
  Result<std::optional<Item>> AtEnd(size_t left);

  std::filesystem::path dir_;
  int64_t segment_ = 0;
  int fd_ = -1;
  int64_t file_offset_ = 0;  // of buf_[0]
  std::string buf_;
  size_t pos_ = 0;
  int64_t skip_before_ = 0;    // events before this sequence are passed over
  size_t damaged_size_ = 0;    // of the damaged record Next reported, if its length is known
  bool resync_ = false;        // looking for the next whole record after damage
  bool unsealed_end_ = false;  // Next reported a segment that ended without its seal
  int64_t bytes_read_ = 0;
};

// Reads the one record at `at`.
Result<JournalRecord> ReadRecordAt(const std::filesystem::path& dir, Position at);

}  // namespace strongroom::audit
