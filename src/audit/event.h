#pragma once
// An audit event: who did what to which thing, from where, what the policy decided and how it
// ended. One event per action of every user, allowed or denied.
//
// `Canonical` is the one serialisation that is hashed, stored, shipped and verified: a JSON object
// with a fixed field order and no optional whitespace. Every value is escaped so that no input can
// forge a line or a field: control characters (CR, LF, NUL, ESC...), C1 controls, U+2028/U+2029,
// quotes and backslashes become \uXXXX or \" \\ escapes; invalid UTF-8 becomes U+FFFD; each value
// is cut to kMaxFieldBytes with a visible marker. Events never carry secrets: callers put ids and
// reasons in them, never passwords, tokens or record content.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace strongroom::audit {

inline constexpr size_t kMaxFieldBytes = 1024;

struct Actor {
  std::string account_id;  // "" for anonymous (e.g. a failed login)
  std::string username;
  std::string kind;     // "standard", "privileged", "service", "system", "cli", "anonymous"
  std::string session;  // session or token id (never the token itself)
};

struct Target {
  std::string type;  // "record", "account", "org", "audit", ...
  std::string id;
  std::string org;
};

struct Event {
  int64_t sequence = 0;  // assigned by the log
  TimePoint time{};      // assigned by the log
  std::string node;      // the journal that wrote it (one per node); assigned by the log
  Actor actor;
  std::string source;  // client address, or "cli" / "system"
  std::string action;  // namespaced: "record.view", "auth.login", "security.blocked"...
  Target target;
  bool allowed = false;
  std::string reason;   // the policy's reason, allowed or denied
  std::string outcome;  // "ok" or an error code name
  std::string request_id;
  std::map<std::string, std::string> detail;  // extra facts (counts, ids); sorted by key
};

std::string Canonical(const Event& e);

// An event by the service itself (a scheduled job, its start and stop), allowed and done.
Event SystemEvent(std::string action, Target target, std::string reason);

// Appends `value` to `out` as a JSON string literal, escaped as described above.
void AppendEscaped(std::string& out, std::string_view value);

// The fields an event is searched by, as its canonical text holds them: each a JSON string literal
// exactly as AppendEscaped writes it (quotes included), so a stored search column is compared by
// escaping it the same way. nullopt if the text does not have the canonical shape.
struct SearchKeys {
  std::string_view time;
  std::string_view actor_id;
  std::string_view action;
  std::string_view target_id;
};
std::optional<SearchKeys> SearchKeysOf(std::string_view canonical);

}  // namespace strongroom::audit
