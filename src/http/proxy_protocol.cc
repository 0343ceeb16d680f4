#include "http/proxy_protocol.h"

#include <boost/asio/ip/address.hpp>
#include <vector>

namespace strongroom::http {
namespace {

constexpr size_t kFirst = 15;  // "PROXY UNKNOWN\r\n", the shortest header of either version
constexpr size_t kV1Max = 107;
constexpr size_t kV2Fixed = 16;
constexpr std::string_view kV2Signature("\r\n\r\n\0\r\nQUIT\n", 12);

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto sp = s.find(' ');
    out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) return out;
    s.remove_prefix(sp + 1);
  }
}

// Decimal, 0 to 65535, without leading zeroes (the specification's words).
bool IsPort(std::string_view p) {
  if (p.empty() || p.size() > 5 || (p.size() > 1 && p[0] == '0')) return false;
  unsigned n = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n <= 65535;
}

// The plain text form the rest of the server compares: an IPv4-mapped IPv6 address as IPv4.
std::string Plain(const boost::asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

}  // namespace

bool MayName(std::string_view peer, std::string_view client) {
  boost::system::error_code ec_peer, ec_client;
  const auto p = boost::asio::ip::make_address(std::string(peer), ec_peer);
  const auto c = boost::asio::ip::make_address(std::string(client), ec_client);
  if (ec_peer || ec_client) return false;
  const auto local = [](const boost::asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
      const auto v4 = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
      return v4.is_loopback() || v4.is_unspecified();
    }
    return a.is_loopback() || a.is_unspecified();
  };
  return !local(c) || local(p);
}

size_t ProxyHeaderReader::Wanted() const {
  switch (state_) {
    case State::kStart:
      return kFirst - buf_.size();
    case State::kV1:
      return 1;
    case State::kV2:
      return v2_total_ == 0 ? kV2Fixed - buf_.size() : v2_total_ - buf_.size();
    case State::kDone:
    case State::kFailed:
      return 0;
  }
  return 0;
}

void ProxyHeaderReader::Fail(std::string why) {
  state_ = State::kFailed;
  error_ = std::move(why);
  buf_.clear();
}

void ProxyHeaderReader::Add(std::string_view bytes) {
  if (bytes.size() > Wanted()) return Fail("more bytes than the header asked for");
  buf_.append(bytes);
  if (state_ != State::kV1 && Wanted() > 0) return;  // a version 1 line is judged at each byte
  switch (state_) {
    case State::kStart:
      if (buf_.starts_with(kV2Signature)) {
        state_ = State::kV2;
      } else if (buf_.starts_with("PROXY ")) {
        state_ = State::kV1;
        if (buf_.ends_with("\r\n")) ParseV1();
      } else {
        Fail("no PROXY protocol header from a load balancer");
      }
      return;
    case State::kV1:
      if (buf_.ends_with("\r\n")) return ParseV1();
      if (buf_.size() >= kV1Max) Fail("a PROXY protocol version 1 line longer than 107 bytes");
      return;
    case State::kV2:
      if (v2_total_ == 0) {
        const size_t length = static_cast<size_t>(static_cast<uint8_t>(buf_[14])) << 8 |
                              static_cast<uint8_t>(buf_[15]);
        if (length > kMaxV2Body) return Fail("a PROXY protocol version 2 header too long");
        v2_total_ = kV2Fixed + length;
        if (length > 0) return;
      }
      return ParseV2();
    case State::kDone:
    case State::kFailed:
      return;
  }
}

void ProxyHeaderReader::ParseV1() {
  const auto line = std::string_view(buf_).substr(0, buf_.size() - 2);
  // Printable US-ASCII only: an address parser reading C strings would stop at a NUL and take
  // what came before it; and no IPv6 zone (`%eth0`), which the parser would take off.
  for (char c : line) {
    if (c < 0x20 || c > 0x7E || c == '%') {
      return Fail("a PROXY protocol version 1 line with a byte no address has");
    }
  }
  const auto parts = Split(line);
  if (parts.size() >= 2 && parts[0] == "PROXY" && parts[1] == "UNKNOWN") {
    state_ = State::kDone;  // the balancer's own connection: whatever follows is not read
    return;
  }
  if (parts.size() != 6 || parts[0] != "PROXY" || (parts[1] != "TCP4" && parts[1] != "TCP6") ||
      !IsPort(parts[4]) || !IsPort(parts[5])) {
    return Fail("a malformed PROXY protocol version 1 line");
  }
  boost::system::error_code ec_src, ec_dst;
  const auto src = boost::asio::ip::make_address(std::string(parts[2]), ec_src);
  const auto dst = boost::asio::ip::make_address(std::string(parts[3]), ec_dst);
  const bool v4 = parts[1] == "TCP4";
  if (ec_src || ec_dst || src.is_v4() != v4 || dst.is_v4() != v4) {
    return Fail("a PROXY protocol version 1 line with an address that is not one");
  }
  source_ = Plain(src);
  state_ = State::kDone;
}

void ProxyHeaderReader::ParseV2() {
  const auto version_command = static_cast<uint8_t>(buf_[12]);
  const auto family = static_cast<uint8_t>(buf_[13]);
  if (version_command >> 4 != 2) return Fail("a PROXY protocol header of an unknown version");
  const uint8_t command = version_command & 0x0F;
  if (command == 0x0) {  // LOCAL: the balancer's own connection (a health check)
    state_ = State::kDone;
    return;
  }
  if (command != 0x1) return Fail("a PROXY protocol version 2 header with an unknown command");
  const auto body = std::string_view(buf_).substr(kV2Fixed);
  if (family == 0x00) {  // UNSPEC: the balancer does not know; its own address stands
    state_ = State::kDone;
    return;
  }
  if (family == 0x11 && body.size() >= 12) {  // TCP over IPv4: source, destination, ports
    boost::asio::ip::address_v4::bytes_type b;
    std::copy_n(body.begin(), b.size(), reinterpret_cast<char*>(b.data()));
    source_ = boost::asio::ip::address_v4(b).to_string();
  } else if (family == 0x21 && body.size() >= 36) {  // TCP over IPv6
    boost::asio::ip::address_v6::bytes_type b;
    std::copy_n(body.begin(), b.size(), reinterpret_cast<char*>(b.data()));
    source_ = Plain(boost::asio::ip::address_v6(b));
  } else {
    return Fail("a PROXY protocol version 2 header for other than a TCP connection");
  }
  state_ = State::kDone;
}

}  // namespace strongroom::http
