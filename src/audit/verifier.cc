#include "audit/verifier.h"

#include <fmt/format.h>

#include <map>

#include "audit/audit_log.h"
#include "crypto/hash.h"
#include "crypto/signing.h"
#include "store/meta.h"

namespace strongroom::audit {
namespace {

constexpr int64_t kPage = 5000;

struct Checkpoint {
  Bytes head_hash;
  bool signature_ok = false;
};

void Flag(VerifyReport& r, int64_t seq, std::string problem) {
  if (r.ok || seq < r.first_bad_sequence) {
    r.ok = false;
    r.first_bad_sequence = seq;
    r.problem = std::move(problem);
  }
}

bool NamesSequence(const std::string& canonical, int64_t seq) {
  return canonical.starts_with(fmt::format("{{\"seq\":{},", seq));
}

std::string Escaped(std::string_view value) {
  std::string out;
  AppendEscaped(out, value);
  return out;
}

// The search columns (row columns 3 to 6: time, actor, action, target) say what the event's own
// text says: edited, they would hide the event from search while its chain stays intact.
bool SearchColumnsMatch(const store::Row& row, std::string_view canonical) {
  const auto keys = SearchKeysOf(canonical);
  return keys && Escaped(row.Text(3)) == keys->time && Escaped(row.Text(4)) == keys->actor_id &&
         Escaped(row.Text(5)) == keys->action && Escaped(row.Text(6)) == keys->target_id;
}

// The signed checkpoints, each with whether its signature verifies, and the sequence the log was
// pruned through (0 if never).
Result<void> LoadCheckpoints(store::Store& store, std::span<const uint8_t> public_key,
                             Environment env, std::map<int64_t, Checkpoint>& checkpoints,
                             int64_t& anchor) {
  return store.Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query("SELECT seq, head_hash, time, signature FROM audit_checkpoints"));
    for (const auto& row : rows) {
      Checkpoint c{row.Blob(1), false};
      c.signature_ok = crypto::VerifySignature(
          public_key, CheckpointPayload(env, row.Int(0), c.head_hash, row.Text(2)), row.Blob(3));
      checkpoints.emplace(row.Int(0), std::move(c));
    }
    ASSIGN_OR_RETURN(auto pruned, store::GetMeta(tx, "audit_pruned_through"));
    if (pruned) anchor = std::stoll(*pruned);
    return {};
  });
}

}  // namespace

Result<VerifyReport> Verify(store::Store& store, std::span<const uint8_t> public_key,
                            Environment env) {
  VerifyReport report;
  std::map<int64_t, Checkpoint> checkpoints;
  int64_t anchor = 0;
  RETURN_IF_ERROR(LoadCheckpoints(store, public_key, env, checkpoints, anchor));
  report.checkpoints = static_cast<int64_t>(checkpoints.size());
  for (const auto& [seq, c] : checkpoints) {
    if (!c.signature_ok) Flag(report, seq, "checkpoint signature does not verify");
  }

  crypto::Sha256Digest prev{};
  if (anchor > 0) {
    auto it = checkpoints.find(anchor);
    if (it == checkpoints.end() || !it->second.signature_ok || it->second.head_hash.size() != 32) {
      Flag(report, anchor + 1, "the checkpoint that anchors the pruned log is missing or forged");
      return report;
    }
    std::copy(it->second.head_hash.begin(), it->second.head_hash.end(), prev.begin());
  }
  int64_t expected = anchor + 1;
  for (;;) {
    std::vector<store::Row> rows;
    RETURN_IF_ERROR(store.Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(rows,
                       tx.Query("SELECT seq, canonical, hash, time, actor_id, action, target_id "
                                "FROM audit_events WHERE seq >= ? ORDER BY seq LIMIT ?",
                                {expected, kPage}));
      return {};
    }));
    if (rows.empty()) break;
    Bytes buf;
    for (const auto& row : rows) {
      const int64_t seq = row.Int(0);
      if (seq != expected) {
        Flag(report, expected, "event missing (deleted)");
        return report;
      }
      const auto canonical = row.Text(1);
      if (!NamesSequence(canonical, seq)) {
        Flag(report, seq, "event text names another sequence (inserted or reordered)");
        return report;
      }
      buf.assign(prev.begin(), prev.end());
      buf.insert(buf.end(), canonical.begin(), canonical.end());
      prev = crypto::Sha256(buf);
      report.bytes += static_cast<int64_t>(canonical.size());
      const auto stored = row.Blob(2);
      if (!std::equal(prev.begin(), prev.end(), stored.begin(), stored.end())) {
        Flag(report, seq, "hash does not match the chain (modified)");
        return report;
      }
      if (auto it = checkpoints.find(seq);
          it != checkpoints.end() &&
          !std::equal(prev.begin(), prev.end(), it->second.head_hash.begin(),
                      it->second.head_hash.end())) {
        Flag(report, seq, "chain differs from the signed checkpoint (events rewritten)");
        return report;
      }
      if (!SearchColumnsMatch(row, canonical)) {
        Flag(report, seq, "search columns differ from the event (edited to hide it from search)");
        return report;
      }
      ++report.events;
      ++expected;
    }
  }
  if (!checkpoints.empty() && checkpoints.rbegin()->first >= expected) {
    Flag(report, expected, "events missing after this point (log truncated behind a checkpoint)");
  }
  return report;
}

}  // namespace strongroom::audit
