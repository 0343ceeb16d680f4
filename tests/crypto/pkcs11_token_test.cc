// An AES-256 key inside a PKCS#11 token (crypto/pkcs11_token.h), against Debian's SoftHSM2 with a
// token the test makes in a temporary directory: made inside, it seals and unseals and nothing
// else opens what it sealed; opening refuses (and says why) a missing module, a missing token, a
// wrong PIN, a missing key and a key that could leave the token.

#include "crypto/pkcs11_token.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <cstdlib>
#include <fstream>
#include <optional>

#include "fakes/softhsm.h"
#include "fakes/temp_dir.h"
#include "integration/process.h"

namespace strongroom::crypto {
namespace {

const std::filesystem::path kModule = testing::SoftHsm::kModule;
constexpr const char* kLabel = testing::SoftHsm::kLabel;
constexpr const char* kPin = testing::SoftHsm::kPin;

Secret SecretOf(std::string_view text) {
  return Secret(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}
Bytes BytesOf(std::string_view text) { return Bytes(text.begin(), text.end()); }

// Why `r` failed; nothing if it did not.
template <typename T>
std::optional<ErrorCode> CodeOf(const Result<T>& r) {
  if (r) return std::nullopt;
  return r.error().code;
}
template <typename T>
std::string MessageOf(const Result<T>& r) {
  return r ? std::string("(it did not fail)") : r.error().message;
}

class Pkcs11TokenTest : public ::testing::Test {
 protected:
  void SetUp() override { hsm_.Start(); }

  static void Util(const std::vector<std::string>& args) { testing::SoftHsm::Util(args); }
  // OpenSC's tool, making a key in the token as someone else might.
  static void Tool(std::vector<std::string> args) {
    args.insert(args.begin(), {"--module", kModule.string(), "--token-label", kLabel, "--login",
                               "--pin", kPin, "--keygen", "--key-type", "AES:32"});
    const auto r = testing::RunProgram("/usr/bin/pkcs11-tool", args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  static Result<std::unique_ptr<Pkcs11Token>> OpenToken(
      const std::string& label = kLabel, std::string_view pin = kPin,
      const std::filesystem::path& module = kModule) {
    return Pkcs11Token::Open({module, label, SecretOf(pin)});
  }

  testing::SoftHsm hsm_;
  testing::TempDir dir_;
  const Bytes id_ = {0x6f, 0x1c, 0x02, 0x9a};
  const Bytes aad_ = BytesOf("org-key|test|org-1|6f1c029a");
};

TEST_F(Pkcs11TokenTest, AKeyMadeInTheTokenSealsAndUnsealsAndNothingElseOpensIt) {
  auto token = OpenToken();
  ASSERT_TRUE(token) << token.error().message;
  auto& t = **token;
  EXPECT_EQ(CodeOf(t.CheckKey(id_)), ErrorCode::kNotFound);
  ASSERT_TRUE(t.GenerateKey(id_));
  EXPECT_EQ(CodeOf(t.GenerateKey(id_)), ErrorCode::kAlreadyExists);
  ASSERT_TRUE(t.CheckKey(id_)) << "made inside, sensitive, never extractable";

  const auto secret = SecretOf("0123456789abcdef0123456789abcdef");
  auto sealed = t.Seal(id_, secret, aad_);
  ASSERT_TRUE(sealed) << sealed.error().message;
  EXPECT_EQ(sealed->size(), 12u + 32u + 16u);
  const auto resealed = t.Seal(id_, secret, aad_);
  ASSERT_TRUE(resealed);
  EXPECT_NE(*resealed, *sealed) << "a fresh IV each time";
  auto opened = t.Unseal(id_, *sealed, aad_);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_TRUE(std::ranges::equal(opened->view(), secret.view()));

  // Another context, any byte changed, cut short, another key: nothing opens.
  EXPECT_EQ(CodeOf(t.Unseal(id_, *sealed, BytesOf("org-key|test|org-2|6f1c029a"))),
            ErrorCode::kDataLoss);
  for (size_t at : {size_t{0}, size_t{12}, sealed->size() - 1}) {
    auto changed = *sealed;
    changed[at] ^= 0x01;
    EXPECT_EQ(CodeOf(t.Unseal(id_, changed, aad_)), ErrorCode::kDataLoss) << at;
  }
  EXPECT_EQ(CodeOf(t.Unseal(id_, std::span(*sealed).first(28), aad_)), ErrorCode::kDataLoss);
  EXPECT_EQ(CodeOf(t.Unseal(id_, Bytes(2000, 0x41), aad_)), ErrorCode::kDataLoss) << "too long";
  const Bytes other = {0x01};
  ASSERT_TRUE(t.GenerateKey(other));
  EXPECT_EQ(CodeOf(t.Unseal(other, *sealed, aad_)), ErrorCode::kDataLoss);
  EXPECT_EQ(CodeOf(t.Seal(id_, secret, {})), ErrorCode::kInvalidArgument)
      << "never without a context";
  // Nothing, or too much, is refused before the token starts (an empty input would leave its
  // operation open, and every later call failing).
  EXPECT_EQ(CodeOf(t.Seal(id_, Secret(), aad_)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(t.Seal(id_, Secret(1025), aad_)), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(t.Seal(id_, secret, aad_)) << "and the token goes on";
  EXPECT_EQ(CodeOf(t.CheckKey({})), ErrorCode::kInvalidArgument) << "no key has no id";

  // What one session made, another opens (the key lives in the token, not the process).
  token->reset();
  auto reopened_token = OpenToken();
  ASSERT_TRUE(reopened_token) << reopened_token.error().message;
  auto& again = reopened_token;
  auto reopened = (*again)->Unseal(id_, *sealed, aad_);
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_TRUE(std::ranges::equal(reopened->view(), secret.view()));

  // A key in use (promoted) is never discarded; one still pending is, and is gone.
  ASSERT_TRUE((*again)->Promote(id_));
  EXPECT_EQ(CodeOf((*again)->DiscardPending(id_)), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE((*again)->CheckKey(id_)) << "kept";
  const Bytes pending = {0x77, 0x01};
  ASSERT_TRUE((*again)->GenerateKey(pending));
  auto sealed_pending = (*again)->Seal(pending, secret, aad_);
  ASSERT_TRUE(sealed_pending);
  ASSERT_TRUE((*again)->DiscardPending(pending));
  EXPECT_EQ(CodeOf((*again)->CheckKey(pending)), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf((*again)->Unseal(pending, *sealed_pending, aad_)), ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf((*again)->DiscardPending(pending)), ErrorCode::kNotFound);
}

TEST_F(Pkcs11TokenTest, OpeningRefusesAndSaysWhy) {
  auto missing = OpenToken(kLabel, kPin, dir_ / "no-such-module.so");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(missing.error().message.find("cannot be loaded"), std::string::npos);

  // A library that is not a module: OpenSSL's, wherever this machine keeps it.
  Dl_info info{};
  ASSERT_NE(dladdr(reinterpret_cast<void*>(&OpenSSL_version), &info), 0);
  auto not_a_module = OpenToken(kLabel, kPin, info.dli_fname);
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
  EXPECT_NE(MessageOf(OpenToken(kLabel, "")).find("the PIN is empty"), std::string::npos);

  {
    auto first = OpenToken();
    ASSERT_TRUE(first) << first.error().message;
    auto second = OpenToken();
    EXPECT_NE(MessageOf(second).find("already open in this process"), std::string::npos);
    ASSERT_TRUE((*first)->GenerateKey(id_)) << "the first goes on";
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
  EXPECT_EQ(CodeOf(checked), ErrorCode::kFailedPrecondition);
  EXPECT_NE(MessageOf(checked).find("could leave the token"), std::string::npos);
  // Nor is it used.
  const auto secret = SecretOf("0123456789abcdef0123456789abcdef");
  EXPECT_EQ(CodeOf((*token)->Seal(id, secret, aad_)), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf((*token)->Unseal(id, Bytes(60, 0), aad_)), ErrorCode::kFailedPrecondition);
}

// Keys made in the token by another tool, one property short each: not sensitive (its value could
// be read), not private (usable, and on SoftHSM2 stored in the clear, without the PIN). One with
// both passes: the checks are of properties, not of who made the key.
TEST_F(Pkcs11TokenTest, AKeyMadeInTheTokenWithoutSensitiveOrPrivateIsRefused) {
  Tool({"--id", "0c0d", "--label", "not-sensitive", "--private"});
  Tool({"--id", "0e0f", "--label", "not-private", "--sensitive"});
  Tool({"--id", "1011", "--label", "both", "--sensitive", "--private"});
  auto token = OpenToken();
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(CodeOf((*token)->CheckKey(Bytes{0x0c, 0x0d})), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf((*token)->CheckKey(Bytes{0x0e, 0x0f})), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE((*token)->CheckKey(Bytes{0x10, 0x11}));
  // Nor is a key someone else made ever discarded as a rotation's leftover.
  EXPECT_EQ(CodeOf((*token)->DiscardPending(Bytes{0x10, 0x11})), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE((*token)->CheckKey(Bytes{0x10, 0x11}));
}

}  // namespace
}  // namespace strongroom::crypto
