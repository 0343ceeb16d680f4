#include "audit/event.h"

#include <fmt/format.h>

namespace strongroom::audit {
namespace {

// Length of the valid UTF-8 sequence at the front of `s` (1-4), or 0 if it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8Length(std::string_view s, uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  size_t n;
  uint32_t min;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xe0) == 0xc0) {
    n = 2, cp = b0 & 0x1f, min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    n = 3, cp = b0 & 0x0f, min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

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
    const size_t n = Utf8Length(value, cp);
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
