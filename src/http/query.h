#pragma once
// Query strings, parsed strictly: `name=value` pairs separated by '&', percent-decoded ('+' is a
// space), each name at most once and from the caller's list; values without control characters
// and at most `max_value_bytes`. Anything else is kInvalidArgument naming the parameter, never
// echoing its value.

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include "common/error.h"

namespace strongroom::http {

Result<std::map<std::string, std::string>> ParseQuery(
    std::string_view query, std::initializer_list<std::string_view> allowed,
    size_t max_value_bytes = 256);

}  // namespace strongroom::http
