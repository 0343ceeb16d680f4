#pragma once
// Errors, the one way every Strongroom module reports failure.
//
// A fallible function returns `Result<T>` (std::expected<T, Error>). An `Error` carries one of a
// fixed set of canonical codes and a message that is safe to show to the caller: it never holds
// a secret and never echoes raw input. Return the most specific code that fits; the HTTP layer
// maps each code to exactly one status in src/http/error_response.cc.
//
//   Result<Key> LoadKey(const Path& p) {
//     ASSIGN_OR_RETURN(auto bytes, ReadFile(p));
//     if (bytes.size() != 32) return Fail(ErrorCode::kDataLoss, "key file has the wrong size");
//     return Key(bytes);
//   }

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace strongroom {

enum class ErrorCode {
  kInvalidArgument,     // the caller's input is malformed or out of range
  kUnauthenticated,     // no valid credentials
  kPermissionDenied,    // authenticated, but not allowed
  kNotFound,            // absent, or outside the caller's remit (never says which)
  kAlreadyExists,       // a unique thing exists already
  kFailedPrecondition,  // the system is not in the state the operation needs (e.g. version
                        // mismatch)
  kResourceExhausted,   // a limit or quota was hit (rate limits, size caps)
  kUnavailable,         // temporarily unable (overload, audit log unwritable); retry later
  kDataLoss,            // stored data failed an integrity check (AEAD tag, hash chain)
  kInternal,            // a bug or an unexpected library failure
};

// The lower-case code name used in API error bodies, e.g. "invalid_argument".
std::string_view ErrorCodeName(ErrorCode code);

struct [[nodiscard]] Error {
  ErrorCode code;
  std::string message;
  int64_t retry_after_s = 0;  // for kResourceExhausted / kUnavailable: when to try again
};

template <typename T>
using Result = std::expected<T, Error>;

// `return Fail(ErrorCode::kNotFound, "no such record");` in any function returning Result<T>.
[[nodiscard]] inline std::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

}  // namespace strongroom

#define STRONGROOM_CONCAT_INNER(a, b) a##b
#define STRONGROOM_CONCAT(a, b) STRONGROOM_CONCAT_INNER(a, b)

// Returns the error of `expr` (a Result) from the enclosing function, if it has one.
#define RETURN_IF_ERROR(expr) \
  RETURN_IF_ERROR_IMPL(STRONGROOM_CONCAT(strongroom_status_, __COUNTER__), expr)
#define RETURN_IF_ERROR_IMPL(tmp, expr)                                                      \
  do {                                                                                       \
    if (auto tmp = (expr); !tmp.has_value()) return std::unexpected(std::move(tmp).error()); \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, F());` declares x with F()'s value, or returns F()'s error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(STRONGROOM_CONCAT(strongroom_result_, __COUNTER__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)                           \
  auto tmp = (expr);                                                    \
  if (!tmp.has_value()) return std::unexpected(std::move(tmp).error()); \
  lhs = std::move(tmp).value()
