#include "defense/sources.h"

#include <cmath>

namespace strongroom::defense {

double Sources::Decayed(const State& s, TimePoint now) const {
  const double elapsed = std::chrono::duration<double>(now - s.scored_at).count();
  if (elapsed <= 0) return s.score;
  return s.score * std::exp2(-elapsed / static_cast<double>(policy_.half_life.count()));
}

std::optional<TimePoint> Sources::BlockedUntil(std::string_view source, TimePoint now) {
  std::lock_guard lock(mu_);
  const auto it = sources_.find(SourceKey(source));
  if (it == sources_.end() || !it->second.blocked_until || *it->second.blocked_until <= now) {
    return std::nullopt;
  }
  return it->second.blocked_until;
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
    it = sources_.emplace(key, State{0, now, std::nullopt}).first;
  }
  State& s = it->second;
  s.score = Decayed(s, now) + points;
  s.scored_at = now;
  Raised raised{s.score, std::nullopt};
  if (may_block && !allowed && !s.blocked_until && s.score >= policy_.block_score) {
    s.blocked_until = now + policy_.block_for;
    ++blocked_;
    raised.blocked_until = s.blocked_until;
  }
  return raised;
}

std::vector<std::string> Sources::Release(TimePoint now) {
  std::vector<std::string> released;
  std::lock_guard lock(mu_);
  for (auto it = sources_.begin(); it != sources_.end();) {
    if (it->second.blocked_until && *it->second.blocked_until <= now) {
      released.push_back(it->first);
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
    if (it->second.blocked_until) continue;
    ++looked;
    const double score = Decayed(it->second, now);
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
