#include "common/cidr.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <cstring>

namespace strongroom {
namespace {

// The 16 bytes of an IPv6 address, or of an IPv4 one mapped into IPv6 (`*v4`: written as IPv4);
// false if not an address.
bool ToBytes(std::string_view text, std::array<uint8_t, 16>& out, bool* v4) {
  if (text.empty() || text.size() > 45) return false;
  const std::string s(text);
  in_addr a4{};
  if (::inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    out = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::memcpy(out.data() + 12, &a4, 4);
    *v4 = true;
    return true;
  }
  in6_addr a6{};
  if (::inet_pton(AF_INET6, s.c_str(), &a6) != 1) return false;
  std::memcpy(out.data(), &a6, 16);
  *v4 = false;  // written as IPv6, its prefix counts 128 bits, even if it maps an IPv4 address
  return true;
}

bool SamePrefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
  const int whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<size_t>(whole)) != 0) return false;
  if (bits % 8 == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - bits % 8));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

Result<Cidr> Cidr::Parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = text.substr(0, slash);
  Cidr c;
  if (!ToBytes(address, c.bytes_, &c.v4_)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not an IP address or CIDR range", text.substr(0, 64)));
  }
  const int max = c.v4_ ? 32 : 128;
  int bits = max;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || bits < 0 ||
        bits > max) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("'{}': the prefix length must be 0 to {}", text.substr(0, 64), max));
    }
  }
  c.prefix_ = c.v4_ ? bits + 96 : bits;
  // Host bits must be clear: compare with the address masked to its prefix.
  auto masked = c.bytes_;
  for (int i = c.prefix_; i < 128; ++i) masked[i / 8] &= static_cast<uint8_t>(~(0x80 >> (i % 8)));
  if (masked != c.bytes_) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' has bits set past its prefix length", text.substr(0, 64)));
  }
  return c;
}

bool Cidr::Contains(std::string_view address) const {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;
  return ToBytes(address, bytes, &v4) && SamePrefix(bytes, bytes_, prefix_);
}

std::string Cidr::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (v4_) {
    ::inet_ntop(AF_INET, bytes_.data() + 12, text, sizeof text);
    return fmt::format("{}/{}", text, prefix_ - 96);
  }
  ::inet_ntop(AF_INET6, bytes_.data(), text, sizeof text);
  return fmt::format("{}/{}", text, prefix_);
}

Result<CidrList> CidrList::Parse(const std::vector<std::string>& texts) {
  std::vector<Cidr> ranges;
  for (const auto& t : texts) {
    ASSIGN_OR_RETURN(auto c, Cidr::Parse(t));
    ranges.push_back(c);
  }
  return CidrList(std::move(ranges));
}

bool CidrList::Contains(std::string_view address) const {
  for (const auto& r : ranges_) {
    if (r.Contains(address)) return true;
  }
  return false;
}

std::string SourceKey(std::string_view address) {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;
  if (!ToBytes(address, bytes, &v4)) return std::string(address);
  const std::array<uint8_t, 12> mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (v4 || std::memcmp(bytes.data(), mapped.data(), mapped.size()) == 0) {
    return fmt::format("{}.{}.{}.{}", bytes[12], bytes[13], bytes[14], bytes[15]);
  }
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, bytes.data(), text, sizeof text);
  return std::string(text) + "/64";
}

}  // namespace strongroom
