#include "crypto/random.h"

#include <openssl/rand.h>

#include <cstdlib>

namespace strongroom::crypto {

Bytes Random::RandomBytes(size_t n) {
  Bytes b(n);
  Fill(b);
  return b;
}

Secret Random::RandomSecret(size_t n) {
  Secret s(n);
  Fill(s.mutable_view());
  return s;
}

std::string Random::RandomHex(size_t n) { return HexEncode(RandomBytes(n)); }

void SystemRandom::Fill(std::span<uint8_t> out) {
  // RAND_bytes fails only when the CSPRNG cannot be seeded; continuing without randomness would
  // be worse than stopping.
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
}

Random& DefaultRandom() {
  static SystemRandom random;
  return random;
}

}  // namespace strongroom::crypto
