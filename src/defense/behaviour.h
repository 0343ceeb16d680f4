#pragma once
// Attacks a WAF cannot see, because every request in them is well formed: patterns in what people
// do, read from the audit log as it grows (every sign-in, second factor, record view and listing
// is an audit event there, committed, in order).
//
// The patterns, each reported once per window and key:
// - credential stuffing: one source failing sign-in for kStuffingUsernames different usernames
//   within kPatternWindow, not counting those that then sign in from there (weighs enough to block
//   the source);
// - password spraying: one username failing from kSprayingSources different sources within
//   kPatternWindow (many sources: reported, nobody to score);
// - TOTP guessing: kTotpFailures wrong second factors for one account within kPatternWindow, across
//   however many challenges: from one source, it weighs enough to block that source; from many,
//   it is reported (an attacker must not be able to block a victim's address by making most of
//   the guesses elsewhere);
// - record enumeration: kEnumerationMisses views, updates or deletes of records that are not there
//   by one account (or source) within kEnumerationWindow (scored);
// - bulk reading: one account listing records up to kBulkShare of the export threshold within a
//   day, staying just under the cap (reported);
// - a session that moves: used from another source than the one it signed in from, while its
//   account has had kNewSourceFailures failures within kPatternWindow (reported only: anyone can
//   fail sign-ins for a victim's username, so it must weigh against nobody).
// Normal work stays clear: one person mistyping a password a few times, many people behind one
// NAT each signing in (different usernames, each succeeding), a reader paging through records.
//
// Windows are fixed: each starts at its first event (a source can stay just under a threshold
// window after window). Memory is bounded: each table holds at most kMaxKeys keys, and is cleared
// when full (at worst a pattern's count starts again).
//
// Thread-safety: one caller at a time (the audit tail's thread).

#include <chrono>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"

namespace strongroom::defense {

inline constexpr std::chrono::minutes kPatternWindow{10};
inline constexpr int kStuffingUsernames = 10;
inline constexpr int kSprayingSources = 5;
inline constexpr int kTotpFailures = 6;
inline constexpr std::chrono::minutes kEnumerationWindow{1};
inline constexpr int kEnumerationMisses = 20;
inline constexpr double kBulkShare = 0.9;
inline constexpr int kNewSourceFailures = 3;
inline constexpr size_t kMaxKeys = 100'000;

// What an audit event says, as far as the patterns need it.
struct Fact {
  TimePoint time;
  std::string account_id;
  std::string username;
  std::string session;
  std::string source;
  std::string action;
  bool allowed = false;
  std::string outcome;
  int64_t count = 0;        // detail.count (records listed)
  bool wrong_code = false;  // a second factor refused as wrong (detail.second_factor_failures)
};
// Reads one event's canonical JSON; nullopt if it is not one.
std::optional<Fact> FactOf(std::string_view canonical);

struct Pattern {
  enum class Kind : uint8_t {
    kCredentialStuffing,
    kPasswordSpraying,
    kTotpGuessing,
    kEnumeration,
    kBulkReading,
    kNewSourceAfterFailures,
  };
  Kind kind;
  std::string source;   // whose request completed the pattern
  std::string subject;  // the username or account it is about ("" when it is the source's)
  int count = 0;        // how many (usernames, sources, failures, misses, records)
  // How much it counts against `source`, in findings at the threshold: 0 for none; 4 blocks a
  // source at the default scores (threshold 5, block at 20).
  int weight = 0;
};
std::string_view ActionOf(Pattern::Kind kind);  // "security.credential_stuffing", ...

class Behaviour {
 public:
  // `export_threshold`: the records one account may list in 24 hours (records.export_threshold).
  explicit Behaviour(int export_threshold) : export_threshold_(export_threshold) {}

  // The patterns this event completes (usually none).
  std::vector<Pattern> Observe(const Fact& fact);

 private:
  // Distinct values per key within a window, reported once per window.
  struct Distinct {
    TimePoint started;
    std::set<std::string> values;
    bool reported = false;
  };
  // Times per key within a window, reported once per window.
  struct Times {
    std::deque<TimePoint> at;
    std::optional<TimePoint> reported_at;
  };
  static bool AddDistinct(std::unordered_map<std::string, Distinct>& table, const std::string& key,
                          const std::string& value, TimePoint now, std::chrono::minutes window,
                          int enough, int* count);
  static bool AddTime(std::unordered_map<std::string, Times>& table, const std::string& key,
                      TimePoint now, std::chrono::minutes window, int enough);
  void SignInFailed(const Fact& f, std::vector<Pattern>& out);

  const int export_threshold_;
  std::unordered_map<std::string, Distinct> usernames_by_source_;
  std::unordered_map<std::string, Distinct> sources_by_username_;
  std::unordered_map<std::string, Times> totp_failures_;            // by username
  std::unordered_map<std::string, Times> totp_failures_by_source_;  // by username and source
  std::unordered_map<std::string, Times> misses_;
  std::unordered_map<std::string, Times> failures_by_account_;
  struct Listed {
    std::deque<std::pair<TimePoint, int64_t>> lists;  // at most kMaxLists
    int64_t total = 0;                                // of `lists`
    std::optional<TimePoint> reported_at;
  };
  static constexpr size_t kMaxLists = 10'000;
  std::unordered_map<std::string, Listed> listed_;
  // The source each session signed in from (sessions seen starting).
  std::unordered_map<std::string, std::string> session_source_;
  std::set<std::string> reported_sessions_;
};

}  // namespace strongroom::defense
