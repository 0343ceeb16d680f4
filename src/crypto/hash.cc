#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>

namespace strongroom::crypto {

namespace {

// Fetched once: the one-shot SHA256() looks the digest up in OpenSSL's provider store on every
// call. The fetched object is immutable and may be shared by threads.
const EVP_MD* Sha256Md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

Sha256Digest Sha256(std::span<const uint8_t> data) {
  Sha256Digest d;
  unsigned int size = 0;
  const EVP_MD* md = Sha256Md();
  if (md == nullptr || EVP_Digest(data.data(), data.size(), d.data(), &size, md, nullptr) != 1 ||
      size != d.size()) {
    // Only when OpenSSL itself is broken (no default provider, out of memory): a wrong digest
    // must never be taken for a right one.
    std::abort();
  }
  return d;
}

bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace strongroom::crypto
