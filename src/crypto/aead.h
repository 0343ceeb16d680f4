#pragma once
// AES-256-GCM, the only cipher Strongroom uses for data at rest.
//
// `Seal` draws a fresh 96-bit random nonce for every message and returns
// nonce (12) || ciphertext || tag (16). `Open` returns the plaintext only when the tag verifies
// over the ciphertext and the associated data; any change to nonce, ciphertext, tag or AAD gives
// kDataLoss, never partial output. With random nonces a key must seal fewer than 2^32 messages;
// record keys seal a handful each, and organisation and master keys only wrap keys.

#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "common/error.h"
#include "common/secret.h"
#include "crypto/random.h"

namespace strongroom::crypto {

inline constexpr size_t kAeadKeySize = 32;
inline constexpr size_t kAeadNonceSize = 12;
inline constexpr size_t kAeadTagSize = 16;
inline constexpr size_t kAeadOverhead = kAeadNonceSize + kAeadTagSize;

Result<Bytes> Seal(const Secret& key, std::span<const uint8_t> plaintext,
                   std::span<const uint8_t> aad, Random& random);
Result<Bytes> Open(const Secret& key, std::span<const uint8_t> sealed,
                   std::span<const uint8_t> aad);

// The primitive under Seal/Open with a caller-chosen IV of any length, for known-answer tests.
struct GcmOutput {
  Bytes ciphertext;
  Bytes tag;
};
Result<GcmOutput> GcmEncrypt(std::span<const uint8_t> key, std::span<const uint8_t> iv,
                             std::span<const uint8_t> plaintext, std::span<const uint8_t> aad);
Result<Bytes> GcmDecrypt(std::span<const uint8_t> key, std::span<const uint8_t> iv,
                         std::span<const uint8_t> ciphertext, std::span<const uint8_t> aad,
                         std::span<const uint8_t> tag);

}  // namespace strongroom::crypto
