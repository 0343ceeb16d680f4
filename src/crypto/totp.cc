#include "crypto/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "crypto/hash.h"

namespace strongroom::crypto {

int64_t TotpCounter(TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count() / kTotpStep.count();
}

std::string HotpCode(std::span<const uint8_t> secret, int64_t counter, int digits) {
  std::array<uint8_t, 8> msg{};
  for (int i = 7; i >= 0; --i) {
    msg[static_cast<size_t>(i)] = static_cast<uint8_t>(counter & 0xff);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), msg.data(), msg.size(), mac,
       &len);
  const int offset = mac[len - 1] & 0x0f;
  const uint32_t bin = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
                       (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                       (static_cast<uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
  uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string code = std::to_string(bin % mod);
  return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

std::optional<int64_t> VerifyTotp(std::span<const uint8_t> secret, std::string_view code,
                                  TimePoint now, int64_t last_used, int window) {
  if (code.size() != 6) return std::nullopt;
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const int64_t current = TotpCounter(now);
  std::optional<int64_t> matched;
  // Every candidate is computed and compared, so timing does not reveal which step matched.
  for (int64_t step = current - window; step <= current + window; ++step) {
    const auto expected = HotpCode(secret, step, 6);
    const bool equal =
        ConstantTimeEqual({reinterpret_cast<const uint8_t*>(expected.data()), expected.size()},
                          {reinterpret_cast<const uint8_t*>(code.data()), code.size()});
    if (equal && step > last_used && !matched) matched = step;
  }
  return matched;
}

}  // namespace strongroom::crypto
