#include "crypto/password.h"

#include <gtest/gtest.h>

namespace strongroom::crypto {
namespace {

TEST(PasswordTest, Argon2idWithOwaspParametersVerifiesOnlyTheRightPassword) {
  auto h = HashPassword("correct horse battery staple");
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << *h;
  EXPECT_EQ(h->find("correct"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*h, "correct horse battery staple"));
  EXPECT_FALSE(VerifyPassword(*h, "correct horse battery stapl"));
  EXPECT_FALSE(VerifyPassword(*h, ""));
  EXPECT_NE(*HashPassword("correct horse battery staple"), *h);  // salted
}

TEST(PasswordTest, MalformedHashesNeverVerify) {
  for (const char* bad :
       {"", "$argon2id$", "plaintext", "$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB"}) {
    EXPECT_FALSE(VerifyPassword(bad, "anything")) << bad;
  }
  EXPECT_FALSE(VerifyPassword(std::string(1000, 'x'), "x"));
}

TEST(PasswordTest, WeakerParametersNeedRehash) {
  auto weak = HashPassword("pw-under-test-1234", {1, 8 * 1024 * 1024});
  ASSERT_TRUE(weak);
  EXPECT_TRUE(NeedsRehash(*weak));
  EXPECT_FALSE(NeedsRehash(*HashPassword("pw-under-test-1234")));
}

}  // namespace
}  // namespace strongroom::crypto
