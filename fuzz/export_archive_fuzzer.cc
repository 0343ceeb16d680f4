// The export archive as a requester receives it (exports/export_service.h): nonce || AES-256-GCM
// ciphertext || tag, bound to the export's id. Bytes nobody sealed never open; an archive sealed
// here opens to exactly what went in, under its own id only; and any one byte changed, or a byte
// cut off, and it does not open.

#include <fuzzer/FuzzedDataProvider.h>

#include "common/secret.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "fuzz_check.h"

namespace {

using namespace strongroom;

// Deterministic, so that a crash reproduces from its input alone.
class CountingRandom final : public crypto::Random {
 public:
  void Fill(std::span<uint8_t> out) override {
    for (auto& b : out) b = static_cast<uint8_t>(next_++);
  }

 private:
  uint64_t next_ = 7;
};

std::span<const uint8_t> Of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Secret key = [] {
    Bytes k(crypto::kAeadKeySize);
    for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i * 31 + 5);
    return Secret(k);
  }();
  constexpr std::string_view kId = "exp-0123456789abcdef";
  FUZZ_CHECK(!crypto::Open(key, std::span(data, size), Of(kId)).has_value(),
             "bytes nobody sealed opened");

  FuzzedDataProvider in(data, size);
  const auto where = in.ConsumeIntegral<size_t>();
  const auto flip = in.ConsumeIntegralInRange<uint8_t>(1, 255);
  const auto plain = in.ConsumeRemainingBytes<uint8_t>();
  CountingRandom random;
  auto sealed = crypto::Seal(key, plain, Of(kId), random);
  FUZZ_CHECK(sealed.has_value() && sealed->size() == plain.size() + crypto::kAeadOverhead,
             "sealing failed or grew by more than its overhead");
  auto opened = crypto::Open(key, *sealed, Of(kId));
  FUZZ_CHECK(opened.has_value() && *opened == Bytes(plain.begin(), plain.end()),
             "a sealed archive did not open to what went in");
  FUZZ_CHECK(!crypto::Open(key, *sealed, Of("exp-another")).has_value(),
             "an archive opened under another export's id");
  Bytes changed = *sealed;
  changed[where % changed.size()] ^= flip;
  FUZZ_CHECK(!crypto::Open(key, changed, Of(kId)).has_value(), "a changed archive opened");
  changed = *sealed;
  changed.pop_back();
  FUZZ_CHECK(!crypto::Open(key, changed, Of(kId)).has_value(), "a cut archive opened");
  return 0;
}
