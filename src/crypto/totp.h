#pragma once
// Time-based one-time passwords, RFC 6238 over RFC 4226 HOTP: HMAC-SHA-1, 30-second steps,
// 6 digits by default. Verification accepts the current step and one either side (clock drift),
// compares in constant time, and refuses any step at or before the last one accepted for the
// account, so each code works once.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace strongroom::crypto {

inline constexpr std::chrono::seconds kTotpStep{30};

// The step counter for a time.
int64_t TotpCounter(TimePoint t);

// The code for one counter (HOTP): `digits` decimal digits, zero-padded.
std::string HotpCode(std::span<const uint8_t> secret, int64_t counter, int digits = 6);

// If `code` matches a step within +/-`window` of `now` that is later than `last_used` (the step of
// the last code accepted, or -1), returns that step; the caller stores it as the new `last_used`.
std::optional<int64_t> VerifyTotp(std::span<const uint8_t> secret, std::string_view code,
                                  TimePoint now, int64_t last_used, int window = 1);

}  // namespace strongroom::crypto
