#include "crypto/master_key.h"

#include <fmt/format.h>

#include "crypto/key_file.h"

namespace strongroom::crypto {
namespace {

constexpr size_t kKeyIdBytes = 16;

// What tells a master key file from a backup key file: its header, and its name in messages.
struct Kind {
  std::string_view header;
  std::string_view name;
};
constexpr Kind kMaster{"strongroom-master-key 1", "master key"};
constexpr Kind kBackup{"strongroom-backup-key 1", "backup key"};

Result<void> WriteKey(const Kind& kind, const std::filesystem::path& path, std::string_view id,
                      Environment environment, const Secret& secret) {
  std::string hex = HexEncode(secret.view());
  auto result = WriteKeyFile(
      path, kind.header, {{"id", id}, {"environment", EnvironmentName(environment)}, {"key", hex}});
  SecureWipe({reinterpret_cast<uint8_t*>(hex.data()), hex.size()});
  return result;
}

Result<MasterKey> ReadKey(const Kind& kind, const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(auto text, KeyFileText::Read(path, kind.header));
  ASSIGN_OR_RETURN(auto id, text.Field("id"));
  ASSIGN_OR_RETURN(auto env, text.Field("environment"));
  ASSIGN_OR_RETURN(auto hex, text.Field("key"));
  auto id_bytes = HexDecode(id);
  if (!id_bytes || id_bytes->size() != kKeyIdBytes) {
    return Fail(ErrorCode::kDataLoss, fmt::format("{} file has a malformed id", kind.name));
  }
  const auto env_value = ParseEnvironment(env);
  if (!env_value) {
    return Fail(ErrorCode::kDataLoss,
                fmt::format("{} file names an unknown environment", kind.name));
  }
  auto key_bytes = HexDecode(hex);
  if (!key_bytes || key_bytes->size() != 32) {
    if (key_bytes) SecureWipe(*key_bytes);
    return Fail(ErrorCode::kDataLoss, fmt::format("{} file has a malformed key", kind.name));
  }
  MasterKey key{std::string(id), *env_value, Secret::Locked(*key_bytes)};
  SecureWipe(*key_bytes);
  return key;
}

Result<MasterKey> ReadKey(const Kind& kind, const std::filesystem::path& path,
                          Environment expected) {
  ASSIGN_OR_RETURN(auto key, ReadKey(kind, path));
  if (key.environment != expected) {
    return Fail(
        ErrorCode::kFailedPrecondition,
        fmt::format("{} file {} belongs to a {} instance, not {}: keys never cross environments",
                    kind.name, path.string(), EnvironmentName(key.environment),
                    EnvironmentName(expected)));
  }
  return key;
}

}  // namespace

MasterKey GenerateMasterKey(Environment environment, Random& random) {
  return MasterKey{random.RandomHex(kKeyIdBytes), environment, random.RandomSecret(32)};
}

Result<void> WriteMasterKeyFile(const std::filesystem::path& path, const MasterKey& key) {
  return WriteKey(kMaster, path, key.id, key.environment, key.key);
}

Result<MasterKey> ReadMasterKeyFile(const std::filesystem::path& path) {
  return ReadKey(kMaster, path);
}

Result<MasterKey> ReadMasterKeyFile(const std::filesystem::path& path, Environment expected) {
  return ReadKey(kMaster, path, expected);
}

BackupKey GenerateBackupKey(Environment environment, Random& random) {
  return BackupKey{random.RandomHex(kKeyIdBytes), environment, random.RandomSecret(32)};
}

Result<void> WriteBackupKeyFile(const std::filesystem::path& path, const BackupKey& key) {
  return WriteKey(kBackup, path, key.id, key.environment, key.key);
}

Result<BackupKey> ReadBackupKeyFile(const std::filesystem::path& path, Environment expected) {
  ASSIGN_OR_RETURN(auto key, ReadKey(kBackup, path, expected));
  return BackupKey{std::move(key.id), key.environment, std::move(key.key)};
}

}  // namespace strongroom::crypto
