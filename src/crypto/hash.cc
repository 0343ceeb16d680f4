#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

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

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, Sha256Md(), nullptr) != 1) std::abort();
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(ctx_); }

void Sha256Stream::Update(std::span<const uint8_t> data) {
  if (EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) std::abort();
}

Sha256Digest Sha256Stream::Final() {
  Sha256Digest d;
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx_, d.data(), &size) != 1 || size != d.size()) std::abort();
  return d;
}

Sha256Digest Sha256Concat(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  // One context per thread, reused: allocating one per call costs as much as hashing an event.
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                                 EVP_MD_CTX_free);
  Sha256Digest d;
  unsigned int size = 0;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), d.data(), &size) != 1 || size != d.size()) {
    std::abort();  // as above
  }
  return d;
}

bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace strongroom::crypto
