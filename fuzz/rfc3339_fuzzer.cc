// RFC 3339 times (common/clock.h): a time that parses formats back to the same instant, and the
// formatted text, parsed again, is that instant too; the text it accepts is UTC ("Z") only.

#include "common/clock.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strongroom;
  const auto text = fuzz::Text(data, size);
  auto t = ParseRfc3339(text);
  if (!t) return 0;
  FUZZ_CHECK(text.ends_with('Z'), "accepted a time that is not UTC");
  FUZZ_CHECK(text.size() == 20 || text.size() == 24, "accepted a time of another shape");
  const auto formatted = FormatRfc3339(*t);
  auto again = ParseRfc3339(formatted);
  FUZZ_CHECK(again.has_value(), "refused its own formatting");
  FUZZ_CHECK(*again == *t, "formatting changed the instant");
  // Formatting always gives milliseconds: a text that had them is given back as it was.
  if (text.size() == 24) FUZZ_CHECK(formatted == text, "a canonical time formatted differently");
  return 0;
}
