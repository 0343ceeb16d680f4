#include "crypto/password.h"

#include <argon2.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

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

// A hash libsodium made before verification moved to libargon2 (m=64 KiB, t=2): stored hashes
// keep verifying.
TEST(PasswordTest, AHashStoredEarlierStillVerifies) {
  const std::string stored =
      "$argon2id$v=19$m=64,t=2,p=1$uOfGipYwksZL0LHzaPRo0g$"
      "pmpTwGfB3H2rbg3LNQOm0vzuJk5Lpyz2FNSIy7VsTV8";
  EXPECT_TRUE(VerifyPassword(stored, "Tr0ub4dor&3 is not a passphrase"));
  EXPECT_FALSE(VerifyPassword(stored, "Tr0ub4dor&3 is not a passphrasE"));
  // One character of the hash, the salt or a parameter changed: never the same answer.
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"$pmpT", "$qmpT"}, {"$uOfG", "$vOfG"}, {"t=2", "t=3"}, {"m=64", "m=72"}}) {
    std::string tampered = stored;
    tampered.replace(tampered.find(from), from.size(), to);
    EXPECT_FALSE(VerifyPassword(tampered, "Tr0ub4dor&3 is not a passphrase")) << tampered;
  }
}

TEST(PasswordTest, AHashOfSeveralLanesVerifies) {
  const std::string password = "four lanes of one passphrase";
  const uint8_t salt[16] = {7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  char encoded[256];
  ASSERT_EQ(argon2id_hash_encoded(2, 256, 4, password.data(), password.size(), salt, sizeof salt,
                                  32, encoded, sizeof encoded),
            ARGON2_OK);
  ASSERT_TRUE(std::string(encoded).starts_with("$argon2id$v=19$m=256,t=2,p=4$")) << encoded;
  EXPECT_TRUE(VerifyPassword(encoded, password));
  EXPECT_FALSE(VerifyPassword(encoded, password + "!"));
}

TEST(PasswordTest, MalformedHashesNeverVerifyAndComputeNothing) {
  const std::string salt = "uOfGipYwksZL0LHzaPRo0g";
  const std::string hash = "pmpTwGfB3H2rbg3LNQOm0vzuJk5Lpyz2FNSIy7VsTV8";
  const auto with = [&](const std::string& params) {
    return "$argon2id$v=19$" + params + "$" + salt + "$" + hash;
  };
  const uint64_t before = ArgonVerifications();
  for (const std::string& bad : std::vector<std::string>{
           "",
           "$argon2id$",
           "plaintext",
           "$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB",
           std::string(1000, 'x'),
           // another algorithm or version
           "$argon2i$v=19$m=64,t=2,p=1$" + salt + "$" + hash,
           "$argon2d$v=19$m=64,t=2,p=1$" + salt + "$" + hash,
           "$argon2id$v=16$m=64,t=2,p=1$" + salt + "$" + hash,
           "$argon2id$m=64,t=2,p=1$" + salt + "$" + hash,
           // parameters out of range, signed, zero-padded, overflowing or missing
           with("m=0,t=2,p=1"),
           with("m=7,t=2,p=1"),
           with("m=-64,t=2,p=1"),
           with("m=+64,t=2,p=1"),
           with("m=064,t=2,p=1"),
           with("m=4294967360,t=2,p=1"),
           with("m=4194305,t=2,p=1"),
           with("m=64,t=0,p=1"),
           with("m=64,t=1001,p=1"),
           with("m=64,t=2,p=0"),
           with("m=64,t=2,p=65"),
           with("m=64,t=2,p=9"),
           with("m=64,t=2"),
           with("t=2,m=64,p=1"),
           with("m=64,t=2,p=1,data=AA"),
           with("m= 64,t=2,p=1"),
           with("m=64,t=2,p=1x"),
           // salt and hash: missing, short, padded, not base64, or followed by more
           "$argon2id$v=19$m=64,t=2,p=1$" + salt,
           "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$",
           "$argon2id$v=19$m=64,t=2,p=1$$" + hash,
           "$argon2id$v=19$m=64,t=2,p=1$AAAAAAAA$" + hash,
           "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$AAAAAAAAAAAAAAAAAAAA",
           "$argon2id$v=19$m=64,t=2,p=1$" + salt + "==$" + hash,
           "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + hash + "=",
           "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + hash + "$",
           "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + hash + "$" + hash,
           "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + hash.substr(0, 20) + "*" + hash.substr(21),
           "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + hash + std::string(1, '\0'),
           "$argon2id$v=19$m=64,t=2,p=1$" + salt + "$" + std::string(100, 'A'),
       }) {
    EXPECT_FALSE(VerifyPassword(bad, "Tr0ub4dor&3 is not a passphrase")) << bad;
  }
  EXPECT_EQ(ArgonVerifications(), before);  // each was refused before any hashing
}

// Verification keeps its working memory: one area for each verification that runs at once, not
// one for each verification. (Above the 19 MiB of the other tests, which may have run before in
// this process and left areas of their own.)
TEST(PasswordTest, VerificationsReuseTheirWorkingMemory) {
  auto h = HashPassword("reused working memory", {1, 20 * 1024 * 1024});
  ASSERT_TRUE(h);
  const size_t before = ArgonAreas();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(VerifyPassword(*h, "reused working memory"));
  EXPECT_EQ(ArgonAreas(), before + 1);

  LimitConcurrentHashes(2);
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) right += VerifyPassword(*h, "reused working memory") ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  LimitConcurrentHashes(0);
  EXPECT_EQ(right.load(), 24);
  EXPECT_LE(ArgonAreas(), before + 2);
  EXPECT_LE(HashGate().Peak(), 2);

  // A hash asking for more memory than any area kept has gets an area of its own.
  auto bigger = HashPassword("more memory", {1, 21 * 1024 * 1024});
  ASSERT_TRUE(bigger);
  const size_t kept = ArgonAreas();
  EXPECT_TRUE(VerifyPassword(*bigger, "more memory"));
  EXPECT_EQ(ArgonAreas(), kept + 1);
  EXPECT_TRUE(VerifyPassword(*h, "reused working memory"));
  EXPECT_EQ(ArgonAreas(), kept + 1);
}

TEST(PasswordTest, WeakerParametersNeedRehash) {
  auto weak = HashPassword("pw-under-test-1234", {1, 8 * 1024 * 1024});
  ASSERT_TRUE(weak);
  EXPECT_TRUE(NeedsRehash(*weak));
  EXPECT_FALSE(NeedsRehash(*HashPassword("pw-under-test-1234")));
}

}  // namespace
}  // namespace strongroom::crypto
