#pragma once
// Small rules shared by the lifecycle service's files.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "identity/auth.h"

namespace strongroom::lifecycle {

inline std::unexpected<Error> Invalid(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

// "YYYY-MM-DD" as the start of that day, UTC.
inline std::optional<TimePoint> ParseDate(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  return ParseRfc3339(std::string(text) + "T00:00:00Z");
}

// Remit names are stored in comma-separated lists: [a-z0-9._-], 1 to 64 characters.
inline bool ValidRemitName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

inline bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

inline bool HasDuplicates(std::vector<std::string> list) {
  std::sort(list.begin(), list.end());
  return std::adjacent_find(list.begin(), list.end()) != list.end();
}

}  // namespace strongroom::lifecycle
