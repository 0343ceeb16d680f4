// An AES-256 key inside a PKCS#11 token (crypto/pkcs11_token.h), against Debian's SoftHSM2 with a
// token the test makes in a temporary directory: made inside, it seals and unseals and nothing
// else opens what it sealed; opening refuses (and says why) a missing module, a missing token, a
// wrong PIN, a missing key and a key that could leave the token.

#include "crypto/pkcs11_token.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "fakes/temp_dir.h"
#include "integration/process.h"

namespace strongroom::crypto {
namespace {

const std::filesystem::path kModule = "/usr/lib/softhsm/libsofthsm2.so";
constexpr const char* kLabel = "strongroom-test";
constexpr const char* kPin = "pin-2f8d41";

Secret SecretOf(std::string_view text) {
  return Secret(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}
Bytes BytesOf(std::string_view text) { return Bytes(text.begin(), text.end()); }

class Pkcs11TokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kModule)) << "SoftHSM2 (scripts/install-deps)";
    std::filesystem::create_directories(dir_ / "tokens");
    std::ofstream(dir_ / "softhsm2.conf")
        << "directories.tokendir = " << (dir_ / "tokens").string()
        << "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n";
    // The library and its tool read this (the process's own: each test runs in its own).
    ::setenv("SOFTHSM2_CONF", (dir_ / "softhsm2.conf").c_str(), 1);
    Util({"--init-token", "--free", "--label", kLabel, "--so-pin", "so-pin-77", "--pin", kPin});
  }

  static void Util(const std::vector<std::string>& args) {
    const auto r = testing::RunProgram("/usr/bin/softhsm2-util", args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  static Result<std::unique_ptr<Pkcs11Token>> OpenToken(
      const std::string& label = kLabel, std::string_view pin = kPin,
      const std::filesystem::path& module = kModule) {
    return Pkcs11Token::Open({module, label, SecretOf(pin)});
  }

  testing::TempDir dir_;
  const Bytes id_ = {0x6f, 0x1c, 0x02, 0x9a};
  const Bytes aad_ = BytesOf("org-key|test|org-1|6f1c029a");
};

TEST_F(Pkcs11TokenTest, AKeyMadeInTheTokenSealsAndUnsealsAndNothingElseOpensIt) {
  auto token = OpenToken();
  ASSERT_TRUE(token) << token.error().message;
  auto& t = **token;
  EXPECT_EQ(t.CheckKey(id_).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(t.GenerateKey(id_));
  EXPECT_EQ(t.GenerateKey(id_).error().code, ErrorCode::kAlreadyExists);
  ASSERT_TRUE(t.CheckKey(id_)) << "made inside, sensitive, never extractable";

  const auto secret = SecretOf("0123456789abcdef0123456789abcdef");
  auto sealed = t.Seal(id_, secret, aad_);
  ASSERT_TRUE(sealed) << sealed.error().message;
  EXPECT_EQ(sealed->size(), 12u + 32u + 16u);
  EXPECT_NE(*t.Seal(id_, secret, aad_), *sealed) << "a fresh IV each time";
  auto opened = t.Unseal(id_, *sealed, aad_);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_TRUE(std::ranges::equal(opened->view(), secret.view()));

  // Another context, any byte changed, cut short, another key: nothing opens.
  EXPECT_EQ(t.Unseal(id_, *sealed, BytesOf("org-key|test|org-2|6f1c029a")).error().code,
            ErrorCode::kDataLoss);
  for (size_t at : {size_t{0}, size_t{12}, sealed->size() - 1}) {
    auto changed = *sealed;
    changed[at] ^= 0x01;
    EXPECT_EQ(t.Unseal(id_, changed, aad_).error().code, ErrorCode::kDataLoss) << at;
  }
  EXPECT_EQ(t.Unseal(id_, std::span(*sealed).first(27), aad_).error().code, ErrorCode::kDataLoss);
  const Bytes other = {0x01};
  ASSERT_TRUE(t.GenerateKey(other));
  EXPECT_EQ(t.Unseal(other, *sealed, aad_).error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(t.Seal(id_, secret, {}).error().code, ErrorCode::kInvalidArgument)
      << "never without a context";

  // What one session made, another opens (the key lives in the token, not the process).
  token->reset();
  auto again = OpenToken();
  ASSERT_TRUE(again) << again.error().message;
  auto reopened = (*again)->Unseal(id_, *sealed, aad_);
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_TRUE(std::ranges::equal(reopened->view(), secret.view()));
  ASSERT_TRUE((*again)->DestroyKey(id_));
  EXPECT_EQ((*again)->CheckKey(id_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ((*again)->Unseal(id_, *sealed, aad_).error().code, ErrorCode::kNotFound);
}

TEST_F(Pkcs11TokenTest, OpeningRefusesAndSaysWhy) {
  auto missing = OpenToken(kLabel, kPin, dir_ / "no-such-module.so");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(missing.error().message.find("cannot be loaded"), std::string::npos);

  auto not_a_module = OpenToken(kLabel, kPin, "/lib/x86_64-linux-gnu/libz.so.1");
  ASSERT_FALSE(not_a_module);
  EXPECT_NE(not_a_module.error().message.find("not a PKCS#11 module"), std::string::npos);

  auto wrong_label = OpenToken("another-token");
  ASSERT_FALSE(wrong_label);
  EXPECT_EQ(wrong_label.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(wrong_label.error().message.find("no PKCS#11 token labelled \"another-token\""),
            std::string::npos);
  EXPECT_NE(wrong_label.error().message.find("tokens present: \"strongroom-test\""),
            std::string::npos)
      << wrong_label.error().message;

  auto wrong_pin = OpenToken(kLabel, "pin-wrong-5c1e");
  ASSERT_FALSE(wrong_pin);
  EXPECT_EQ(wrong_pin.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(wrong_pin.error().message.find("the PIN is wrong"), std::string::npos);
  EXPECT_EQ(wrong_pin.error().message.find("pin-wrong-5c1e"), std::string::npos) << "no PIN";

  {
    auto first = OpenToken();
    ASSERT_TRUE(first) << first.error().message;
    auto second = OpenToken();
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("already open in this process"), std::string::npos);
  }
  ASSERT_TRUE(OpenToken()) << "once the first is closed";

  // The token removed: refused, naming what is there (nothing).
  Util({"--delete-token", "--token", kLabel});
  auto removed = OpenToken();
  ASSERT_FALSE(removed);
  EXPECT_NE(removed.error().message.find("tokens present: none"), std::string::npos)
      << removed.error().message;
}

TEST_F(Pkcs11TokenTest, AKeyThatCouldLeaveTheTokenIsRefused) {
  // An AES key imported from a file (not made in the token, and extractable by SoftHSM2's
  // defaults): whoever had the file has the key.
  std::ofstream(dir_ / "key.bin", std::ios::binary) << std::string(32, 'k');
  Util({"--import", (dir_ / "key.bin").string(), "--aes", "--token", kLabel, "--label", "imported",
        "--id", "0a0b", "--pin", kPin});
  auto token = OpenToken();
  ASSERT_TRUE(token) << token.error().message;
  const Bytes id = {0x0a, 0x0b};
  const auto checked = (*token)->CheckKey(id);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(checked.error().message.find("could leave the token"), std::string::npos);
}

}  // namespace
}  // namespace strongroom::crypto
