#include "common/text.h"

#include <fmt/format.h>

#include "common/utf8.h"

namespace strongroom {

std::vector<std::string> SplitList(std::string_view text, char separator) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto at = text.find(separator);
    auto item = text.substr(0, at);
    if (!item.empty()) out.emplace_back(item);
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string JoinList(const std::vector<std::string>& items, char separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back(separator);
    out += item;
  }
  return out;
}

std::string CheckText(std::string_view value, const TextRule& rule) {
  std::string_view rest = value;
  size_t count = 0;
  while (!rest.empty()) {
    uint32_t cp = 0;
    const size_t n = Utf8SequenceLength(rest, cp);
    if (n == 0) return fmt::format("{} must be valid UTF-8", rule.what);
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
      return fmt::format("{} must not contain control characters", rule.what);
    }
    rest.remove_prefix(n);
    ++count;
  }
  if (count < rule.min || count > rule.max) {
    return fmt::format("{} must be {} to {} characters", rule.what, rule.min, rule.max);
  }
  return "";
}

}  // namespace strongroom
