#include "crypto/totp.h"

#include <gtest/gtest.h>

#include "common/bytes.h"
#include "integration/process.h"

namespace strongroom::crypto {
namespace {

TimePoint At(int64_t unix_seconds) {
  return TimePoint(std::chrono::milliseconds(unix_seconds * 1000));
}

// RFC 6238 appendix B, SHA-1 rows (8 digits).
TEST(TotpTest, Rfc6238Vectors) {
  const auto secret = AsBytes("12345678901234567890");
  const std::pair<int64_t, const char*> rows[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (auto [t, code] : rows) EXPECT_EQ(HotpCode(secret, TotpCounter(At(t)), 8), code) << t;
}

// oathtool (OATH Toolkit) is an independent implementation: the codes must agree.
TEST(TotpTest, AgreesWithOathtool) {
  const Bytes secret = *HexDecode("3132333435363738393031323334353637383930abcdef01");
  const auto b32 = Base32Encode(secret);
  for (int64_t t : {1'700'000'000, 1'800'000'015, 1'900'000'029}) {
    auto r = testing::RunProgram("/usr/bin/oathtool",
                                 {"--totp", "-b", b32, "--now", "@" + std::to_string(t)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, HotpCode(secret, TotpCounter(At(t))) + "\n") << t;
  }
}

TEST(TotpTest, AcceptsOneStepEitherSideOnceEach) {
  const Bytes secret(20, 7);
  const auto now = At(1'800'000'000);
  const int64_t step = TotpCounter(now);
  EXPECT_EQ(VerifyTotp(secret, HotpCode(secret, step), now, -1), step);
  EXPECT_EQ(VerifyTotp(secret, HotpCode(secret, step - 1), now, -1), step - 1);
  EXPECT_EQ(VerifyTotp(secret, HotpCode(secret, step + 1), now, -1), step + 1);
  EXPECT_FALSE(VerifyTotp(secret, HotpCode(secret, step - 2), now, -1));  // too old
  EXPECT_FALSE(VerifyTotp(secret, HotpCode(secret, step + 2), now, -1));
  EXPECT_FALSE(VerifyTotp(secret, HotpCode(secret, step), now, step));      // replayed
  EXPECT_FALSE(VerifyTotp(secret, HotpCode(secret, step - 1), now, step));  // older than last used
}

TEST(TotpTest, RefusesMalformedCodes) {
  const Bytes secret(20, 7);
  const auto now = At(1'800'000'000);
  for (const char* bad : {"", "12345", "1234567", "12345a", " 12345", "１２３４５６", "-12345"}) {
    EXPECT_FALSE(VerifyTotp(secret, bad, now, -1)) << bad;
  }
}

TEST(Base32Test, RoundTripsAndRejectsJunk) {
  EXPECT_EQ(Base32Encode(AsBytes("foobar")), "MZXW6YTBOI");
  EXPECT_EQ(Base32Decode("MZXW6YTBOI======"),
            Bytes(AsBytes("foobar").begin(), AsBytes("foobar").end()));
  EXPECT_EQ(Base32Decode("mzxw6ytboi"), Bytes(AsBytes("foobar").begin(), AsBytes("foobar").end()));
  EXPECT_FALSE(Base32Decode("MZXW1"));
}

}  // namespace
}  // namespace strongroom::crypto
