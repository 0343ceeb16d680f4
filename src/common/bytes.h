#pragma once
// Plain byte strings and their text encodings.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strongroom {

using Bytes = std::vector<uint8_t>;

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string HexEncode(std::span<const uint8_t> bytes);
// Lower- or upper-case hex; nullopt on odd length or a non-hex character.
std::optional<Bytes> HexDecode(std::string_view hex);
// The value of one hex digit (either case), or -1.
int HexValue(char c);

// RFC 4648 base32 (A-Z, 2-7) without padding, as authenticator apps expect for TOTP secrets.
std::string Base32Encode(std::span<const uint8_t> bytes);
// Accepts upper or lower case, ignores '=' padding; nullopt on any other character.
std::optional<Bytes> Base32Decode(std::string_view text);

// RFC 4648 base64url (A-Z, a-z, 0-9, '-', '_') without padding, as WebAuthn carries binary.
std::string Base64UrlEncode(std::span<const uint8_t> bytes);
// Strict: nullopt on padding, any other character, a length no encoding has, or unused bits set
// (so each byte string has exactly one text).
std::optional<Bytes> Base64UrlDecode(std::string_view text);

}  // namespace strongroom
