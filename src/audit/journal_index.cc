#include "audit/journal_index.h"

#include <spdlog/spdlog.h>

#include "store/meta.h"

namespace strongroom::audit {
namespace {

constexpr int kBatch = 5000;

constexpr const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS audit_events (seq INTEGER PRIMARY KEY, time TEXT NOT NULL, "
    "actor_id TEXT NOT NULL, action TEXT NOT NULL, target_id TEXT NOT NULL, segment INTEGER NOT "
    "NULL, offset INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS audit_events_actor ON audit_events (actor_id, seq)",
    "CREATE INDEX IF NOT EXISTS audit_events_action ON audit_events (action, seq)",
    "CREATE INDEX IF NOT EXISTS audit_events_target ON audit_events (target_id, seq)",
    "CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events (time, seq)",
};

}  // namespace

JournalIndex::JournalIndex(std::filesystem::path dir, std::unique_ptr<store::SqliteStore> db)
    : dir_(std::move(dir)), db_(std::move(db)) {}

JournalIndex::~JournalIndex() {
  if (db_) db_->Close();
}

Result<std::unique_ptr<JournalIndex>> JournalIndex::Open(const std::filesystem::path& dir) {
  ASSIGN_OR_RETURN(auto db, store::SqliteStore::Open({dir / "index.db", 2, 64}));
  RETURN_IF_ERROR(db->Write([](store::Transaction& tx) -> Result<void> {
    for (const char* sql : kSchema) RETURN_IF_ERROR(tx.Exec(sql));
    return {};
  }));
  return std::unique_ptr<JournalIndex>(new JournalIndex(dir, std::move(db)));
}

Result<int64_t> JournalIndex::GetCounter(std::string_view key) {
  return store::ReadValue<int64_t>(*db_, [&](store::Transaction& tx) -> Result<int64_t> {
    ASSIGN_OR_RETURN(auto v, store::GetMeta(tx, key));
    return v ? std::stoll(*v) : 0;
  });
}

Result<int64_t> JournalIndex::IndexedThrough() { return GetCounter("indexed_through"); }
Result<int64_t> JournalIndex::Shipped() { return GetCounter("shipped"); }
Result<int64_t> JournalIndex::PrunedThrough() { return GetCounter("pruned_through"); }

Result<void> JournalIndex::SetShipped(int64_t sequence) {
  return db_->Write([&](store::Transaction& tx) {
    return store::SetMeta(tx, "shipped", std::to_string(sequence));
  });
}

Result<void> JournalIndex::RemoveThrough(int64_t sequence) {
  return db_->Write([&](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("DELETE FROM audit_events WHERE seq <= ?", {sequence}));
    return store::SetMeta(tx, "pruned_through", std::to_string(sequence));
  });
}

Result<void> JournalIndex::CatchUp(int64_t head) {
  std::lock_guard lock(catch_up_mu_);
  ASSIGN_OR_RETURN(int64_t through, IndexedThrough());
  if (through >= head) return {};
  if (!reader_ || reader_through_ != through) {
    // First use, or another process indexed further: start again where the index ends.
    ASSIGN_OR_RETURN(auto reader, JournalReader::From(dir_, through + 1));
    reader_.emplace(std::move(reader));
  }
  for (;;) {
    std::vector<IndexRow> rows;
    while (rows.size() < kBatch) {
      auto item = reader_->Next(head);
      if (!item) {
        if (item.error().code != ErrorCode::kDataLoss) {
          reader_.reset();
          return std::unexpected(item.error());
        }
        // A damaged record cannot be indexed; audit verify names it.
        spdlog::error("audit index: {}", item.error().message);
        reader_->Skip();
        continue;
      }
      if (!*item) break;
      const auto& r = (*item)->record;
      if (r.kind != RecordKind::kEvent || r.sequence <= through) continue;
      const auto keys = SearchKeysOf(r.text);
      if (!keys) continue;  // not an event's shape: verify names it
      rows.push_back({r.sequence, std::string(keys->time), std::string(keys->actor_id),
                      std::string(keys->action), std::string(keys->target_id), (*item)->at});
    }
    if (rows.empty()) break;
    RETURN_IF_ERROR(db_->Write([&](store::Transaction& tx) -> Result<void> {
      for (const auto& row : rows) {
        RETURN_IF_ERROR(
            tx.Exec("INSERT OR REPLACE INTO audit_events (seq, time, actor_id, action, target_id, "
                    "segment, offset) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    {row.sequence, row.time, row.actor_id, row.action, row.target_id,
                     row.at.segment, row.at.offset}));
      }
      return store::SetMeta(tx, "indexed_through", std::to_string(rows.back().sequence));
    }));
    through = rows.back().sequence;
    reader_through_ = through;
  }
  return {};
}

Result<SearchPage> JournalIndex::Search(const SearchQuery& q) {
  ASSIGN_OR_RETURN(int64_t before, CheckQuery(q));
  const auto statement = internal::BuildSearch(q, before);
  std::vector<store::Row> rows;
  RETURN_IF_ERROR(db_->Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(rows, tx.Query(statement.sql, statement.params));
    return {};
  }));
  SearchPage page;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(q.limit); ++i) {
    const int64_t seq = rows[i].Int(0);
    ASSIGN_OR_RETURN(auto record, ReadRecordAt(dir_, {rows[i].Int(1), rows[i].Int(2)}));
    if (record.kind != RecordKind::kEvent || record.sequence != seq) {
      return Fail(ErrorCode::kDataLoss,
                  "the audit index does not match the journal: run strongroom audit verify");
    }
    page.events.push_back(std::move(record.text));
  }
  if (rows.size() > static_cast<size_t>(q.limit)) {
    page.next_cursor = std::to_string(rows[static_cast<size_t>(q.limit) - 1].Int(0));
  }
  return page;
}

Result<std::vector<IndexRow>> JournalIndex::Rows(int64_t from, int limit) {
  std::vector<IndexRow> out;
  RETURN_IF_ERROR(db_->Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT seq, time, actor_id, action, target_id, segment, "
                                         "offset FROM audit_events WHERE seq >= ? ORDER BY seq "
                                         "LIMIT ?",
                                         {from, static_cast<int64_t>(limit)}));
    for (const auto& r : rows) {
      out.push_back({r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), {r.Int(5), r.Int(6)}});
    }
    return {};
  }));
  return out;
}

}  // namespace strongroom::audit
