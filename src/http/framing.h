#pragma once
// How a request's body is delimited (RFC 9112 §6), decided from its header before any body byte is
// read. Beast frames a request by Content-Length when its Transfer-Encoding is not recognised and
// reads one whose final coding is not `chunked` as bodiless; either lets the bytes of a body be
// read as the next request (the precondition of request smuggling once a proxy sits in front). So
// a request with a Transfer-Encoding is accepted only when its codings are exactly `chunked`:
// - `chunked` not last (or absent), an empty or malformed list element, a Content-Length beside
//   it, `chunked` twice, or a Transfer-Encoding on an HTTP/1.0 request: 400;
// - `chunked` last after another coding (gzip, identity, ...), which this server does not decode:
//   501.
// Either way the server answers once and closes the connection: nothing after an ambiguous
// frame can be trusted.
//
// Pure function; safe from any thread.

#include "http/message.h"

namespace strongroom::http {

enum class Framing { kOk, kBadRequest, kNotImplemented };

Framing CheckFraming(const beast_http::request_header<>& header);

}  // namespace strongroom::http
