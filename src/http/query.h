#pragma once
// Query strings, parsed strictly: `name=value` pairs separated by '&', percent-decoded ('+' is a
// space), each name at most once and from the caller's list; values without control characters
// and at most `max_value_bytes`. Anything else is kInvalidArgument naming the parameter, never
// echoing its value.

#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace strongroom::http {

// Percent-decodes `text` ('+' is a space when `plus_is_space`, as in queries and forms); nullopt
// for a malformed escape. Checks nothing else: callers refuse what they must.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// Calls `each(name, raw value)` for every `name=value` pair of `text` (separated by '&'; empty
// pairs skipped; a pair without '=' has an empty value); stops at, and returns, the first error.
Result<void> ForEachPair(
    std::string_view text,
    const std::function<Result<void>(std::string_view, std::string_view)>& each);

Result<std::map<std::string, std::string>> ParseQuery(
    std::string_view query, std::initializer_list<std::string_view> allowed,
    size_t max_value_bytes = 256);

}  // namespace strongroom::http
