#include "crypto/signing.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <memory>

#include "crypto/hash.h"
#include "crypto/key_file.h"

namespace strongroom::crypto {
namespace {

constexpr std::string_view kHeader = "strongroom-audit-key 1";

struct PKeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, PKeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

Result<Bytes> PublicFromSeed(const Secret& seed) {
  PKey key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.view().data(), seed.size()));
  if (!key) return Fail(ErrorCode::kDataLoss, "invalid Ed25519 private key");
  Bytes pub(kEd25519PublicKeySize);
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != pub.size()) {
    return Fail(ErrorCode::kInternal, "cannot derive the Ed25519 public key");
  }
  return pub;
}

}  // namespace

std::string SigningKey::id() const { return HexEncode(Sha256(public_key)).substr(0, 16); }

SigningKey GenerateSigningKey(Environment environment, Random& random) {
  SigningKey key{environment, random.RandomSecret(32), {}};
  key.public_key = *PublicFromSeed(key.seed);
  return key;
}

Result<void> WriteSigningKeyFile(const std::filesystem::path& path, const SigningKey& key) {
  std::string hex = HexEncode(key.seed.view());
  const std::string pub = HexEncode(key.public_key);
  auto r = WriteKeyFile(
      path, kHeader,
      {{"environment", EnvironmentName(key.environment)}, {"public", pub}, {"private", hex}});
  SecureWipe({reinterpret_cast<uint8_t*>(hex.data()), hex.size()});
  return r;
}

Result<SigningKey> ReadSigningKeyFile(const std::filesystem::path& path, Environment expected) {
  ASSIGN_OR_RETURN(auto text, KeyFileText::Read(path, kHeader));
  ASSIGN_OR_RETURN(auto env, text.Field("environment"));
  ASSIGN_OR_RETURN(auto pub_hex, text.Field("public"));
  ASSIGN_OR_RETURN(auto priv_hex, text.Field("private"));
  if (env != EnvironmentName(expected)) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("audit key file {} belongs to another environment: keys never cross "
                            "environments",
                            path.string()));
  }
  auto seed = HexDecode(priv_hex);
  if (!seed || seed->size() != 32) {
    if (seed) SecureWipe(*seed);
    return Fail(ErrorCode::kDataLoss, "audit key file has a malformed private key");
  }
  SigningKey key{expected, Secret::Locked(*seed), {}};
  SecureWipe(*seed);
  ASSIGN_OR_RETURN(key.public_key, PublicFromSeed(key.seed));
  if (HexEncode(key.public_key) != pub_hex) {
    return Fail(ErrorCode::kDataLoss, "audit key file: public and private keys do not match");
  }
  return key;
}

Result<Bytes> Sign(const SigningKey& key, std::span<const uint8_t> message) {
  PKey pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, key.seed.view().data(),
                                         key.seed.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  if (!pkey || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return Fail(ErrorCode::kInternal, "cannot initialise Ed25519 signing");
  }
  Bytes sig(kEd25519SignatureSize);
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1 ||
      len != sig.size()) {
    return Fail(ErrorCode::kInternal, "Ed25519 signing failed");
  }
  return sig;
}

bool VerifySignature(std::span<const uint8_t> public_key, std::span<const uint8_t> message,
                     std::span<const uint8_t> signature) {
  if (public_key.size() != kEd25519PublicKeySize || signature.size() != kEd25519SignatureSize) {
    return false;
  }
  PKey pkey(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  if (!pkey || !ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
}

}  // namespace strongroom::crypto
