#include "defense/sources.h"

#include <cmath>

namespace strongroom::defense {

double Decayed(const SourcePolicy& policy, const Score& s, TimePoint now) {
  const double elapsed = std::chrono::duration<double>(now - s.scored_at).count();
  if (elapsed <= 0) return s.score;
  return s.score * std::exp2(-elapsed / static_cast<double>(policy.half_life.count()));
}

bool Add(const SourcePolicy& policy, Score& s, double points, TimePoint now, bool may_block) {
  s.score = Decayed(policy, s, now) + points;
  s.scored_at = std::max(s.scored_at, now);  // (another node's clock may be a little behind)
  if (!may_block || s.blocked_until || s.score < policy.block_score) return false;
  s.blocked_until = now + policy.block_for;
  return true;
}

std::optional<TimePoint> Sources::BlockedUntil(std::string_view source, TimePoint now) {
  std::lock_guard lock(mu_);
  const auto it = sources_.find(SourceKey(source));
  if (it == sources_.end()) return std::nullopt;
  const auto& until = it->second.score.blocked_until;
  if (!until || *until <= now) return std::nullopt;
  return until;
}

Sources::Raised Sources::Raise(std::string_view source, double points, TimePoint now,
                               bool may_block) {
  const auto key = SourceKey(source);
  const bool allowed = Allowed(source);
  std::lock_guard lock(mu_);
  auto it = sources_.find(key);
  if (it == sources_.end()) {
    if (sources_.size() >= policy_.max_sources && !MakeRoom(now)) {
      return {points, std::nullopt};  // full of blocked sources: this one is not tracked
    }
    it = sources_.emplace(key, State{}).first;
  }
  Score& s = it->second.score;
  Raised raised{0, std::nullopt};
  if (Add(policy_, s, points, now, may_block && !allowed)) {
    it->second.own = true;
    raised.blocked_until = s.blocked_until;
    ++blocked_;
  }
  raised.score = s.score;
  return raised;
}

bool Sources::Block(std::string_view key, TimePoint until, bool own) {
  std::lock_guard lock(mu_);
  auto it = sources_.find(std::string(key));
  if (it == sources_.end()) {
    if (sources_.size() >= policy_.max_sources && !MakeRoom(until)) return false;  // (any now)
    it = sources_.emplace(key, State{}).first;
  }
  Score& s = it->second.score;
  if (s.blocked_until && *s.blocked_until >= until) return false;
  // A block of this node's own, ended but not yet released, lengthened by another node's: its
  // end stays this node's to report.
  it->second.own = own || (s.blocked_until && it->second.own);
  if (!s.blocked_until) ++blocked_;
  s = {0, {}, until};
  return true;
}

std::vector<std::string> Sources::Release(TimePoint now) {
  std::vector<std::string> released;
  std::lock_guard lock(mu_);
  for (auto it = sources_.begin(); it != sources_.end();) {
    const auto& until = it->second.score.blocked_until;
    if (until && *until <= now) {
      if (it->second.own) released.push_back(it->first);
      --blocked_;
      it = sources_.erase(it);  // a released source starts again from zero
    } else {
      ++it;
    }
  }
  return released;
}

size_t Sources::blocked() const {
  std::lock_guard lock(mu_);
  return blocked_;
}

bool Sources::MakeRoom(TimePoint now) {
  // The lowest unblocked score among a sample: cheap under the lock, whatever the table's size.
  auto lowest = sources_.end();
  double lowest_score = 0;
  int looked = 0;
  int scanned = 0;
  for (auto it = sources_.begin(); it != sources_.end() && looked < 64 && scanned < 1024;
       ++it, ++scanned) {
    if (it->second.score.blocked_until) continue;
    ++looked;
    const double score = Decayed(policy_, it->second.score, now);
    if (lowest == sources_.end() || score < lowest_score) {
      lowest = it;
      lowest_score = score;
    }
  }
  if (lowest == sources_.end()) return false;
  sources_.erase(lowest);
  return true;
}

}  // namespace strongroom::defense
