#include "audit/verifier.h"

#include <fmt/format.h>

#include <charconv>
#include <deque>
#include <functional>

#include "audit/audit_copy.h"
#include "audit/event.h"
#include "audit/journal.h"
#include "crypto/hash.h"
#include "crypto/signing.h"

namespace strongroom::audit {
namespace {

constexpr int kIndexPage = 5000;
constexpr int kCopyPage = 5000;

bool NamesSequence(std::string_view canonical, int64_t seq) {
  constexpr std::string_view kPrefix = "{\"seq\":";
  if (!canonical.starts_with(kPrefix)) return false;
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, seq);
  const std::string_view want(digits, static_cast<size_t>(end - digits));
  const auto rest = canonical.substr(kPrefix.size());
  return rest.starts_with(want) && rest.size() > want.size() && rest[want.size()] == ',';
}

bool SameHash(const crypto::Sha256Digest& a, const crypto::Sha256Digest& b) { return a == b; }

using NextRecord = std::function<Result<std::optional<JournalReader::Item>>()>;
// For a copy: what is wrong with an event whose chain holds, beside its text ("" if nothing).
using CheckCopied = std::function<std::string(const JournalRecord&)>;

// Walks a journal, or a node's copy of one, once, checking each record against the chain, and
// the journal's index (if given) alongside it.
class Walk {
 public:
  Walk(JournalIndex* index, std::span<const uint8_t> public_key, Environment env, int64_t committed,
       CheckCopied check_copied = {})
      : index_(index),
        check_copied_(std::move(check_copied)),
        public_key_(public_key),
        env_(env),
        committed_(committed) {}

  Result<VerifyReport> Run(const NextRecord& next) {
    if (index_) {
      ASSIGN_OR_RETURN(indexed_through_, index_->IndexedThrough());
    }
    while (report_.ok) {
      auto item = next();
      if (!item) {
        if (item.error().code != ErrorCode::kDataLoss) return std::unexpected(item.error());
        Flag(expected_, item.error().message);
        break;
      }
      if (!*item) break;
      Check((*item)->record, (*item)->at);
      first_ = false;
    }
    if (report_.ok) RETURN_IF_ERROR(RestOfIndex());
    return report_;
  }

 private:
  void Flag(int64_t seq, std::string problem) {
    if (!report_.ok) return;
    report_.ok = false;
    report_.first_bad_sequence = seq;
    report_.problem = std::move(problem);
  }

  void Check(const JournalRecord& r, Position at) {
    switch (r.kind) {
      case RecordKind::kCheckpoint:
        return CheckCheckpoint(r);
      case RecordKind::kSeal:
        if (r.sequence != expected_ - 1 || !SameHash(r.hash, prev_)) {
          Flag(expected_,
               "a segment's seal does not match the chain (events removed or rewritten)");
        }
        return;
      case RecordKind::kEvent:
        return CheckEvent(r, at);
    }
  }

  void CheckCheckpoint(const JournalRecord& r) {
    ++report_.checkpoints;
    CheckpointText c;
    if (!ParseCheckpointText(r.text, c) ||
        !crypto::VerifySignature(public_key_, CheckpointPayload(env_, r.sequence, r.hash, c.time),
                                 c.signature)) {
      Flag(r.sequence, "checkpoint signature does not verify");
      return;
    }
    if (first_ && r.sequence > 0) {
      // The oldest segment left by retention opens with the signed head it follows; retention
      // wrote into the journal how far it went (checked at the end).
      anchor_ = r.sequence;
      prev_ = r.hash;
      expected_ = r.sequence + 1;
      return;
    }
    if (r.sequence != expected_ - 1) {
      Flag(expected_, "a checkpoint names a head the chain is not at (events removed or added)");
    } else if (!SameHash(r.hash, prev_)) {
      Flag(r.sequence, "chain differs from the signed checkpoint (events rewritten)");
    } else {
      report_.signed_through = r.sequence;
    }
  }

  void CheckEvent(const JournalRecord& r, Position at) {
    if (r.sequence != expected_) {
      Flag(expected_, r.sequence > expected_ ? "event missing (deleted)"
                                             : "event out of order (inserted or reordered)");
      return;
    }
    if (!NamesSequence(r.text, r.sequence)) {
      Flag(r.sequence, "event text names another sequence (inserted or reordered)");
      return;
    }
    prev_ = crypto::Sha256Concat(
        prev_, std::span(reinterpret_cast<const uint8_t*>(r.text.data()), r.text.size()));
    if (!SameHash(prev_, r.hash)) {
      Flag(r.sequence, "hash does not match the chain (modified)");
      return;
    }
    ++report_.events;
    ++expected_;
    report_.head = r.sequence;
    report_.head_hash = r.hash;
    NoteRetention(r.text);
    if (index_) CheckIndex(r, at);
    if (check_copied_) {
      if (auto problem = check_copied_(r); !problem.empty()) Flag(r.sequence, std::move(problem));
    }
  }

  Result<void> Refill(int64_t from) {
    if (!rows_.empty() || index_done_) return {};
    ASSIGN_OR_RETURN(auto rows, index_->Rows(from, kIndexPage));
    if (rows.empty()) index_done_ = true;
    rows_.assign(rows.begin(), rows.end());
    return {};
  }

  // The index entry of event `r`, if the index covers it, must say what the event says.
  void CheckIndex(const JournalRecord& r, Position at) {
    if (auto f = Refill(r.sequence); !f) {
      Flag(r.sequence, "the audit index cannot be read: " + f.error().message);
      return;
    }
    while (!rows_.empty() && rows_.front().sequence < r.sequence) {
      if (report_.events > 1) {
        Flag(rows_.front().sequence, "the index names an event the journal does not hold");
        return;
      }
      rows_.pop_front();  // entries of segments retention has just removed: forgotten next
      if (auto f = Refill(r.sequence); !f) return;
    }
    if (rows_.empty() || rows_.front().sequence != r.sequence) {
      if (r.sequence <= indexed_through_) {
        Flag(r.sequence, "event missing from the index (deleted to hide it from search)");
      }
      return;
    }
    const auto row = std::move(rows_.front());
    rows_.pop_front();
    ++report_.index_entries;
    const auto keys = SearchKeysOf(r.text);
    if (!keys || row.time != keys->time || row.actor_id != keys->actor_id ||
        row.action != keys->action || row.target_id != keys->target_id ||
        row.at.segment != at.segment || row.at.offset != at.offset) {
      Flag(r.sequence, "index entry differs from the event (edited to hide it from search)");
    }
  }

  // An audit.retention.prune event says how far retention removed the journal.
  void NoteRetention(std::string_view text) {
    constexpr std::string_view kAction = "\"action\":\"audit.retention.prune\"";
    constexpr std::string_view kThrough = "\"through\":\"";
    if (text.find(kAction) == std::string_view::npos) return;
    const auto at = text.find(kThrough);
    if (at == std::string_view::npos) return;
    int64_t through = 0;
    const auto digits = text.substr(at + kThrough.size());
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), through);
    if (ec == std::errc() && end != digits.data() && *end == '"') {
      retained_from_ = std::max(retained_from_, through);
    }
  }

  Result<void> RestOfIndex() {
    if (index_) RETURN_IF_ERROR(Refill(expected_));
    if (!rows_.empty()) {
      Flag(rows_.front().sequence,
           "the index names an event the journal does not hold (journal truncated)");
    }
    if (anchor_ > retained_from_) {
      Flag(retained_from_ + 1, "segments are missing that retention did not remove");
    }
    if (committed_ >= expected_) {
      Flag(expected_,
           "events missing after this point (the journal ends before the store's last "
           "committed change)");
    }
    if (indexed_through_ >= expected_) {
      Flag(expected_, "events missing after this point (journal truncated behind its index)");
    }
    return {};
  }

  JournalIndex* const index_;  // null for a copy
  const CheckCopied check_copied_;
  std::span<const uint8_t> public_key_;
  Environment env_;
  const int64_t committed_;
  VerifyReport report_;
  crypto::Sha256Digest prev_{};
  int64_t expected_ = 1;
  bool first_ = true;
  int64_t indexed_through_ = 0;
  int64_t anchor_ = 0;         // the head the oldest segment left opens with (0: none)
  int64_t retained_from_ = 0;  // how far retention says it removed
  std::deque<IndexRow> rows_;
  bool index_done_ = false;
};

}  // namespace

Result<VerifyReport> Verify(const std::filesystem::path& journal_dir, JournalIndex& index,
                            std::span<const uint8_t> public_key, Environment env,
                            int64_t committed) {
  ASSIGN_OR_RETURN(auto reader, JournalReader::FromStart(journal_dir));
  auto report = Walk(&index, public_key, env, committed).Run([&reader] { return reader.Next(); });
  if (report) report->bytes = reader.bytes_read();
  return report;
}

Result<VerifyReport> VerifyCopy(store::Store& store, std::string_view node,
                                std::span<const uint8_t> public_key, Environment env,
                                const std::filesystem::path& journal_dir) {
  // Each event's search keys and node, as its text has them, once its chain holds: an edited key
  // would hide the event from a search, an event under another node's name would pass for that
  // node's.
  const std::string node_field = "\"node\":" + internal::Literal(node);
  CopiedRecord given;  // the keys of the record last given to the walk (its text moved out)
  const auto check = [&](const JournalRecord& r) -> std::string {
    const auto keys = SearchKeysOf(r.text);
    // Events an earlier version wrote, moved into the journal as they were, name no node: the
    // chain and the signatures vouch for them.
    const bool names_a_node = r.text.find("\"node\":") != std::string::npos;
    const auto at = r.text.find(node_field);
    const auto after = at == std::string::npos ? '\0' : r.text[at + node_field.size()];
    if (!keys || keys->time != given.time || keys->actor_id != given.actor_id ||
        keys->action != given.action || keys->target_id != given.target_id) {
      return "a copied event's search keys differ from its text (edited to hide it from search)";
    }
    if (names_a_node && after != ',' && after != '}') return "a copied event names another node";
    return "";
  };
  // One snapshot: rows retention removes meanwhile are not taken for a gap.
  std::optional<Result<VerifyReport>> report;
  RETURN_IF_ERROR(store.Read([&](store::Transaction& tx) -> Result<void> {
    std::deque<CopiedRecord> page;
    int64_t after = 0;
    auto after_kind = RecordKind::kEvent;
    bool done = false;
    report.emplace(Walk(nullptr, public_key, env, 0, check)
                       .Run([&]() -> Result<std::optional<JournalReader::Item>> {
                         if (page.empty() && !done) {
                           ASSIGN_OR_RETURN(auto rows,
                                            CopiedRecords(tx, node, after, after_kind, kCopyPage));
                           done = rows.empty();
                           page.assign(std::make_move_iterator(rows.begin()),
                                       std::make_move_iterator(rows.end()));
                         }
                         if (page.empty()) return std::nullopt;
                         given = std::move(page.front());
                         page.pop_front();
                         after = given.record.sequence;
                         after_kind = given.record.kind;
                         return JournalReader::Item{std::move(given.record), {}};
                       }));
    return {};
  }));
  if (!*report || !(*report)->ok || journal_dir.empty() || (*report)->head == 0) return *report;
  // The node's own journal vouches for its copy up to the copy's newest event: the same chain
  // hash there means the same events, checkpoint or none.
  auto& r = **report;
  const auto differs = [&](std::string problem) -> Result<VerifyReport> {
    r.ok = false;
    r.first_bad_sequence = r.head;
    r.problem = std::move(problem);
    return r;
  };
  ASSIGN_OR_RETURN(auto reader, JournalReader::From(journal_dir, r.head));
  for (;;) {
    ASSIGN_OR_RETURN(auto item, reader.Next());
    if (!item) return differs("the copy holds events this node's journal does not");
    if (item->record.kind != RecordKind::kEvent) continue;
    if (item->record.sequence != r.head || !SameHash(item->record.hash, r.head_hash)) {
      return differs("the copy differs from this node's journal (rewritten in the database)");
    }
    return r;
  }
}

}  // namespace strongroom::audit
