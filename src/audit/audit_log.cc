#include "audit/audit_log.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <future>
#include <set>

#include "store/meta.h"

namespace strongroom::audit {
namespace {

constexpr std::string_view kNotCommitted = "audit.change.not_committed";

std::unexpected<Error> Unwritable() {
  return Fail(ErrorCode::kUnavailable, std::string(kUnwritable));
}

Event Correction(int64_t sequence) {
  auto e = SystemEvent(std::string(kNotCommitted), {"audit", std::to_string(sequence), ""},
                       "the change that event records was not committed: the store did not "
                       "commit it after the event was written");
  e.detail = {{"sequence", std::to_string(sequence)}};
  return e;
}

Result<bool> TableExists(store::Store& store, std::string_view table) {
  return store::ReadValue<bool>(
      store, [&](store::Transaction& tx) { return store::TableExists(tx, table); });
}

}  // namespace

AuditOptions OptionsFrom(const Config& config, bool owner) {
  AuditOptions o;
  o.journal = AuditJournalPath(config);
  o.node = AuditNodeName(config);
  o.checkpoint_every = config.audit.checkpoint_every;
  o.segment_bytes = int64_t{config.audit.segment_kib} * 1024;
  o.owner = owner;
  o.copy_to_store = config.store.shared();
  return o;
}

AuditLog::AuditLog(store::Store& store, std::unique_ptr<Journal> journal,
                   std::unique_ptr<JournalIndex> index, std::unique_ptr<AuditCopy> copy, bool owner)
    : store_(store),
      journal_(std::move(journal)),
      index_(std::move(index)),
      copy_(std::move(copy)),
      owner_(owner),
      committed_key_(CommittedKeyFor(journal_->node())) {}

std::string AuditLog::CommittedKeyFor(std::string_view node) {
  return "audit_journal_committed/" + std::string(node);
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(store::Store& store, const Clock& clock,
                                                 const crypto::SigningKey& key, Environment env,
                                                 AuditOptions options) {
  ASSIGN_OR_RETURN(auto journal, Journal::Open({options.journal, options.node,
                                                options.checkpoint_every, options.segment_bytes},
                                               clock, key, env));
  ASSIGN_OR_RETURN(auto index, JournalIndex::Open(options.journal));
  auto copy = options.copy_to_store
                  ? std::make_unique<AuditCopy>(store, options.journal, options.node)
                  : nullptr;
  std::unique_ptr<AuditLog> log(
      new AuditLog(store, std::move(journal), std::move(index), std::move(copy), options.owner));
  if (options.owner) {
    RETURN_IF_ERROR(log->MoveOlderStoreEvents());
    RETURN_IF_ERROR(log->CheckNotBehind());
    RETURN_IF_ERROR(log->CorrectUncommitted());
  } else {
    ASSIGN_OR_RETURN(bool older, TableExists(store, "audit_events"));
    if (older) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "the audit log is still in the store: start the service once to move it");
    }
  }
  store.SetCommitSink(log.get());
  return log;
}

AuditLog::~AuditLog() { store_.SetCommitSink(nullptr); }

// An instance written by an earlier version kept its events in the store's audit_events table.
// They move into the journal as they are (text and hash), with their checkpoints, so the chain
// goes on across the join; then the tables go. A crash part-way resumes from the journal's head.
Result<void> AuditLog::MoveOlderStoreEvents() {
  ASSIGN_OR_RETURN(bool older, TableExists(store_, "audit_events"));
  if (!older) return {};
  int64_t moved = 0;
  int64_t pruned = 0;  // how far the earlier version's retention went
  for (;;) {
    const auto head = journal_->DurableHead();
    std::vector<JournalRecord> records;
    RETURN_IF_ERROR(store_.Read([&](store::Transaction& tx) -> Result<void> {
      if (head.sequence == 0) {
        // Everything up to a checkpoint may have been pruned: that checkpoint anchors the rest.
        ASSIGN_OR_RETURN(auto pruned_at, store::GetMeta(tx, "audit_pruned_through"));
        if (pruned_at && std::stoll(*pruned_at) > 0) {
          ASSIGN_OR_RETURN(auto cp, tx.Query("SELECT seq, head_hash, time, key_id, signature FROM "
                                             "audit_checkpoints WHERE seq = ?",
                                             {std::stoll(*pruned_at)}));
          if (cp.empty() || cp.front().Blob(1).size() != 32) {
            return Fail(ErrorCode::kDataLoss,
                        "the checkpoint that anchors the older audit log is missing");
          }
          JournalRecord anchor{RecordKind::kCheckpoint, 0, cp.front().Int(0), {}, ""};
          const auto h = cp.front().Blob(1);
          std::copy(h.begin(), h.end(), anchor.hash.begin());
          anchor.text =
              FormatCheckpointText({cp.front().Text(2), cp.front().Text(3), cp.front().Blob(4)});
          pruned = anchor.sequence;
          records.push_back(std::move(anchor));
        }
      }
      ASSIGN_OR_RETURN(auto rows,
                       tx.Query("SELECT e.seq, e.canonical, e.hash, c.time, c.head_hash, c.key_id, "
                                "c.signature FROM audit_events e LEFT JOIN audit_checkpoints c ON "
                                "c.seq = e.seq WHERE e.seq > ? ORDER BY e.seq LIMIT 5000",
                                {head.sequence}));
      for (const auto& r : rows) {
        JournalRecord e{RecordKind::kEvent, 0, r.Int(0), {}, r.Text(1)};
        const auto h = r.Blob(2);
        if (h.size() == e.hash.size()) std::copy(h.begin(), h.end(), e.hash.begin());
        records.push_back(std::move(e));
        if (!r.IsNull(3)) {
          JournalRecord c{RecordKind::kCheckpoint, 0, r.Int(0), {}, ""};
          const auto ch = r.Blob(4);
          if (ch.size() == c.hash.size()) std::copy(ch.begin(), ch.end(), c.hash.begin());
          c.text = FormatCheckpointText({r.Text(3), r.Text(5), r.Blob(6)});
          records.push_back(std::move(c));
        }
      }
      return {};
    }));
    if (records.empty()) break;
    moved += static_cast<int64_t>(records.size());
    RETURN_IF_ERROR(journal_->Import(std::move(records)));
  }
  if (pruned > 0) {
    // Recorded as retention records itself, so that verify knows the journal starts there.
    auto e = SystemEvent("audit.retention.prune", {"audit", "", ""},
                         "removed by an earlier version's retention before the move");
    e.detail = {{"through", std::to_string(pruned)}, {"segments", "0"}};
    RETURN_IF_ERROR(journal_->AppendAndWait(std::move(e)));
    RETURN_IF_ERROR(index_->RemoveThrough(pruned));
  }
  int64_t shipped = 0;
  RETURN_IF_ERROR(store_.Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto v, store::GetMeta(tx, "audit_shipped_seq"));
    if (v) shipped = std::stoll(*v);
    return {};
  }));
  ASSIGN_OR_RETURN(int64_t already, index_->Shipped());
  if (shipped > already) RETURN_IF_ERROR(index_->SetShipped(shipped));
  const auto head = journal_->DurableHead();
  RETURN_IF_ERROR(store_.Write([&](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("DROP TABLE audit_events"));
    RETURN_IF_ERROR(tx.Exec("DROP TABLE IF EXISTS audit_checkpoints"));
    RETURN_IF_ERROR(
        tx.Exec("DELETE FROM meta WHERE key IN ('audit_shipped_seq', "
                "'audit_pruned_through', 'audit_probe')"));
    return store::SetMeta(tx, committed_key_, std::to_string(head.sequence));
  }));
  spdlog::info("audit log: moved {} records from the store into the journal", moved);
  return {};
}

// The store recorded committing changes up to a sequence, and the index was built up to one:
// a journal that ends before either was cut after they were written. Appending to it would
// reuse those sequence numbers: refused (fail closed), for audit verify to say where.
Result<void> AuditLog::CheckNotBehind() {
  const int64_t head = journal_->DurableHead().sequence;
  int64_t committed = 0;
  RETURN_IF_ERROR(store_.Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto v, store::GetMeta(tx, committed_key_));
    if (v) {
      committed = std::stoll(*v);
      return {};
    }
    // A journal with events, no position for this node, but one for another: the node was
    // renamed (a host name, say). Going on would take every change in the journal for one that
    // never committed. (A new journal registers its node below, so that a node killed before
    // its first checkpoint, its journal holding only its start, is not taken for one renamed
    // where other nodes serve.)
    if (head == 0) return {};
    const auto prefix = CommittedKeyFor("");
    ASSIGN_OR_RETURN(auto others, store::MetaWithPrefix(tx, prefix));
    if (!others.empty()) {
      return Fail(ErrorCode::kFailedPrecondition,
                  fmt::format("the store records its audit journal's position for node \"{0}\", "
                              "not \"{1}\": set [audit] node = \"{0}\", the name the journal "
                              "was written under",
                              others.front().first.substr(prefix.size()), journal_->node()));
    }
    return {};
  }));
  if (head == 0 && committed == 0) {
    RETURN_IF_ERROR(store_.Write([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto v, store::GetMeta(tx, committed_key_));
      if (v) return {};
      return store::SetMeta(tx, committed_key_, "0");
    }));
  }
  ASSIGN_OR_RETURN(int64_t indexed, index_->IndexedThrough());
  if (committed > head || indexed > head) {
    return Fail(ErrorCode::kDataLoss,
                fmt::format("the audit journal ends at {} but the store committed changes up to "
                            "{} and the index holds events up to {}: it was cut; run strongroom "
                            "audit verify",
                            head, committed, indexed));
  }
  return {};
}

// Change events after the store's committed position whose data never committed (the process
// died between the journal and the commit) get their correction, unless an earlier start wrote
// it already.
Result<void> AuditLog::CorrectUncommitted() {
  int64_t committed = 0;
  RETURN_IF_ERROR(store_.Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto v, store::GetMeta(tx, committed_key_));
    if (v) committed = std::stoll(*v);
    return {};
  }));
  const auto head = journal_->DurableHead();
  if (committed < head.sequence) {
    std::vector<int64_t> uncommitted;
    std::set<std::string> corrected;
    ASSIGN_OR_RETURN(auto reader, JournalReader::From(journal_->dir(), committed + 1));
    for (;;) {
      auto item = reader.Next(head.sequence);
      if (!item) {
        if (item.error().code != ErrorCode::kDataLoss) return std::unexpected(item.error());
        // Damage is for audit verify to name; it does not stop the service starting.
        spdlog::error("audit journal: {}", item.error().message);
        reader.Skip();
        continue;
      }
      if (!*item) break;
      const auto& r = (*item)->record;
      if (r.kind != RecordKind::kEvent) continue;
      if ((r.flags & kChange) != 0) uncommitted.push_back(r.sequence);
      const auto keys = SearchKeysOf(r.text);
      if (keys && keys->action == fmt::format("\"{}\"", kNotCommitted)) {
        corrected.insert(std::string(keys->target_id));
      }
    }
    std::erase_if(uncommitted,
                  [&](int64_t s) { return corrected.contains(fmt::format("\"{}\"", s)); });
    if (!uncommitted.empty()) {
      spdlog::warn("audit log: {} change(s) were written to the journal but never committed",
                   uncommitted.size());
    }
    RETURN_IF_ERROR(WriteCorrections(uncommitted));
  }
  return Checkpoint();
}

Result<void> AuditLog::WriteCorrections(const std::vector<int64_t>& sequences) {
  for (int64_t s : sequences) {
    ASSIGN_OR_RETURN(auto seq, journal_->AppendAndWait(Correction(s)));
    (void)seq;
  }
  return {};
}

Result<std::vector<int64_t>> AuditLog::MakeDurable(std::vector<std::any> entries) {
  if (!owner_) {
    // Its committed position is the owner's to record: a change from beside it would race it.
    return Fail(ErrorCode::kFailedPrecondition,
                "changes are made only by the process that owns the instance");
  }
  {
    // Corrections still owed go first: the store's committed position moves past them next.
    std::lock_guard lock(owed_mu_);
    if (!owed_.empty()) {
      RETURN_IF_ERROR(WriteCorrections(owed_));
      owed_.clear();
    }
  }
  const size_t n = entries.size();
  std::vector<std::promise<Result<int64_t>>> promises(n);
  std::vector<Journal::Entry> batch;
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto* event = std::any_cast<Event>(&entries[i]);
    if (event == nullptr) return Fail(ErrorCode::kInternal, "audit: staged entry is not an event");
    batch.push_back({std::move(*event), kChange,
                     [p = &promises[i]](Result<int64_t> r) { p->set_value(std::move(r)); }});
  }
#ifdef STRONGROOM_TESTING
  if (change_hook_) change_hook_(0);
#endif
  journal_->Append(std::move(batch));
  std::vector<int64_t> sequences;
  sequences.reserve(n);
  std::optional<Error> failed;
  for (auto& p : promises) {
    auto r = p.get_future().get();
    if (r) {
      sequences.push_back(*r);
    } else {
      failed = r.error();
    }
  }
  if (failed) return Unwritable();
#ifdef STRONGROOM_TESTING
  if (change_hook_) change_hook_(1);
#endif
  return sequences;
}

void AuditLog::NotCommitted(const std::vector<int64_t>& sequences) {
  if (auto r = WriteCorrections(sequences); !r) {
    spdlog::critical("audit log: {} uncommitted change(s) await their correction",
                     sequences.size());
    std::lock_guard lock(owed_mu_);
    owed_.insert(owed_.end(), sequences.begin(), sequences.end());
  }
}

std::unexpected<Error> AuditLog::Refuse(Event event, const Error& error) {
  event.allowed = false;
  if (event.reason.empty()) event.reason = error.message;
  event.outcome = std::string(ErrorCodeName(error.code));
  if (!Record(std::move(event))) return Unwritable();
  return std::unexpected(error);
}

std::unexpected<Error> AuditLog::Failed(Event event, const Error& error) {
  Finish(event, &error);
  if (!Record(std::move(event))) return Unwritable();
  return std::unexpected(error);
}

void AuditLog::Finish(Event& event, const Error* error) {
  event.outcome = error == nullptr ? "ok" : std::string(ErrorCodeName(error->code));
  // A refusal always says why; service messages never carry input or secrets.
  if (error != nullptr && event.reason.empty()) event.reason = error->message;
}

Result<void> AuditLog::Append(store::Transaction& tx, Event event) {
  return tx.Stage(std::move(event));
}

Result<int64_t> AuditLog::Record(Event event) {
  auto r = journal_->AppendAndWait(std::move(event));
  if (!r) return Unwritable();
  return r;
}

void AuditLog::RecordAsync(Event event, std::function<void(Result<int64_t>)> done) {
  std::vector<Journal::Entry> entries;
  entries.push_back({std::move(event), 0,
                     [done = std::move(done)](Result<int64_t> r) { done(r ? r : Unwritable()); }});
  journal_->Append(std::move(entries));
}

// Besides signing, tells the store that the journal is settled up to its head: this runs on the
// store's writer, so no batch is between its journal write and its commit, and every change event
// up to the head has committed or been corrected. The next start then reads only what follows.
Result<void> AuditLog::Checkpoint() {
  RETURN_IF_ERROR(journal_->Checkpoint());
  {
    std::lock_guard lock(owed_mu_);
    if (!owed_.empty()) {
      RETURN_IF_ERROR(WriteCorrections(owed_));
      owed_.clear();
    }
  }
  // Only the owner: a reader beside a running service cannot know what its writer has in flight.
  if (!owner_) return {};
  return store_.Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto v, store::GetMeta(tx, committed_key_));
    int64_t head = journal_->DurableHead().sequence;
    {
      // Never past a change whose correction is still owed: the next start must find it.
      std::lock_guard lock(owed_mu_);
      for (int64_t owed : owed_) head = std::min(head, owed - 1);
    }
    if (v && std::stoll(*v) >= head) return {};
    return store::SetMeta(tx, committed_key_, std::to_string(head));
  });
}

Result<void> AuditLog::Probe() {
  if (!journal_->Probe()) return Unwritable();
  return {};
}

Result<void> AuditLog::CheckSearch(const SearchQuery& query) const {
  if (!copy_) {
    RETURN_IF_ERROR(CheckQuery(query));
    return {};
  }
  RETURN_IF_ERROR(CheckFilters(query));
  if (!query.cursor.empty()) RETURN_IF_ERROR(internal::ParseCopyCursor(query.cursor));
  return {};
}

// The copy is brought up to the head before the read the search runs in, never inside it (a
// catch-up takes a reader of its own).
Result<SearchPage> AuditLog::SearchIn(store::Transaction& tx, const SearchQuery& query) {
  RETURN_IF_ERROR(CheckSearch(query));
  if (copy_) return AuditCopy::Search(tx, query);
  RETURN_IF_ERROR(index_->CatchUp(journal_->DurableHead().sequence));
  return index_->Search(query);
}

Result<SearchPage> AuditLog::Search(const SearchQuery& query) {
  RETURN_IF_ERROR(CopyToStore());
  return store::ReadValue<SearchPage>(store_,
                                      [&](store::Transaction& tx) { return SearchIn(tx, query); });
}

Result<SearchPage> AuditLog::ObserveSearch(Event event, const SearchQuery& query) {
  if (auto copied = CopyToStore(); !copied) return Failed(std::move(event), copied.error());
  return Observe<SearchPage>(std::move(event),
                             [&](store::Transaction& tx) { return SearchIn(tx, query); });
}

// Only the owner copies: a command beside a serving node searches what the nodes copied.
Result<void> AuditLog::CopyToStore() {
  if (!copy_ || !owner_) return {};
  ASSIGN_OR_RETURN(int64_t pruned, index_->PrunedThrough());
  return copy_->CatchUp(journal_->DurableHead().sequence, pruned);
}

Result<Standing> AuditLog::ReadStanding() {
  Standing s;
  s.head = journal_->DurableHead().sequence;
  ASSIGN_OR_RETURN(s.shipped, index_->Shipped());
  const auto signed_head = journal_->LastCheckpoint();
  s.checkpointed = signed_head.sequence;
  s.checkpointed_at = signed_head.time;
  if (s.shipped < s.head) {
    ASSIGN_OR_RETURN(auto reader, JournalReader::From(journal_->dir(), s.shipped + 1));
    for (;;) {
      ASSIGN_OR_RETURN(auto item, reader.Next(s.head));
      if (!item) break;
      if (item->record.kind != RecordKind::kEvent) continue;
      const auto keys = SearchKeysOf(item->record.text);
      if (keys && keys->time.size() >= 2) {
        s.oldest_unshipped_at = std::string(keys->time.substr(1, keys->time.size() - 2));
      }
      break;
    }
  }
  return s;
}

}  // namespace strongroom::audit
