// RELP responses from the collector (audit/relp_client.h), arriving in pieces as a TLS channel
// delivers them. A response is taken only when a whole frame has arrived: the bytes it consumes
// are exactly "TXNR rsp LEN DATA\n" with DATA of LEN bytes starting "200"; while waiting nothing
// is consumed; after an error the session is over.

#include <fuzzer/FuzzedDataProvider.h>

#include <charconv>

#include "audit/relp_client.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strongroom;
  FuzzedDataProvider in(data, size);
  std::string pending;
  while (in.remaining_bytes() > 0) {
    const auto chunk = in.ConsumeIntegralInRange<size_t>(1, 64);
    pending += in.ConsumeBytesAsString(chunk);
    for (;;) {
      const std::string before = pending;
      auto taken = audit::TakeRelpResponse(pending);
      if (!taken) return 0;  // the session is over
      if (!*taken) {
        FUZZ_CHECK(pending == before, "bytes consumed without a frame");
        FUZZ_CHECK(pending.size() <= audit::kMaxRelpResponse + 64, "waited past the bound");
        break;
      }
      const int64_t txnr = **taken;
      FUZZ_CHECK(txnr >= 0, "a negative transaction number");
      FUZZ_CHECK(before.ends_with(pending), "consumed bytes from the middle");
      const std::string frame = before.substr(0, before.size() - pending.size());
      int64_t number = -1;
      auto [end, bad] = std::from_chars(frame.data(), frame.data() + frame.size(), number);
      FUZZ_CHECK(bad == std::errc() && number == txnr, "a transaction number not the frame's");
      const auto rest = std::string_view(end, frame.data() + frame.size());
      FUZZ_CHECK(rest.starts_with(" rsp ") && frame.ends_with('\n'), "a frame of another shape");
      size_t len = 0;
      auto [p, ec] = std::from_chars(rest.data() + 5, rest.data() + rest.size(), len);
      FUZZ_CHECK(ec == std::errc() && *p == ' ', "a frame without its length");
      const auto payload = std::string_view(p + 1, frame.data() + frame.size() - 1);
      FUZZ_CHECK(payload.size() == len, "data not of its declared length");
      FUZZ_CHECK(payload.starts_with("200"), "a refusal taken as an acknowledgement");
    }
  }
  return 0;
}
