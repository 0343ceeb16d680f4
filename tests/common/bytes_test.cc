#include "common/bytes.h"

#include <fmt/chrono.h>
#include <gtest/gtest.h>

#include <set>

#include "common/clock.h"
#include "common/error.h"
#include "common/secret.h"

namespace strongroom {
namespace {

TEST(HexTest, RoundTripsAndRejectsMalformed) {
  const Bytes b = {0x00, 0x7f, 0x80, 0xff};
  EXPECT_EQ(HexEncode(b), "007f80ff");
  EXPECT_EQ(HexDecode("007F80ff"), b);
  EXPECT_FALSE(HexDecode("abc"));
  EXPECT_FALSE(HexDecode("zz"));
}

TEST(SecretTest, MoveLeavesSourceEmptyAndWipeZeroes) {
  Secret a(Bytes{1, 2, 3});
  Secret b = std::move(a);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(b.size(), 3u);
  Bytes raw = {9, 9, 9};
  SecureWipe(raw);
  EXPECT_EQ(raw, (Bytes{0, 0, 0}));
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(TimePoint(std::chrono::milliseconds(1'700'000'000'000)));
  const auto t0 = clock.Now();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(std::chrono::minutes(5));
  EXPECT_EQ(clock.Now() - t0, std::chrono::minutes(5));
  EXPECT_EQ(FormatRfc3339(t0), "2023-11-14T22:13:20.000Z");
}

TEST(ClockTest, ParsesRfc3339UtcAndRejectsEverythingElse) {
  const auto t = ParseRfc3339("2023-11-14T22:13:20.000Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatRfc3339(*t), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(ParseRfc3339("2023-11-14T22:13:20Z"), t);
  for (const char* bad : {"", "2023-11-14", "2023-11-14T22:13:20+01:00", "2023-02-30T00:00:00Z",
                          "2023-11-14T24:00:00Z", "2023-11-14 22:13:20Z", "2023-11-14T22:13:20Zx",
                          "+023-11-14T22:13:20Z", "2023-11-14T22:13:20.5Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad)) << bad;
  }
}

TEST(ClockTest, FormatAndParseAgreeWithTheCalendarAcrossTheRange) {
  // Every 997,001,003 ms (about 11.5 days, so every month, leap day and millisecond value comes
  // round) from 1970 to 2200: the text is what a calendar library makes of it, and parses back.
  for (int64_t ms = 0; ms < 7'258'118'400'000; ms += 997'001'003) {
    const TimePoint t{std::chrono::milliseconds(ms)};
    const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
    const auto want = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", secs, (t - secs).count());
    ASSERT_EQ(FormatRfc3339(t), want);
    ASSERT_EQ(ParseRfc3339(want), t) << want;
  }
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2024-02-29T23:59:59.999Z")), "2024-02-29T23:59:59.999Z");
  EXPECT_FALSE(ParseRfc3339("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2023-13-01T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2023-00-01T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2023-01-00T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2023-01-01T23:60:00Z"));
  EXPECT_FALSE(ParseRfc3339("2023-01-01T23:00:60Z"));
}

TEST(ErrorTest, EveryCodeHasADistinctName) {
  std::set<std::string_view> names;
  for (int c = 0; c <= static_cast<int>(ErrorCode::kInternal); ++c) {
    names.insert(ErrorCodeName(static_cast<ErrorCode>(c)));
  }
  EXPECT_EQ(names.size(), 10u);
  EXPECT_TRUE(names.contains("failed_precondition"));
}

}  // namespace
}  // namespace strongroom

#include "common/utf8.h"

namespace strongroom {
namespace {

TEST(Utf8Test, CountsCodePointsAndRefusesInvalidSequences) {
  EXPECT_EQ(Utf8CodePoints("abc"), 3u);
  EXPECT_EQ(Utf8CodePoints("caf\xc3\xa9 \xf0\x9f\x94\x92"), 6u);
  EXPECT_EQ(Utf8CodePoints(""), 0u);
  for (const char* bad : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    EXPECT_FALSE(Utf8CodePoints(bad)) << bad;
  }
}

}  // namespace
}  // namespace strongroom

namespace strongroom {
namespace {

TEST(Base64UrlTest, MatchesRfc4648AndRoundTrips) {
  // RFC 4648's test vectors, in the URL alphabet without padding.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, text] : vectors) {
    EXPECT_EQ(Base64UrlEncode(AsBytes(plain)), text);
    auto back = Base64UrlDecode(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(std::string(AsChars(*back)), plain);
  }
  const Bytes high = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(Base64UrlEncode(high), "-_-_");  // the two characters that differ from base64
  EXPECT_EQ(Base64UrlDecode("-_-_"), high);
  for (int n = 0; n < 70; ++n) {
    Bytes b(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) b[static_cast<size_t>(i)] = static_cast<uint8_t>(i * 37 + n);
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(b)), b) << n;
  }
}

TEST(Base64UrlTest, RefusesAnythingButOneCanonicalText) {
  for (const char* bad :
       {"Zg==", "Zm9v+A", "Zm9v/A", "Zm 9v", "Z", "Zm9vY", "Zh", "Zm9=", "Zm9v\n", "\xc3\xa9"}) {
    EXPECT_FALSE(Base64UrlDecode(bad)) << bad;
  }
}

}  // namespace
}  // namespace strongroom
