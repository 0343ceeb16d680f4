#pragma once
// Strict UTF-8: overlong forms, surrogates and code points above U+10FFFF are invalid.

#include <cstdint>
#include <optional>
#include <string_view>

namespace strongroom {

// Length (1-4) of the valid UTF-8 sequence at the front of non-empty `s`, with its code point in
// `cp`; 0 if the front of `s` is not valid UTF-8.
size_t Utf8SequenceLength(std::string_view s, uint32_t& cp);

// The number of code points in `s`, or nullopt if `s` is not valid UTF-8.
std::optional<size_t> Utf8CodePoints(std::string_view s);

}  // namespace strongroom
