#pragma once
// Process exit codes, the same for every subcommand.

#include "common/error.h"

namespace strongroom::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;  // a failure while running (I/O, store, network)
inline constexpr int kExitUsage = 2;    // bad command line or configuration; fix and retry

// Configuration-class errors (bad input, wrong state of files) are usage errors; the rest are
// runtime failures.
inline int ExitCodeFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kNotFound:
    case ErrorCode::kPermissionDenied:
      return kExitUsage;
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kResourceExhausted:
    case ErrorCode::kUnavailable:
    case ErrorCode::kDataLoss:
    case ErrorCode::kInternal:
      return kExitRuntime;
  }
  return kExitRuntime;
}

}  // namespace strongroom::cli
