#pragma once
// Sessions served from memory. The store stays the source of truth; this table answers
// Sessions::Authenticate without reading it:
// - An entry holds what the store said of a session (its account as the session's answer uses
//   it, the organisation's status folded in, when it was opened) and the generation it was read
//   at; it answers only while that generation is current. The cache watches the tables such an
//   answer depends on (accounts, organisations, sessions): a commit that changes any of them moves
//   the generation on before that commit is acknowledged (Store::WatchTables). So a request that
//   starts after a leave, a lock, an expiry, a move, a suspension or a logout is acknowledged
//   reads the store, and is refused. Another node's commits to a shared database move it too, as
//   soon as the database tells of them; while it cannot (Store::SeesEveryCommit), nothing is
//   answered from here.
// - The last use of each session is kept here and written to the store in bulk (`TakeTouched`,
//   every kFlushEvery by Sessions::Flush), so that a request writes nothing. A use not yet written
//   when the process stops is lost: the session then looks idle sooner, never later.
//
// Memory is bounded: past `capacity` entries the table starts again empty.
//
// Thread-safety: every method may be called from any thread.

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "identity/auth_common.h"
#include "store/store.h"

namespace strongroom::identity {

class SessionCache {
 public:
  struct Entry {
    Principal principal;
    TimePoint created{};
    TimePoint last_seen{};  // as the store said when the entry was read
  };

  // Watches `store` until destroyed; `store` must outlive the cache.
  explicit SessionCache(store::Store& store, size_t capacity = 100'000);
  ~SessionCache();
  SessionCache(const SessionCache&) = delete;
  SessionCache& operator=(const SessionCache&) = delete;

  // Read before reading the store for an entry, and given to Put with what was read.
  uint64_t generation() const { return generation_.load(); }
  std::optional<Entry> Find(const Bytes& token_hash) const;
  void Put(const Bytes& token_hash, Entry entry, uint64_t generation);
  void Forget(const Bytes& token_hash);

  // The later of `stored` (the store's last use) and the last use this process saw.
  TimePoint LastSeen(const Bytes& token_hash, TimePoint stored) const;
  void Touch(const Bytes& token_hash, TimePoint now);
  // The uses seen since the last call, for the store.
  std::vector<std::pair<Bytes, TimePoint>> TakeTouched();

 private:
  struct Cached {
    Entry entry;
    uint64_t generation;
  };
  static std::string Key(const Bytes& token_hash) {
    return std::string(token_hash.begin(), token_hash.end());
  }

  store::Store& store_;
  const size_t capacity_;
  int watch_ = 0;
  std::atomic<uint64_t> generation_{1};
  mutable std::mutex mu_;
  std::unordered_map<std::string, Cached> entries_;     // guarded by mu_
  std::unordered_map<std::string, TimePoint> seen_;     // guarded by mu_
  std::unordered_map<std::string, TimePoint> touched_;  // guarded by mu_
};

}  // namespace strongroom::identity
