#pragma once
// The PROXY protocol header (versions 1 and 2, as HAProxy specifies them) that a load balancer
// passing TLS through (nginx's `stream` with `proxy_protocol on`, HAProxy's `send-proxy-v2`) sends
// before the client's first byte, naming the client's address. Read only from the balancers
// `[server] proxy_from` names, and from them always: a client cannot name its own address, and a
// balancer's connection without a header is refused.
//
// The reader asks for exactly the bytes it needs, never more, so that the TLS handshake that
// follows starts at its first byte: the first 15 (the shortest header of either version), then one
// at a time to a version 1 line's end (at most 107 bytes), or a version 2 header's length.

#include <cstddef>
#include <string>
#include <string_view>

namespace strongroom::http {

// Whether a balancer at `peer` may name `client`: never a loopback or unspecified address unless
// the balancer is on this machine itself (else anyone who can reach the balancer's own loopback,
// a process there or a request it is tricked into making, would get this machine's loopback
// rights: the admin and metrics surfaces' default allow-lists).
bool MayName(std::string_view peer, std::string_view client);

class ProxyHeaderReader {
 public:
  // A version 2 header's addresses and extensions, at most: more is refused.
  static constexpr size_t kMaxV2Body = 512;

  // How many more bytes to read: never past the header; 0 once done or failed.
  size_t Wanted() const;
  // Takes the bytes read (at most Wanted()).
  void Add(std::string_view bytes);

  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }
  // Once done: the client's address as the header names it, in its plain text form (an IPv4
  // address mapped into IPv6 as the IPv4 one; "" when the header names none: a balancer's own
  // check, version 1 UNKNOWN or version 2 LOCAL or UNSPEC).
  const std::string& source() const { return source_; }
  // Once failed: why, for the audit log (never the bytes themselves).
  const std::string& error() const { return error_; }

 private:
  enum class State { kStart, kV1, kV2, kDone, kFailed };
  void Fail(std::string why);
  void ParseV1();
  void ParseV2();

  State state_ = State::kStart;
  std::string buf_;
  size_t v2_total_ = 0;  // 16 + the length a version 2 header gives, once read
  std::string source_;
  std::string error_;
};

}  // namespace strongroom::http
