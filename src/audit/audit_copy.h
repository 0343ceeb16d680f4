#pragma once
// Every node's audit journal, copied into the database the nodes share (table `audit_copy`), so
// that a search on any node covers every node's events and `audit verify` on any node checks
// every node's chain. Only on PostgreSQL: a node on the embedded store is the only node, and its
// journal's own index serves it (journal_index.h).
//
// - The copy is derived, as the index is: each serving node copies its own journal's events and
//   checkpoints (not its seals), as they are (sequence, chain hash, canonical text), with the
//   index's search keys beside each event. It copies at each maintenance tick, at each round of
//   the behaviour watch (defense/audit_tail.h, four a second), before a search it answers
//   (outside the search's read) and as it stops: a search sees its own node's events at once and
//   another node's as of that node's last copy. One
//   catch-up copies at most kMaxRecordsPerCatchUp records (a journal copied for the first time
//   goes in over several ticks).
// - It is checked as the journal is, in one snapshot (verifier.h's VerifyCopy): the chain
//   recomputed from the texts, each checkpoint's Ed25519 signature, the sequence gapless from
//   the first event or from the signed checkpoint retention left, each event's search keys and
//   node as its text has them. Rows edited or added in the database are found at the next signed
//   checkpoint, rows removed from the middle as a gap; a node's copy is compared with its own
//   journal where that node verifies. Rows removed from a copy's end leave what remains valid:
//   the node copies them again at its next catch-up (it resumes after its newest row), and its
//   own verify says how far its copy reaches. Its journal and the collector remain the record.
// - Retention removes a node's rows with its journal's segments, keeping the checkpoint that
//   anchors what remains.
//
// Thread-safety: every method may be called from any thread.

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "audit/journal.h"
#include "audit/journal_format.h"
#include "audit/search.h"
#include "common/error.h"
#include "store/store.h"

namespace strongroom::audit {

// A copied record, with the search keys beside an event (JSON string literals; "" for a
// checkpoint).
struct CopiedRecord {
  JournalRecord record;
  std::string time, actor_id, action, target_id;
};

class AuditCopy {
 public:
  static constexpr int64_t kMaxRecordsPerCatchUp = 100'000;

  // `store` must outlive the copy.
  AuditCopy(store::Store& store, std::filesystem::path journal_dir, std::string node);

  // Copies this node's records after those the database holds, events up to `head` (at most
  // kMaxRecordsPerCatchUp of them); once it reaches `head`, forgets the node's events through
  // `pruned_through` (retention's, whose own event is then copied) and its checkpoints before it,
  // keeping the checkpoint at it to anchor the rest. Never inside a read of the store: it takes a
  // reader of its own, and one catch-up waits for another.
  Result<void> CatchUp(int64_t head, int64_t pruned_through = 0);
  // Runs `query` over every node's copy, newest first (by time, then node, then sequence), in
  // `tx`; the cursor is this search's own (CheckCopyCursor).
  static Result<SearchPage> Search(store::Transaction& tx, const SearchQuery& query);

  const std::string& node() const { return node_; }

 private:
  // False when it stopped at kMaxRecordsPerCatchUp, short of `head`.
  Result<bool> CatchUpLocked(int64_t head);

  store::Store& store_;
  const std::filesystem::path dir_;
  const std::string node_;

  std::mutex mu_;                        // one catch-up at a time; guards what follows
  std::optional<JournalReader> reader_;  // follows the journal from catch-up to catch-up
  int64_t reader_through_ = -1;          // the newest record copied when it last read
  int64_t removed_through_ = 0;          // retention's sequence last applied to the copy
};

// The nodes the database knows of, by name: those with a copy, and those whose changes it has
// committed (which copy theirs at their next tick or start).
Result<std::vector<std::string>> KnownNodes(store::Store& store);
// The sequence of `node`'s newest copied record (0 if none), in `tx`.
Result<int64_t> CopiedHead(store::Transaction& tx, std::string_view node);
// Up to `limit` of `node`'s copied records in journal order (sequence, then event before its
// checkpoint), after the record (`after`, `after_kind`), in `tx`.
Result<std::vector<CopiedRecord>> CopiedRecords(store::Transaction& tx, std::string_view node,
                                                int64_t after, RecordKind after_kind, int limit);

namespace internal {
// A search cursor over the copy: the last event a page returned.
struct CopyCursor {
  std::string time;  // as the index keeps it: a JSON string literal
  std::string node;
  int64_t sequence = 0;
};
std::string FormatCopyCursor(const CopyCursor& cursor);
// kInvalidArgument unless `text` is one FormatCopyCursor made.
Result<CopyCursor> ParseCopyCursor(std::string_view text);
// The parameterised statement over the copy for `query` (its cursor parsed into `after`); for
// tests of its plan.
SearchStatement BuildCopySearch(const SearchQuery& query, const std::optional<CopyCursor>& after);
}  // namespace internal

}  // namespace strongroom::audit
