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
    return kRound;
  });
  last_prune_ = std::chrono::steady_clock::now();
  return {};
}

void SharedSources::Stop() {
  thread_.Stop();
  if (watch_ != 0) store_.Unwatch(watch_);
  watch_ = 0;
  (void)WriteRaises();  // what waits still counts, on the other nodes
}

double SharedSources::Raise(const std::string& key, double points, TimePoint now, bool may_block) {
  bool wake = false;
  double score = points;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(key);
    if (it == pending_.end()) {
      if (pending_.size() >= policy_.max_sources) {
        const auto at = std::chrono::steady_clock::now();
        if (at - dropped_warning_ >= std::chrono::minutes(1)) {
          dropped_warning_ = at;
          spdlog::error("attack detection: {} sources' scores wait to be shared; more are dropped",
                        pending_.size());
        }
        return points;
      }
      it = pending_.emplace(key, Pending{0, now, false}).first;
      wake = pending_.size() == 1;
    }
    it->second.points += points;
    it->second.at = std::max(it->second.at, now);
    it->second.may_block = it->second.may_block || may_block;
    if (const auto k = known_.find(key); k != known_.end()) {
      score = Decayed(policy_, k->second, now) + it->second.points;
    } else {
      score = it->second.points;
    }
  }
  if (wake) thread_.Wake();
  return score;
}

Result<void> SharedSources::RunOnce() {
  RETURN_IF_ERROR(WriteRaises());
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    std::swap(changed, changed_);
  }
  if (!changed) return {};
  if (auto r = Read(); !r) {
    std::lock_guard lock(mu_);
    changed_ = true;  // read again next round
    return r;
  }
  return {};
}

Result<void> SharedSources::WriteRaises() {
  std::unordered_map<std::string, Pending> raises;
  {
    std::lock_guard lock(mu_);
    raises.swap(pending_);
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
      const store::Value until =
          s.blocked_until ? store::Value(Ms(*s.blocked_until)) : store::Value();
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
    // Kept for the next round, added to whatever came meanwhile.
    std::lock_guard lock(mu_);
    for (auto& [key, raise] : raises) {
      auto [it, fresh] = pending_.try_emplace(key, raise);
      if (fresh) continue;
      it->second.points += raise.points;
      it->second.at = std::max(it->second.at, raise.at);
      it->second.may_block = it->second.may_block || raise.may_block;
    }
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

Result<void> SharedSources::Read() {
  const auto now = clock_.Now();
  // The scores raised since the last read (a minute's grace for the nodes' clocks), and every
  // block in force.
  const auto since = read_at_ ? *read_at_ - std::chrono::minutes(1) : TimePoint();
  struct Seen {
    std::string key;
    Score score;
  };
  std::vector<Seen> seen;
  RETURN_IF_ERROR(store_.Read([&](store::Transaction& tx) -> Result<void> {
    seen.clear();
    ASSIGN_OR_RETURN(
        auto rows, tx.Query("SELECT source, score, scored_ms, blocked_until_ms FROM attack_sources "
                            "WHERE blocked_until_ms > ? OR scored_ms >= ? LIMIT ?",
                            {Ms(now), Ms(since), static_cast<int64_t>(policy_.max_sources)}));
    for (const auto& row : rows) {
      Score s{row.Real(1), At(row.Int(2)), std::nullopt};
      if (!row.IsNull(3)) s.blocked_until = At(row.Int(3));
      seen.push_back({row.Text(0), s});
    }
    return {};
  }));
  read_at_ = now;
  {
    std::lock_guard lock(mu_);
    if (known_.size() + seen.size() > policy_.max_sources) known_.clear();
    for (const auto& s : seen) known_[s.key] = s.score;
  }
  if (hooks_.enforce) {
    for (const auto& s : seen) {
      if (s.score.blocked_until && *s.score.blocked_until > now) {
        hooks_.enforce(s.key, *s.score.blocked_until);
      }
    }
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
