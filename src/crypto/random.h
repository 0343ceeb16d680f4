#pragma once
// Randomness, injected. Production code uses `SystemRandom` (OpenSSL's CSPRNG); a test may pass
// its own `Random` to make an outcome repeatable. Never use a non-cryptographic generator for
// keys, nonces, tokens or identifiers.
//
// Thread-safety: SystemRandom is safe to call from any thread.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/bytes.h"
#include "common/secret.h"

namespace strongroom::crypto {

class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(std::span<uint8_t> out) = 0;

  Bytes RandomBytes(size_t n);
  Secret RandomSecret(size_t n);
  // n random bytes as lower-case hex (2n characters): ids, request ids.
  std::string RandomHex(size_t n);
};

class SystemRandom final : public Random {
 public:
  void Fill(std::span<uint8_t> out) override;
};

// The process-wide system generator.
Random& DefaultRandom();

}  // namespace strongroom::crypto
