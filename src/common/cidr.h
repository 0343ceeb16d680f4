#pragma once
// Address ranges in CIDR notation ("10.0.0.0/8", "2001:db8::/32"; a bare address is a range of
// one), and lists of them: the allow-lists of the admin and metrics listeners.
//
// An IPv4 address and its IPv4-mapped IPv6 form ("::ffff:10.0.0.1", which a dual-stack listener
// reports) are the same address here, so a list written in IPv4 holds on either kind of socket.
//
// Values; safe to share between threads once built.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace strongroom {

class Cidr {
 public:
  // kInvalidArgument naming what is wrong: not an address, a prefix out of range, host bits set
  // ("10.0.0.1/8" is refused: the writer probably meant something else).
  static Result<Cidr> Parse(std::string_view text);

  // `address` as a socket reports it; false for anything that is not an address.
  bool Contains(std::string_view address) const;
  std::string ToString() const;

 private:
  std::array<uint8_t, 16> bytes_{};  // IPv4 as IPv4-mapped IPv6
  int prefix_ = 0;                   // of the 128 bits
  bool v4_ = false;
};

class CidrList {
 public:
  CidrList() = default;
  explicit CidrList(std::vector<Cidr> ranges) : ranges_(std::move(ranges)) {}
  static Result<CidrList> Parse(const std::vector<std::string>& texts);

  // Empty allows nobody.
  bool Contains(std::string_view address) const;
  bool empty() const { return ranges_.empty(); }
  const std::vector<Cidr>& ranges() const { return ranges_; }

 private:
  std::vector<Cidr> ranges_;
};

// The key a source address is counted by (request allowance, attack score): an IPv4 address as it
// is, an IPv6 address's /64 (addresses inside a /64 cost an attacker nothing), an IPv4-mapped IPv6
// address as the IPv4 one. Anything else is its own key.
std::string SourceKey(std::string_view address);

}  // namespace strongroom
