#include "http/query.h"

#include <algorithm>

#include "http/router.h"

namespace strongroom::http {

Result<std::map<std::string, std::string>> ParseQuery(
    std::string_view query, std::initializer_list<std::string_view> allowed,
    size_t max_value_bytes) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const auto name = pair.substr(0, eq);
    std::string raw(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    std::replace(raw.begin(), raw.end(), '+', ' ');
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return Fail(ErrorCode::kInvalidArgument, "unknown query parameter");
    }
    if (out.contains(std::string(name))) {
      return Fail(ErrorCode::kInvalidArgument,
                  "query parameter '" + std::string(name) + "' given more than once");
    }
    // Path-segment decoding refuses control characters and '/', which no parameter needs.
    auto value = raw.empty() ? std::optional<std::string>("") : DecodePathSegment(raw);
    if (!value || value->size() > max_value_bytes) {
      return Fail(ErrorCode::kInvalidArgument,
                  "query parameter '" + std::string(name) + "' is malformed or too long");
    }
    out.emplace(std::string(name), std::move(*value));
  }
  return out;
}

}  // namespace strongroom::http
