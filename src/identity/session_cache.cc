#include "identity/session_cache.h"

namespace strongroom::identity {

SessionCache::SessionCache(store::Store& store, size_t capacity)
    : store_(store), capacity_(capacity) {
  watch_ = store_.WatchTables({"accounts", "organisations", "sessions"},
                              [this] { generation_.fetch_add(1); });
}

SessionCache::~SessionCache() { store_.Unwatch(watch_); }

std::optional<SessionCache::Entry> SessionCache::Find(const Bytes& token_hash) const {
  // Blind to another node's changes just now: only the store can say.
  if (!store_.SeesEveryCommit()) return std::nullopt;
  const uint64_t now = generation_.load();
  std::lock_guard lock(mu_);
  auto it = entries_.find(Key(token_hash));
  if (it == entries_.end() || it->second.generation != now) return std::nullopt;
  return it->second.entry;
}

void SessionCache::Put(const Bytes& token_hash, Entry entry, uint64_t generation) {
  std::lock_guard lock(mu_);
  if (entries_.size() >= capacity_) entries_.clear();
  entries_.insert_or_assign(Key(token_hash), Cached{std::move(entry), generation});
}

void SessionCache::Forget(const Bytes& token_hash) {
  const auto key = Key(token_hash);
  std::lock_guard lock(mu_);
  entries_.erase(key);
  seen_.erase(key);
  touched_.erase(key);
}

TimePoint SessionCache::LastSeen(const Bytes& token_hash, TimePoint stored) const {
  std::lock_guard lock(mu_);
  auto it = seen_.find(Key(token_hash));
  return it == seen_.end() ? stored : std::max(stored, it->second);
}

void SessionCache::Touch(const Bytes& token_hash, TimePoint now) {
  const auto key = Key(token_hash);
  std::lock_guard lock(mu_);
  if (seen_.size() >= capacity_) seen_.clear();  // uses not yet written stay in touched_
  seen_.insert_or_assign(key, now);
  touched_.insert_or_assign(key, now);
}

std::vector<std::pair<Bytes, TimePoint>> SessionCache::TakeTouched() {
  std::unordered_map<std::string, TimePoint> taken;
  {
    std::lock_guard lock(mu_);
    taken.swap(touched_);
  }
  std::vector<std::pair<Bytes, TimePoint>> out;
  out.reserve(taken.size());
  for (const auto& [key, at] : taken) out.push_back({Bytes(key.begin(), key.end()), at});
  return out;
}

}  // namespace strongroom::identity
