#pragma once
// Hashes and comparisons of secrets.

#include <array>
#include <cstdint>
#include <span>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace strongroom::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::span<const uint8_t> data);
// SHA-256(a || b), without copying them together (the audit chain's step).
Sha256Digest Sha256Concat(std::span<const uint8_t> a, std::span<const uint8_t> b);

// SHA-256 of data given in pieces (a file streamed through it).
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::span<const uint8_t> data);
  Sha256Digest Final();  // once

 private:
  ::evp_md_ctx_st* ctx_;
};

// True when a and b are equal, in time that depends only on their lengths. Use for every
// comparison of a secret or a value derived from one (tokens, MACs, hashes of tokens).
bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b);

}  // namespace strongroom::crypto
