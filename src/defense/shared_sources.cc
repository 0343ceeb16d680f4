#include "defense/shared_sources.h"

#include <spdlog/spdlog.h>

namespace strongroom::defense {
namespace {

constexpr std::chrono::milliseconds kRound{250};  // when nothing wakes the thread sooner
constexpr std::chrono::hours kPruneEvery{1};
// A score this many half-lives old is below a thousandth of what it was: nothing.
constexpr int kForgottenAfter = 10;

int64_t Ms(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint At(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

}  // namespace

SharedSources::SharedSources(store::Store& store, SourcePolicy policy, const Clock& clock,
                             std::string node, SharedSourcesHooks hooks)
    : store_(store),
      policy_(std::move(policy)),
      clock_(clock),
      node_(std::move(node)),
      hooks_(std::move(hooks)) {}

SharedSources::~SharedSources() { Stop(); }

Result<void> SharedSources::Start() {
  watch_ = store_.WatchTables({"attack_sources"}, [this] {
    {
      std::lock_guard lock(mu_);
      changed_ = true;
    }
    thread_.Wake();
  });
  RETURN_IF_ERROR(RunOnce());
  last_prune_ = std::chrono::steady_clock::now();
  thread_.Start(kRound, [this] {
    Result<void> r;
    try {
      r = RunOnce();
      if (r && std::chrono::steady_clock::now() - last_prune_ >= kPruneEvery) {
        last_prune_ = std::chrono::steady_clock::now();
        if (auto pruned = Prune(); !pruned) r = std::unexpected(pruned.error());
      }
    } catch (const std::exception&) {
      r = Fail(ErrorCode::kInternal, "an exception while sharing attack scores");
    }
    if (!r) {
      // Blocks may go unshared while this lasts: said at most once a minute.
      const auto now = std::chrono::steady_clock::now();
      if (now - last_warning_ >= std::chrono::minutes(1)) {
        last_warning_ = now;
        spdlog::error("attack detection cannot share scores with the other nodes: {}",
                      r.error().message);
      }
    }
    // More than a round's sources waited: on at once.
    std::lock_guard lock(mu_);
    return r && !pending_.empty() ? std::chrono::milliseconds(0) : kRound;
  });
  return {};
}

void SharedSources::Stop() {
  thread_.Stop();
  if (watch_ != 0) store_.Unwatch(watch_);
  watch_ = 0;
  // What waits still counts, on the other nodes.
  for (int i = 0; i < 10; ++i) {
    {
      std::lock_guard lock(mu_);
      if (pending_.empty()) break;
    }
    if (!WriteRaises()) break;
  }
}

bool SharedSources::Queue(const std::string& key, const Pending& raise) {
  auto it = pending_.find(key);
  if (it == pending_.end()) {
    if (pending_.size() >= policy_.max_sources) {
      const auto at = std::chrono::steady_clock::now();
      if (at - dropped_warning_ >= std::chrono::minutes(1)) {
        dropped_warning_ = at;
        spdlog::error("attack detection: {} sources' scores wait to be shared; more are dropped",
                      pending_.size());
      }
      return false;
    }
    it = pending_.emplace(key, Pending{0, raise.at, false}).first;
  }
  it->second.points += raise.points;
  it->second.at = std::max(it->second.at, raise.at);
  it->second.may_block = it->second.may_block || raise.may_block;
  return true;
}

double SharedSources::Raise(const std::string& key, double points, TimePoint now, bool may_block) {
  bool wake = false;
  double score = points;
  {
    std::lock_guard lock(mu_);
    if (!Queue(key, {points, now, may_block})) return points;
    wake = pending_.size() == 1;
    score = pending_[key].points;
    if (const auto k = known_.find(key); k != known_.end()) {
      score += Decayed(policy_, k->second, now);
    }
  }
  if (wake) thread_.Wake();
  return score;
}

Result<void> SharedSources::RunOnce() {
  auto written = WriteRaises();
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    std::swap(changed, changed_);
  }
  // Read even when the write failed: the other nodes' blocks hold here all the same.
  if (changed) {
    if (auto r = ReadBlocks(); !r) {
      std::lock_guard lock(mu_);
      changed_ = true;  // read again next round
      return r;
    }
  }
  return written;
}

Result<void> SharedSources::WriteRaises() {
  std::vector<std::pair<std::string, Pending>> raises;
  {
    std::lock_guard lock(mu_);
    for (auto it = pending_.begin(); it != pending_.end() && raises.size() < kSourcesPerRound;) {
      raises.emplace_back(it->first, it->second);
      it = pending_.erase(it);
    }
  }
  if (raises.empty()) return {};
  struct Outcome {
    std::string key;
    Score score;
    bool blocked = false;
  };
  std::vector<Outcome> outcomes;
  auto written = store_.Write([&](store::Transaction& tx) -> Result<void> {
    outcomes.clear();  // (a write may run its function again)
    for (const auto& [key, raise] : raises) {
      ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT score, scored_ms, blocked_until_ms, blocked_by "
                                           "FROM attack_sources WHERE source = ?",
                                           {key}));
      Score s;
      std::string blocked_by;
      if (!rows.empty()) {
        s.score = rows.front().Real(0);
        s.scored_at = At(rows.front().Int(1));
        if (!rows.front().IsNull(2)) s.blocked_until = At(rows.front().Int(2));
        blocked_by = rows.front().Text(3);
        if (s.blocked_until && *s.blocked_until <= raise.at) {
          s = {};  // the block ended: from zero again
          blocked_by.clear();
        }
      }
      const bool blocked = Add(policy_, s, raise.points, raise.at, raise.may_block);
      if (blocked) blocked_by = node_;
      store::Value until;  // NULL while it is not blocked
      if (s.blocked_until) until = store::Value(Ms(*s.blocked_until));
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO attack_sources (source, score, scored_ms, blocked_until_ms, blocked_by) "
          "VALUES (?, ?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET score = excluded.score, "
          "scored_ms = excluded.scored_ms, blocked_until_ms = excluded.blocked_until_ms, "
          "blocked_by = excluded.blocked_by",
          {key, s.score, Ms(s.scored_at), until, blocked_by}));
      outcomes.push_back({key, s, blocked});
    }
    return {};
  });
  if (!written) {
    // Kept for the next round, added to whatever came meanwhile (as far as the bound allows).
    std::lock_guard lock(mu_);
    for (const auto& [key, raise] : raises) (void)Queue(key, raise);
    return std::unexpected(written.error());
  }
  {
    std::lock_guard lock(mu_);
    if (known_.size() + outcomes.size() > policy_.max_sources) known_.clear();
    for (const auto& o : outcomes) known_[o.key] = o.score;
  }
  for (const auto& o : outcomes) {
    if (o.blocked && hooks_.blocked) hooks_.blocked(o.key, o.score.score, *o.score.blocked_until);
  }
  return {};
}

Result<void> SharedSources::ReadBlocks() {
  const auto now = clock_.Now();
  struct Block {
    std::string key;
    TimePoint until;
    bool own = false;
  };
  std::vector<Block> blocks;
  RETURN_IF_ERROR(store_.Read([&](store::Transaction& tx) -> Result<void> {
    blocks.clear();
    // The longest first: if more are in force than a node keeps, the soonest to end are left out.
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query("SELECT source, blocked_until_ms, blocked_by FROM attack_sources "
                              "WHERE blocked_until_ms > ? ORDER BY blocked_until_ms DESC LIMIT ?",
                              {Ms(now), static_cast<int64_t>(policy_.max_sources)}));
    for (const auto& row : rows) {
      blocks.push_back({row.Text(0), At(row.Int(1)), row.Text(2) == node_});
    }
    return {};
  }));
  if (hooks_.enforce) {
    for (const auto& b : blocks) hooks_.enforce(b.key, b.until, b.own);
  }
  return {};
}

Result<int64_t> SharedSources::Prune() {
  const auto now = clock_.Now();
  const int64_t forgotten = Ms(now - kForgottenAfter * policy_.half_life);
  return store::WriteValue<int64_t>(store_, [&](store::Transaction& tx) -> Result<int64_t> {
    return tx.Exec(
        "DELETE FROM attack_sources WHERE scored_ms < ? AND (blocked_until_ms IS NULL OR "
        "blocked_until_ms <= ?)",
        {forgotten, Ms(now)});
  });
}

}  // namespace strongroom::defense
