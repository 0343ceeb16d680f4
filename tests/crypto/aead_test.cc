#include "crypto/aead.h"

#include <gtest/gtest.h>

namespace strongroom::crypto {
namespace {

Bytes Hex(std::string_view h) { return *HexDecode(h); }

// AES-256 test cases 13-16 of "The Galois/Counter Mode of Operation (GCM)" (McGrew & Viega), as
// used by NIST's GCM validation.
struct GcmVector {
  const char* name;
  const char* key;
  const char* iv;
  const char* plaintext;
  const char* aad;
  const char* ciphertext;
  const char* tag;
  friend void PrintTo(const GcmVector& v, std::ostream* os) { *os << v.name; }
};

constexpr const char* kKey15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr const char* kPlain15 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b5"
    "25b16aedf5aa0de657ba637b391aafd255";
constexpr const char* kCipher15 =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828"
    "838c5f61e6393ba7a0abcc9f662898015ad";

const GcmVector kVectors[] = {
    {"TestCase13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"TestCase14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"TestCase15", kKey15, "cafebabefacedbaddecaf888", kPlain15, "", kCipher15,
     "b094dac5d93471bdec1a502270e3cc6c"},
};

class GcmVectorTest : public ::testing::TestWithParam<GcmVector> {};

TEST_P(GcmVectorTest, EncryptsAndDecryptsToTheKnownAnswer) {
  const auto& v = GetParam();
  auto out = GcmEncrypt(Hex(v.key), Hex(v.iv), Hex(v.plaintext), Hex(v.aad));
  ASSERT_TRUE(out);
  EXPECT_EQ(HexEncode(out->ciphertext), v.ciphertext);
  EXPECT_EQ(HexEncode(out->tag), v.tag);
  auto plain = GcmDecrypt(Hex(v.key), Hex(v.iv), Hex(v.ciphertext), Hex(v.aad), Hex(v.tag));
  ASSERT_TRUE(plain);
  EXPECT_EQ(HexEncode(*plain), v.plaintext);
}

INSTANTIATE_TEST_SUITE_P(Nist, GcmVectorTest, ::testing::ValuesIn(kVectors),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(GcmVectorTest, TestCase16WithAad) {
  const std::string plain = std::string(kPlain15).substr(0, 120);
  const std::string cipher = std::string(kCipher15).substr(0, 120);
  const auto aad = Hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  auto out = GcmEncrypt(Hex(kKey15), Hex("cafebabefacedbaddecaf888"), Hex(plain), aad);
  ASSERT_TRUE(out);
  EXPECT_EQ(HexEncode(out->ciphertext), cipher);
  EXPECT_EQ(HexEncode(out->tag), "76fc6ece0f4e1768cddf8853bb2d551b");
}

class SealTest : public ::testing::Test {
 protected:
  Secret key_ = DefaultRandom().RandomSecret(kAeadKeySize);
  Bytes aad_ = Bytes{'o', 'r', 'g', '1'};
  Bytes plain_ = Bytes(100, 0x42);
};

TEST_F(SealTest, RoundTripsWithFreshNonces) {
  auto a = Seal(key_, plain_, aad_, DefaultRandom());
  auto b = Seal(key_, plain_, aad_, DefaultRandom());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), plain_.size() + kAeadOverhead);
  EXPECT_NE(*a, *b);  // different nonces, different ciphertexts
  auto opened = Open(key_, *a, aad_);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, plain_);
}

// Found by fuzz/export_archive_fuzzer.cc (UBSan): with nothing to encrypt, the final step was
// placed after the associated data's length, past an empty buffer.
TEST_F(SealTest, NothingToEncryptWithAssociatedDataSealsAndOpens) {
  auto sealed = Seal(key_, {}, aad_, DefaultRandom());
  ASSERT_TRUE(sealed);
  EXPECT_EQ(sealed->size(), kAeadOverhead);
  auto opened = Open(key_, *sealed, aad_);
  ASSERT_TRUE(opened);
  EXPECT_TRUE(opened->empty());
  EXPECT_FALSE(Open(key_, *sealed, Bytes{'o', 'r', 'g', '2'}));
}

TEST_F(SealTest, ChangingAnyByteOfNonceCiphertextOrTagIsDataLoss) {
  auto sealed = Seal(key_, plain_, aad_, DefaultRandom());
  ASSERT_TRUE(sealed);
  for (size_t i = 0; i < sealed->size(); ++i) {
    Bytes damaged = *sealed;
    damaged[i] ^= 0x01;
    auto r = Open(key_, damaged, aad_);
    ASSERT_FALSE(r) << "byte " << i;
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss) << "byte " << i;
  }
}

TEST_F(SealTest, ChangingAnyByteOfAadIsDataLoss) {
  auto sealed = Seal(key_, plain_, aad_, DefaultRandom());
  ASSERT_TRUE(sealed);
  for (size_t i = 0; i < aad_.size(); ++i) {
    Bytes aad = aad_;
    aad[i] ^= 0x80;
    auto r = Open(key_, *sealed, aad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  }
  Bytes longer = aad_;
  longer.push_back(0);
  EXPECT_EQ(Open(key_, *sealed, longer).error().code, ErrorCode::kDataLoss);
}

TEST_F(SealTest, TruncatedOrWrongKeyIsDataLoss) {
  auto sealed = Seal(key_, plain_, aad_, DefaultRandom());
  ASSERT_TRUE(sealed);
  for (size_t n : {size_t{0}, size_t{1}, kAeadOverhead - 1, sealed->size() - 1}) {
    auto r = Open(key_, std::span(*sealed).first(n), aad_);
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  }
  auto other = DefaultRandom().RandomSecret(kAeadKeySize);
  EXPECT_EQ(Open(other, *sealed, aad_).error().code, ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace strongroom::crypto
