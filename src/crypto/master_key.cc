#include "crypto/master_key.h"

#include <fmt/format.h>

#include "crypto/envelope.h"
#include "crypto/key_file.h"
#include "crypto/pkcs11_token.h"

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
  if (secret.size() != 32) return Fail(ErrorCode::kInvalidArgument, "a key is 32 bytes");
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
  auto id_bytes = HexDecode(id);
  if (!id_bytes || id_bytes->size() != kKeyIdBytes) {
    return Fail(ErrorCode::kDataLoss, fmt::format("{} file has a malformed id", kind.name));
  }
  const auto env_value = ParseEnvironment(env);
  if (!env_value) {
    return Fail(ErrorCode::kDataLoss,
                fmt::format("{} file names an unknown environment", kind.name));
  }
  if (auto provider = text.Field("provider"); provider) {
    if (kind.header != kMaster.header || ParseKeyProvider(*provider) != KeyProvider::kPkcs11) {
      return Fail(ErrorCode::kDataLoss,
                  fmt::format("{} file names an unknown key provider", kind.name));
    }
    if (text.Field("key")) {
      return Fail(ErrorCode::kDataLoss,
                  fmt::format("{} file holds a key and names a token", kind.name));
    }
    return MasterKey{std::string(id), *env_value, KeyProvider::kPkcs11, Secret()};
  }
  ASSIGN_OR_RETURN(auto hex, text.Field("key"));
  auto key_bytes = HexDecode(hex);
  if (!key_bytes || key_bytes->size() != 32) {
    if (key_bytes) SecureWipe(*key_bytes);
    return Fail(ErrorCode::kDataLoss, fmt::format("{} file has a malformed key", kind.name));
  }
  MasterKey key{std::string(id), *env_value, KeyProvider::kFile, Secret::Locked(*key_bytes)};
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

Result<void> TokenOpen(const Pkcs11Token* token) {
  if (token != nullptr) return {};
  return Fail(ErrorCode::kFailedPrecondition, "the master key's PKCS#11 token is not open");
}

}  // namespace

std::string_view KeyProviderName(KeyProvider provider) {
  return provider == KeyProvider::kPkcs11 ? "pkcs11" : "file";
}

std::optional<KeyProvider> ParseKeyProvider(std::string_view name) {
  if (name == "file") return KeyProvider::kFile;
  if (name == "pkcs11") return KeyProvider::kPkcs11;
  return std::nullopt;
}

MasterKey GenerateMasterKey(Environment environment, Random& random) {
  return MasterKey{random.RandomHex(kKeyIdBytes), environment, KeyProvider::kFile,
                   random.RandomSecret(32)};
}

MasterKey NameTokenMasterKey(Environment environment, Random& random) {
  return MasterKey{random.RandomHex(kKeyIdBytes), environment, KeyProvider::kPkcs11, Secret()};
}

MasterKeyHandle::MasterKeyHandle(MasterKey key) : key_(std::move(key)) {}

MasterKeyHandle::MasterKeyHandle(MasterKey key, std::shared_ptr<Pkcs11Token> token)
    : key_(std::move(key)), token_(std::move(token)) {
  token_id_ = HexDecode(key_.id).value_or(Bytes{});
}

MasterKeyHandle::~MasterKeyHandle() = default;
MasterKeyHandle::MasterKeyHandle(MasterKeyHandle&&) noexcept = default;
MasterKeyHandle& MasterKeyHandle::operator=(MasterKeyHandle&&) noexcept = default;

Result<Bytes> MasterKeyHandle::Wrap(const Secret& key, std::span<const uint8_t> aad,
                                    Random& random) const {
  if (key_.provider == KeyProvider::kFile) return WrapKey(key_.key, key, aad, random);
  RETURN_IF_ERROR(TokenOpen(token_.get()));
  return token_->Seal(token_id_, key, aad);
}

Result<Secret> MasterKeyHandle::Unwrap(std::span<const uint8_t> wrapped,
                                       std::span<const uint8_t> aad) const {
  if (key_.provider == KeyProvider::kFile) return UnwrapKey(key_.key, wrapped, aad);
  RETURN_IF_ERROR(TokenOpen(token_.get()));
  return token_->Unseal(token_id_, wrapped, aad);
}

Result<void> WriteMasterKeyFile(const std::filesystem::path& path, const MasterKey& key) {
  if (key.provider == KeyProvider::kPkcs11) {  // the key is in the token: the file names it
    return WriteKeyFile(path, kMaster.header,
                        {{"id", key.id},
                         {"environment", EnvironmentName(key.environment)},
                         {"provider", KeyProviderName(KeyProvider::kPkcs11)}});
  }
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
