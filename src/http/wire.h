#pragma once
// A Response as HTTP/1.1 bytes: status line, headers, body, in one buffer that one write sends.
//
// The framing and security headers are the server's alone: Content-Length, Connection,
// Transfer-Encoding, Content-Type (from Response::content_type), X-Request-Id and the security
// headers are written here, and a handler header of any of those names makes the response invalid
// rather than duplicate or override them. A header name must be a token and a value must not hold
// CR, LF, NUL or other control characters (no response splitting).

#include <string>
#include <string_view>

#include "common/error.h"
#include "http/message.h"

namespace strongroom::http {

// Appends the wire form of `response` to `out`. kInternal (and `out` unchanged) when a handler
// header is invalid or reserved.
Result<void> AppendResponse(const Response& response, std::string_view request_id, bool keep_alive,
                            std::string& out);

}  // namespace strongroom::http
