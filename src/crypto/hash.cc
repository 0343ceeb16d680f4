#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace strongroom::crypto {

Sha256Digest Sha256(std::span<const uint8_t> data) {
  Sha256Digest d;
  SHA256(data.data(), data.size(), d.data());
  return d;
}

bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace strongroom::crypto
