#include "crypto/envelope.h"

#include <gtest/gtest.h>

#include "crypto/aead.h"

namespace strongroom::crypto {
namespace {

TEST(EnvelopeTest, AadDiffersForEveryField) {
  const auto base = RecordDataAad(Environment::kTest, "org", "rec", 1);
  EXPECT_NE(base, RecordDataAad(Environment::kProduction, "org", "rec", 1));
  EXPECT_NE(base, RecordDataAad(Environment::kTest, "org2", "rec", 1));
  EXPECT_NE(base, RecordDataAad(Environment::kTest, "org", "rec2", 1));
  EXPECT_NE(base, RecordDataAad(Environment::kTest, "org", "rec", 2));
  EXPECT_NE(base, RecordDataAad(Environment::kTest, "org", "rec", 1, "title"));
  EXPECT_NE(RecordDataAad(Environment::kTest, "org", "rec", 1, "title"),
            RecordDataAad(Environment::kTest, "org", "rec", 1, "body"));
  // Length prefixes: moving a boundary between fields changes the encoding.
  EXPECT_NE(RecordKeyAad(Environment::kTest, "ab", "c"),
            RecordKeyAad(Environment::kTest, "a", "bc"));
  EXPECT_NE(OrgKeyAad(Environment::kTest, "o", "k"), RecordKeyAad(Environment::kTest, "o", "k"));
}

TEST(EnvelopeTest, WrappedKeyOpensOnlyWhereItWasWrapped) {
  auto& random = DefaultRandom();
  const auto kek = NewDataKey(random);
  const auto key = NewDataKey(random);
  const auto aad = OrgKeyAad(Environment::kTest, "org-1", "master-1");
  auto wrapped = WrapKey(kek, key, aad, random);
  ASSERT_TRUE(wrapped);
  auto back = UnwrapKey(kek, *wrapped, aad);
  ASSERT_TRUE(back);
  EXPECT_TRUE(std::equal(back->view().begin(), back->view().end(), key.view().begin()));
  for (const auto& other : {OrgKeyAad(Environment::kDevelopment, "org-1", "master-1"),
                            OrgKeyAad(Environment::kTest, "org-2", "master-1"),
                            OrgKeyAad(Environment::kTest, "org-1", "master-2")}) {
    auto r = UnwrapKey(kek, *wrapped, other);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  }
}

TEST(EnvelopeTest, UnwrapRefusesPayloadOfWrongSize) {
  auto& random = DefaultRandom();
  const auto kek = NewDataKey(random);
  const Bytes aad = {1};
  auto sealed = Seal(kek, Bytes(31, 7), aad, random);
  ASSERT_TRUE(sealed);
  EXPECT_EQ(UnwrapKey(kek, *sealed, aad).error().code, ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace strongroom::crypto
