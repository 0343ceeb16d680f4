// Query strings and path segments (http/query.h, http/router.h): a parsed query names only
// allowed parameters, each once, with values within the bound and free of '/' and control
// characters; a decoded path segment, percent-encoded again byte for byte, decodes to itself.

#include <fmt/format.h>

#include <algorithm>

#include "fuzz_check.h"
#include "http/query.h"
#include "http/router.h"

namespace {

using namespace strongroom;

std::string PercentEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += fmt::format("%{:02X}", c);
  return out;
}

void CheckSegment(std::string_view segment) {
  auto decoded = http::DecodePathSegment(segment);
  if (!decoded) return;
  FUZZ_CHECK(decoded->size() <= segment.size(), "decoding made a segment longer");
  for (unsigned char c : *decoded) {
    FUZZ_CHECK(c >= 0x20 && c != 0x7f && c != '/', "a decoded segment holding '/' or a control");
  }
  auto again = http::DecodePathSegment(PercentEncode(*decoded));
  FUZZ_CHECK(again.has_value() && *again == *decoded, "a decoded segment did not round-trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = fuzz::Text(data, size);
  CheckSegment(text);

  constexpr size_t kBound = 64;
  auto query = http::ParseQuery(text, {"q", "limit", "cursor", "action", "a b"}, kBound);
  if (!query) return 0;
  size_t pairs = 0;
  for (const auto& [name, value] : *query) {
    FUZZ_CHECK(
        name == "q" || name == "limit" || name == "cursor" || name == "action" || name == "a b",
        "a parameter that is not allowed");
    FUZZ_CHECK(value.size() <= kBound, "a value longer than its bound");
    for (unsigned char c : value) {
      FUZZ_CHECK(c >= 0x20 && c != 0x7f && c != '/', "a value holding '/' or a control");
    }
    ++pairs;
  }
  FUZZ_CHECK(pairs <= static_cast<size_t>(std::count(text.begin(), text.end(), '&')) + 1,
             "more parameters than the query has pairs");
  // Said again in the canonical form, the query means the same.
  std::string canonical;
  for (const auto& [name, value] : *query) {
    if (!canonical.empty()) canonical += '&';
    canonical += name + "=" + PercentEncode(value);
  }
  auto again = http::ParseQuery(canonical, {"q", "limit", "cursor", "action", "a b"}, kBound);
  FUZZ_CHECK(again.has_value() && *again == *query, "a query did not round-trip");
  return 0;
}
