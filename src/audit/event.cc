#include "audit/event.h"

#include <fmt/format.h>

#include "common/utf8.h"

namespace strongroom::audit {
namespace {

bool NeedsUnicodeEscape(uint32_t cp) {
  return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

void AppendField(std::string& out, std::string_view name, std::string_view value,
                 bool first = false) {
  if (!first) out += ',';
  AppendEscaped(out, name);
  out += ':';
  AppendEscaped(out, value);
}

}  // namespace

void AppendEscaped(std::string& out, std::string_view value) {
  static constexpr std::string_view kCut = "...[cut]";
  const bool cut = value.size() > kMaxFieldBytes;
  if (cut) value = value.substr(0, kMaxFieldBytes);
  out += '"';
  while (!value.empty()) {
    uint32_t cp = 0;
    const size_t n = Utf8SequenceLength(value, cp);
    if (n == 0) {
      out += "\\ufffd";
      value.remove_prefix(1);
      continue;
    }
    if (cp == '"') {
      out += "\\\"";
    } else if (cp == '\\') {
      out += "\\\\";
    } else if (NeedsUnicodeEscape(cp)) {
      out += fmt::format("\\u{:04x}", cp);
    } else {
      out.append(value.substr(0, n));
    }
    value.remove_prefix(n);
  }
  if (cut) out += kCut;
  out += '"';
}

namespace {

// Walks a canonical text from the front: literal punctuation and names, then string literals.
class CanonicalReader {
 public:
  explicit CanonicalReader(std::string_view text) : rest_(text) {}
  bool Literal(std::string_view l) {
    if (!ok_ || !rest_.starts_with(l)) return ok_ = false;
    rest_.remove_prefix(l.size());
    return true;
  }
  void Digits() {
    size_t n = 0;
    while (n < rest_.size() && rest_[n] >= '0' && rest_[n] <= '9') ++n;
    if (n == 0) ok_ = false;
    rest_.remove_prefix(n);
  }
  // A string literal, quotes included; escapes are skipped over, never decoded.
  std::string_view String() {
    if (!ok_ || rest_.empty() || rest_[0] != '"') return ok_ = false, std::string_view();
    for (size_t i = 1; i < rest_.size(); ++i) {
      if (rest_[i] == '\\') {
        ++i;
      } else if (rest_[i] == '"') {
        const auto out = rest_.substr(0, i + 1);
        rest_.remove_prefix(i + 1);
        return out;
      }
    }
    ok_ = false;
    return {};
  }
  bool ok() const { return ok_; }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace

std::optional<SearchKeys> SearchKeysOf(std::string_view canonical) {
  CanonicalReader r(canonical);
  SearchKeys k;
  r.Literal("{\"seq\":");
  r.Digits();
  r.Literal(",\"time\":");
  k.time = r.String();
  r.Literal(",\"actor\":{\"id\":");
  k.actor_id = r.String();
  for (const char* field : {",\"username\":", ",\"kind\":", ",\"session\":"}) {
    r.Literal(field);
    r.String();
  }
  r.Literal("},\"source\":");
  r.String();
  r.Literal(",\"action\":");
  k.action = r.String();
  r.Literal(",\"target\":{\"type\":");
  r.String();
  r.Literal(",\"id\":");
  k.target_id = r.String();
  if (!r.ok()) return std::nullopt;
  return k;
}

Event SystemEvent(std::string action, Target target, std::string reason) {
  Event e;
  e.actor = {"", "strongroom", "system", ""};
  e.source = "system";
  e.action = std::move(action);
  e.target = std::move(target);
  e.allowed = true;
  e.reason = std::move(reason);
  e.outcome = "ok";
  return e;
}

std::string Canonical(const Event& e) {
  std::string out;
  out.reserve(512);
  out += fmt::format("{{\"seq\":{},", e.sequence);
  AppendField(out, "time", FormatRfc3339(e.time), true);
  out += ",\"actor\":{";
  AppendField(out, "id", e.actor.account_id, true);
  AppendField(out, "username", e.actor.username);
  AppendField(out, "kind", e.actor.kind);
  AppendField(out, "session", e.actor.session);
  out += '}';
  AppendField(out, "source", e.source);
  AppendField(out, "action", e.action);
  out += ",\"target\":{";
  AppendField(out, "type", e.target.type, true);
  AppendField(out, "id", e.target.id);
  AppendField(out, "org", e.target.org);
  out += "},\"decision\":{";
  out += e.allowed ? "\"allow\":true" : "\"allow\":false";
  AppendField(out, "reason", e.reason);
  out += '}';
  AppendField(out, "outcome", e.outcome);
  AppendField(out, "request_id", e.request_id);
  AppendField(out, "node", e.node);
  out += ",\"detail\":{";
  bool first = true;
  for (const auto& [k, v] : e.detail) {
    AppendField(out, k, v, first);
    first = false;
  }
  out += "}}";
  return out;
}

}  // namespace strongroom::audit
