#pragma once
// The one mapping from ErrorCode to HTTP status, and the error body every failure carries:
//   {"error":{"code":"not_found","message":"..."},"request_id":"..."}
// Internal and data-loss errors are answered with a generic message; their detail belongs in the
// operational log (under the same request id), never in a response.

#include <string_view>

#include "common/error.h"
#include "http/message.h"

namespace strongroom::http {

unsigned HttpStatusFor(ErrorCode code);

Response ErrorResponse(const Error& error, std::string_view request_id);

// For conditions the HTTP layer detects itself before any handler runs (malformed request,
// oversize header or body, method not allowed, overload): `status` is fixed by the protocol.
Response ProtocolErrorResponse(unsigned status, ErrorCode code, std::string_view message,
                               std::string_view request_id);

}  // namespace strongroom::http
