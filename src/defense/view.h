#pragma once
// What the CRS is shown of a request: the request as sent, except that every long value is cut
// into overlapping windows, so that inspecting a request costs time in proportion to its size.
//
// Why: many CRS 3.3.4 patterns backtrack in time quadratic in the length of the value they scan
// (64 KiB of spaces in one JSON string took 2.6 s; 128 KiB of ordinary prose, 1 s), and Debian's
// libmodsecurity applies no match limit. Cut into windows of kWindow bytes that overlap by
// kOverlap, a value costs each window's (bounded) time, and any match shorter than kOverlap is
// still seen whole in some window. A pattern spread over more than kOverlap bytes by padding can
// be missed; that is the price of bounding the cost.
//
// - The target is shown up to kMaxTarget bytes (the server refuses longer ones before routing).
// - A header value longer than kWindow becomes several fields of the same name, one per window.
// - A JSON body is parsed and shown again with each long string as an array of its windows, and
//   each long key cut to kWindow. A form (url-encoded or multipart) is shown as a JSON object of
//   its fields, each value decoded and windowed, so that a multipart body's framing is not
//   inspected as content; a form that does not parse is shown as sent, but with what follows each
//   secret field's name blanked. Any other body (CSV, text, JSON that does not parse) is shown as
//   a JSON array of its windows, so that its content is inspected as values (ARGS:json.array_N)
//   whatever its type; bytes that are not UTF-8 are shown as '?'.
// - Secrets are not shown at all: the values of the kSecretFields in a JSON body (at any depth)
//   or a form, and of the kSecretCookies, are emptied, and the Authorization header's value is
//   replaced. (The CRS configuration also leaves them out of every rule: defense/crs.h.) The Cookie
//   header is never cut into windows, since a window boundary would invent cookies out of a token's
//   bytes.

#include <string>
#include <utility>
#include <vector>

#include "http/message.h"

namespace strongroom::defense {

inline constexpr size_t kWindow = 2048;
inline constexpr size_t kOverlap = 512;
inline constexpr size_t kMaxTarget = http::kMaxTargetBytes;

// Fields (of JSON bodies and forms) and cookies that carry secrets (passwords, TOTP and recovery
// codes, enrolment and API tokens, sign-in challenges, CSRF and session tokens).
inline constexpr std::string_view kSecretFields[] = {
    "password", "password_again", "code", "token", "enrolment_token", "challenge", "csrf_token"};
inline constexpr std::string_view kSecretCookies[] = {"__Host-strongroom-session",
                                                      "__Host-strongroom-admin-session"};

struct RequestView {
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

RequestView ViewOf(const http::Request& request);

// `text` in windows of kWindow bytes, each starting kWindow - kOverlap after the last, cut on
// UTF-8 character boundaries; `text` itself when it fits in one.
std::vector<std::string_view> Windows(std::string_view text);

}  // namespace strongroom::defense
