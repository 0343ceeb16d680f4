#include "common/secret.h"

namespace strongroom {

void SecureWipe(std::span<uint8_t> bytes) {
  volatile uint8_t* p = bytes.data();
  for (size_t i = 0; i < bytes.size(); ++i) p[i] = 0;
}

}  // namespace strongroom
