#pragma once
// Ed25519 signatures, for the audit log's checkpoints. The signing key lives in its own key file
// (`keys/audit.key`), apart from the master key: a holder of one cannot forge or read with the
// other. The public key is printed at init so that an operator can record it off the machine.

#include <filesystem>
#include <span>
#include <string>

#include "common/bytes.h"
#include "common/environment.h"
#include "common/error.h"
#include "common/secret.h"
#include "crypto/random.h"

namespace strongroom::crypto {

inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

struct SigningKey {
  Environment environment = Environment::kProduction;
  Secret seed;       // 32-byte private key
  Bytes public_key;  // 32 bytes
  // First 16 hex digits of SHA-256(public key): names the key in checkpoints.
  std::string id() const;
};

SigningKey GenerateSigningKey(Environment environment, Random& random);
Result<void> WriteSigningKeyFile(const std::filesystem::path& path, const SigningKey& key);
Result<SigningKey> ReadSigningKeyFile(const std::filesystem::path& path, Environment expected);

Result<Bytes> Sign(const SigningKey& key, std::span<const uint8_t> message);
bool VerifySignature(std::span<const uint8_t> public_key, std::span<const uint8_t> message,
                     std::span<const uint8_t> signature);

}  // namespace strongroom::crypto
