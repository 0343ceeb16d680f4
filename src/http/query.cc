#include "http/query.h"

#include <algorithm>

#include "common/bytes.h"

namespace strongroom::http {

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      c = ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi << 4 | lo);
      i += 2;
    }
    out.push_back(c);
  }
  return out;
}

Result<void> ForEachPair(
    std::string_view text,
    const std::function<Result<void>(std::string_view, std::string_view)>& each) {
  while (!text.empty()) {
    const auto amp = text.find('&');
    const auto pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    RETURN_IF_ERROR(each(pair.substr(0, eq),
                         eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1)));
  }
  return {};
}

Result<std::map<std::string, std::string>> ParseQuery(
    std::string_view query, std::initializer_list<std::string_view> allowed,
    size_t max_value_bytes) {
  std::map<std::string, std::string> out;
  RETURN_IF_ERROR(
      ForEachPair(query, [&](std::string_view name, std::string_view raw) -> Result<void> {
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
          return Fail(ErrorCode::kInvalidArgument, "unknown query parameter");
        }
        if (out.contains(std::string(name))) {
          return Fail(ErrorCode::kInvalidArgument,
                      "query parameter '" + std::string(name) + "' given more than once");
        }
        // No parameter needs a control character or '/'.
        auto value = PercentDecode(raw, true);
        const bool bad = !value || value->size() > max_value_bytes ||
                         std::any_of(value->begin(), value->end(), [](char c) {
                           const auto u = static_cast<unsigned char>(c);
                           return u < 0x20 || u == 0x7f || c == '/';
                         });
        if (bad) {
          return Fail(ErrorCode::kInvalidArgument,
                      "query parameter '" + std::string(name) + "' is malformed or too long");
        }
        out.emplace(std::string(name), std::move(*value));
        return {};
      }));
  return out;
}

}  // namespace strongroom::http
