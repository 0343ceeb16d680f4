#include "audit/audit_copy.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "audit/audit_log.h"
#include "audit/event.h"
#include "audit/journal.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/utf8.h"

namespace strongroom::audit {
namespace {

constexpr size_t kRecordsPerWrite = 1000;
constexpr size_t kRowsPerStatement = 100;  // 900 parameters: far inside either backend's limit
constexpr size_t kColumns = 9;

// A node's name is at most 64 characters (configuration.md): 128 hex digits.
constexpr size_t kMaxNodeHex = 128;

Result<void> Insert(store::Transaction& tx, std::string_view node,
                    std::span<const CopiedRecord> rows) {
  std::string sql =
      "INSERT INTO audit_copy (node, sequence, kind, hash, text, time, actor_id, action, "
      "target_id) VALUES ";
  store::Params params;
  params.reserve(rows.size() * kColumns);
  for (size_t i = 0; i < rows.size(); ++i) {
    sql += i == 0 ? "(?, ?, ?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    const auto& r = rows[i];
    params.emplace_back(std::string(node));
    params.emplace_back(r.record.sequence);
    params.emplace_back(static_cast<int64_t>(r.record.kind));
    params.emplace_back(Bytes(r.record.hash.begin(), r.record.hash.end()));
    params.emplace_back(r.record.text);
    params.emplace_back(r.time);
    params.emplace_back(r.actor_id);
    params.emplace_back(r.action);
    params.emplace_back(r.target_id);
  }
  // A checkpoint signed again at the same head (a new segment's) is the same head: the first
  // stays. A record copied before (a catch-up that started again) is the same record.
  sql += " ON CONFLICT DO NOTHING";
  RETURN_IF_ERROR(tx.Exec(sql, params));
  return {};
}

}  // namespace

AuditCopy::AuditCopy(store::Store& store, std::filesystem::path journal_dir, std::string node)
    : store_(store), dir_(std::move(journal_dir)), node_(std::move(node)) {}

Result<void> AuditCopy::CatchUp(int64_t head, int64_t pruned_through) {
  std::lock_guard lock(mu_);
  // A batch that failed to go in was read already: the next catch-up starts again from the
  // database's newest row.
  auto reached = CatchUpLocked(head);
  if (!reached) {
    reader_.reset();
    return std::unexpected(reached.error());
  }
  // Retention's rows go only once its own event is in the copy (it was written before the
  // segments went, so it is once the copy reaches the head), so that no verify meanwhile finds
  // the copy cut without the event that says why; and at every catch-up until they are gone.
  if (!*reached || pruned_through <= removed_through_) return {};
  RETURN_IF_ERROR(store_.Write([&](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec(
        "DELETE FROM audit_copy WHERE node = ? AND (sequence < ? OR (sequence = ? AND kind = ?))",
        {node_, pruned_through, pruned_through, static_cast<int64_t>(RecordKind::kEvent)}));
    return {};
  }));
  removed_through_ = pruned_through;
  return {};
}

Result<bool> AuditCopy::CatchUpLocked(int64_t head) {
  int64_t through = 0;  // the newest record the database holds, of any kind
  RETURN_IF_ERROR(store_.Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query("SELECT MAX(sequence) FROM audit_copy WHERE node = ?", {node_}));
    through = rows.empty() || rows.front().IsNull(0) ? 0 : rows.front().Int(0);
    return {};
  }));
  if (!reader_ || reader_through_ != through) {
    // First use, or the rows changed under this reader (retention, another process): start
    // again where the copy ends. The record at `through` comes again, and is passed over.
    ASSIGN_OR_RETURN(auto reader, through == 0 ? JournalReader::FromStart(dir_)
                                               : JournalReader::From(dir_, through));
    reader_.emplace(std::move(reader));
  }
  for (int64_t copied = 0;;) {
    if (copied >= kMaxRecordsPerCatchUp) return false;
    std::vector<CopiedRecord> rows;
    while (rows.size() < kRecordsPerWrite) {
      auto item = reader_->Next(head);
      if (!item) {
        if (item.error().code != ErrorCode::kDataLoss) {
          reader_.reset();
          return std::unexpected(item.error());
        }
        // A damaged record cannot be copied; audit verify names it, in the journal and here.
        spdlog::error("audit copy: {}", item.error().message);
        reader_->Skip();
        continue;
      }
      if (!*item) break;
      auto& r = (*item)->record;
      if (r.kind == RecordKind::kSeal || r.sequence < through) continue;
      CopiedRecord row{std::move(r), {}, {}, {}, {}};
      if (row.record.kind == RecordKind::kEvent) {
        if (const auto keys = SearchKeysOf(row.record.text)) {
          row.time = keys->time;
          row.actor_id = keys->actor_id;
          row.action = keys->action;
          row.target_id = keys->target_id;
        }
      }
      rows.push_back(std::move(row));
    }
    if (rows.empty()) break;
    RETURN_IF_ERROR(store_.Write([&](store::Transaction& tx) -> Result<void> {
      for (size_t i = 0; i < rows.size(); i += kRowsPerStatement) {
        RETURN_IF_ERROR(Insert(
            tx, node_, std::span(rows).subspan(i, std::min(kRowsPerStatement, rows.size() - i))));
      }
      return {};
    }));
    through = std::max(through, rows.back().record.sequence);
    reader_through_ = through;
    copied += static_cast<int64_t>(rows.size());
  }
  reader_through_ = through;
  return true;
}

Result<SearchPage> AuditCopy::Search(store::Transaction& tx, const SearchQuery& q) {
  RETURN_IF_ERROR(CheckFilters(q));
  std::optional<internal::CopyCursor> after;
  if (!q.cursor.empty()) {
    ASSIGN_OR_RETURN(after, internal::ParseCopyCursor(q.cursor));
  }
  const auto statement = internal::BuildCopySearch(q, after);
  ASSIGN_OR_RETURN(auto rows, tx.Query(statement.sql, statement.params));
  SearchPage page;
  const auto limit = static_cast<size_t>(q.limit);
  for (size_t i = 0; i < rows.size() && i < limit; ++i) page.events.push_back(rows[i].Text(0));
  if (rows.size() > limit) {
    const auto& last = rows[limit - 1];
    page.next_cursor = internal::FormatCopyCursor({last.Text(1), last.Text(2), last.Int(3)});
    if (page.next_cursor.empty()) {
      return Fail(ErrorCode::kDataLoss,
                  "an event's time in the audit copy is not one the service writes: run "
                  "strongroom audit verify");
    }
  }
  return page;
}

Result<std::vector<std::string>> KnownNodes(store::Store& store) {
  const std::string prefix = AuditLog::CommittedKeyFor("");
  std::vector<std::string> nodes;
  RETURN_IF_ERROR(store.Read([&](store::Transaction& tx) -> Result<void> {
    // Each name once, from the primary key's index a step at a time (a DISTINCT would read
    // every row).
    ASSIGN_OR_RETURN(auto copied,
                     tx.Query("WITH RECURSIVE nodes (node) AS (SELECT MIN(node) FROM audit_copy "
                              "UNION ALL SELECT (SELECT MIN(node) FROM audit_copy WHERE node > "
                              "nodes.node) FROM nodes WHERE nodes.node IS NOT NULL) SELECT node "
                              "FROM nodes WHERE node IS NOT NULL"));
    for (const auto& row : copied) nodes.push_back(row.Text(0));
    // The meta keys under the prefix: from it up to (not including) it with its last byte raised.
    std::string end = prefix;
    end.back() = static_cast<char>(end.back() + 1);
    ASSIGN_OR_RETURN(auto committed,
                     tx.Query("SELECT key FROM meta WHERE key >= ? AND key < ?", {prefix, end}));
    for (const auto& row : committed) nodes.push_back(row.Text(0).substr(prefix.size()));
    return {};
  }));
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

Result<int64_t> CopiedHead(store::Transaction& tx, std::string_view node) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT MAX(sequence) FROM audit_copy WHERE node = ?",
                                       {std::string(node)}));
  return rows.empty() || rows.front().IsNull(0) ? 0 : rows.front().Int(0);
}

Result<std::vector<CopiedRecord>> CopiedRecords(store::Transaction& tx, std::string_view node,
                                                int64_t after, RecordKind after_kind, int limit) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT sequence, kind, hash, text, time, actor_id, action, "
                                       "target_id FROM audit_copy WHERE node = ? AND (sequence, "
                                       "kind) > (?, ?) ORDER BY sequence, kind LIMIT ?",
                                       {std::string(node), after, static_cast<int64_t>(after_kind),
                                        static_cast<int64_t>(limit)}));
  std::vector<CopiedRecord> out;
  for (const auto& row : rows) {
    CopiedRecord c;
    auto& r = c.record;
    r.sequence = row.Int(0);
    const int64_t kind = row.Int(1);
    const Bytes hash = row.Blob(2);
    if ((kind != static_cast<int64_t>(RecordKind::kEvent) &&
         kind != static_cast<int64_t>(RecordKind::kCheckpoint)) ||
        hash.size() != r.hash.size()) {
      return Fail(ErrorCode::kDataLoss,
                  fmt::format("a row at sequence {} is no event or checkpoint", r.sequence));
    }
    r.kind = static_cast<RecordKind>(kind);
    std::copy(hash.begin(), hash.end(), r.hash.begin());
    r.text = row.Text(3);
    c.time = row.Text(4);
    c.actor_id = row.Text(5);
    c.action = row.Text(6);
    c.target_id = row.Text(7);
    out.push_back(std::move(c));
  }
  return out;
}

namespace internal {

std::string FormatCopyCursor(const CopyCursor& c) {
  // The time as milliseconds: the service writes every event's time to the millisecond, and the
  // cursor stays short and plain in a URL. A time it did not write has no cursor.
  if (c.time.size() < 2 || c.time.front() != '"' || c.time.back() != '"') return "";
  const auto inner = std::string_view(c.time).substr(1, c.time.size() - 2);
  const auto t = ParseRfc3339(inner);
  if (!t || FormatRfc3339(*t) != inner) return "";
  return fmt::format("{}-{}-{}", t->time_since_epoch().count(), c.sequence,
                     HexEncode(AsBytes(c.node)));
}

Result<CopyCursor> ParseCopyCursor(std::string_view text) {
  const auto bad = [] { return Fail(ErrorCode::kInvalidArgument, "cursor is not valid"); };
  const auto first = text.find('-');
  const auto second = first == std::string_view::npos ? first : text.find('-', first + 1);
  if (second == std::string_view::npos) return bad();
  const auto number = [](std::string_view digits, int64_t& out) {
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return !digits.empty() && ec == std::errc() && p == digits.data() + digits.size();
  };
  int64_t ms = 0;
  CopyCursor c;
  const auto hex = text.substr(second + 1);
  // The latest time FormatRfc3339 writes as the service does (year 9999).
  constexpr int64_t kLatestMs = 253402300799999;
  if (!number(text.substr(0, first), ms) || ms < 0 || ms > kLatestMs ||
      !number(text.substr(first + 1, second - first - 1), c.sequence) || c.sequence < 1 ||
      hex.size() > kMaxNodeHex) {
    return bad();
  }
  const auto node = HexDecode(hex);
  if (!node) return bad();
  c.node.assign(node->begin(), node->end());
  // A name as configuration takes one: UTF-8 without control characters.
  if (!Utf8CodePoints(c.node)) return bad();
  for (unsigned char ch : c.node) {
    if (ch < 0x20 || ch == 0x7f) return bad();
  }
  c.time = Literal(FormatRfc3339(TimePoint(std::chrono::milliseconds(ms))));
  return c;
}

SearchStatement BuildCopySearch(const SearchQuery& q, const std::optional<CopyCursor>& after) {
  // As the journal index's (search.cc), only the filters given appear, each served by an index
  // that goes on in the order of the answer (time, node, sequence).
  SearchStatement st;
  st.sql = "SELECT text, time, node, sequence FROM audit_copy WHERE kind = ?";
  st.params.emplace_back(static_cast<int64_t>(RecordKind::kEvent));
  AppendFilters(q, st);
  if (after) {
    st.sql += " AND (time, node, sequence) < (?, ?, ?)";
    st.params.emplace_back(after->time);
    st.params.emplace_back(after->node);
    st.params.emplace_back(after->sequence);
  }
  st.sql += " ORDER BY time DESC, node DESC, sequence DESC LIMIT ?";
  st.params.emplace_back(static_cast<int64_t>(q.limit + 1));
  return st;
}

}  // namespace internal

}  // namespace strongroom::audit
