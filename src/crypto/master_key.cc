#include "crypto/master_key.h"

#include <fmt/format.h>

#include "crypto/key_file.h"

namespace strongroom::crypto {
namespace {

constexpr size_t kKeyIdBytes = 16;
constexpr std::string_view kHeader = "strongroom-master-key 1";

}  // namespace

MasterKey GenerateMasterKey(Environment environment, Random& random) {
  return MasterKey{random.RandomHex(kKeyIdBytes), environment, random.RandomSecret(32)};
}

Result<void> WriteMasterKeyFile(const std::filesystem::path& path, const MasterKey& key) {
  std::string hex = HexEncode(key.key.view());
  auto result = WriteKeyFile(
      path, kHeader,
      {{"id", key.id}, {"environment", EnvironmentName(key.environment)}, {"key", hex}});
  SecureWipe({reinterpret_cast<uint8_t*>(hex.data()), hex.size()});
  return result;
}

Result<MasterKey> ReadMasterKeyFile(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(auto text, KeyFileText::Read(path, kHeader));
  ASSIGN_OR_RETURN(auto id, text.Field("id"));
  ASSIGN_OR_RETURN(auto env, text.Field("environment"));
  ASSIGN_OR_RETURN(auto hex, text.Field("key"));
  auto id_bytes = HexDecode(id);
  if (!id_bytes || id_bytes->size() != kKeyIdBytes) {
    return Fail(ErrorCode::kDataLoss, "master key file has a malformed id");
  }
  const auto env_value = ParseEnvironment(env);
  if (!env_value) return Fail(ErrorCode::kDataLoss, "master key file names an unknown environment");
  auto key_bytes = HexDecode(hex);
  if (!key_bytes || key_bytes->size() != 32) {
    if (key_bytes) SecureWipe(*key_bytes);
    return Fail(ErrorCode::kDataLoss, "master key file has a malformed key");
  }
  MasterKey key{std::string(id), *env_value, Secret::Locked(*key_bytes)};
  SecureWipe(*key_bytes);
  return key;
}

Result<MasterKey> ReadMasterKeyFile(const std::filesystem::path& path, Environment expected) {
  ASSIGN_OR_RETURN(auto key, ReadMasterKeyFile(path));
  if (key.environment != expected) {
    return Fail(
        ErrorCode::kFailedPrecondition,
        fmt::format("master key file {} belongs to a {} instance, not {}: keys never "
                    "cross environments",
                    path.string(), EnvironmentName(key.environment), EnvironmentName(expected)));
  }
  return key;
}

}  // namespace strongroom::crypto
