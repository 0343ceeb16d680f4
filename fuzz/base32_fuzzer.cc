// Base32 TOTP secrets (common/bytes.h): what decodes encodes back to text that decodes to the
// same bytes; any bytes encode to text that decodes to them; and a decoded secret gives a six
// digit code that verifies at its own counter.

#include "common/bytes.h"
#include "common/secret.h"
#include "crypto/totp.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strongroom;
  const auto text = fuzz::Text(data, size);
  const std::span<const uint8_t> raw(data, size);
  auto round = Base32Decode(Base32Encode(raw));
  FUZZ_CHECK(round.has_value() && std::equal(round->begin(), round->end(), raw.begin(), raw.end()),
             "bytes did not survive encoding");

  auto bytes = Base32Decode(text);
  if (!bytes) return 0;
  const auto encoded = Base32Encode(*bytes);
  FUZZ_CHECK(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == std::string::npos,
             "encoding outside the alphabet");
  auto again = Base32Decode(encoded);
  FUZZ_CHECK(again.has_value() && *again == *bytes, "decoded bytes did not round-trip");
  if (bytes->empty()) return 0;
  const auto code = crypto::HotpCode(*bytes, 1234);
  FUZZ_CHECK(code.size() == 6 && code.find_first_not_of("0123456789") == std::string::npos,
             "a code that is not six digits");
  const TimePoint now(std::chrono::duration_cast<TimePoint::duration>(1234 * crypto::kTotpStep));
  // No window: a neighbouring step may have the same code, one secret in a million.
  auto step = crypto::VerifyTotp(*bytes, code, now, -1, 0);
  FUZZ_CHECK(step.has_value() && *step == 1234, "a code refused at its own step");
  FUZZ_CHECK(!crypto::VerifyTotp(*bytes, code, now, 1234, 0).has_value(), "a code used twice");
  return 0;
}
