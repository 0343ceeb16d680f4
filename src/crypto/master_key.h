#pragma once
// The master key: the root of the envelope hierarchy (master key -> organisation keys -> record
// keys). It wraps organisation keys and nothing else.
//
// The key file is text, one `name value` pair a line:
//
//   strongroom-master-key 1
//   id 6f1c...            (16 random bytes, hex: names the key in wrapped-key rows)
//   environment production
//   key 9a0b...           (32 random bytes, hex)
//
// When the key is in a PKCS#11 token (`[keys] provider = "pkcs11"`), the file holds no key: it
// names the key in the token (its CKA_ID is the id) and the environment it was made for:
//
//   strongroom-master-key 1
//   id 6f1c...
//   environment production
//   provider pkcs11
//
// It must be a regular file readable by its owner only (0600 or 0400); a file that group or
// others may read is refused, as is one for another environment. Key bytes are held in a Secret
// and never printed.

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/environment.h"
#include "common/error.h"
#include "common/secret.h"
#include "crypto/random.h"

namespace strongroom::crypto {

class Pkcs11Token;

// Where a master key is kept.
enum class KeyProvider { kFile, kPkcs11 };
std::string_view KeyProviderName(KeyProvider provider);  // "file", "pkcs11"
std::optional<KeyProvider> ParseKeyProvider(std::string_view name);

struct MasterKey {
  std::string id;
  Environment environment = Environment::kProduction;
  KeyProvider provider = KeyProvider::kFile;
  Secret key;  // kFile: the key; kPkcs11: empty (it never leaves the token)
};

// A new key for the file (its bytes from `random`).
MasterKey GenerateMasterKey(Environment environment, Random& random);
// A new key's name for a token (the key itself is made inside: Pkcs11Token::GenerateKey).
MasterKey NameTokenMasterKey(Environment environment, Random& random);

// A master key at work: it wraps and unwraps organisation keys (AES-256-GCM bound to `aad`), with
// its bytes in this process (a key file's) or inside the token, which does the work.
// Thread-safety: Wrap and Unwrap may be called from any thread.
class MasterKeyHandle {
 public:
  // A key file's key.
  explicit MasterKeyHandle(MasterKey key);
  // The key `key` names inside `token` (already checked fit: Pkcs11Token::CheckKey).
  MasterKeyHandle(MasterKey key, std::shared_ptr<Pkcs11Token> token);
  ~MasterKeyHandle();
  MasterKeyHandle(MasterKeyHandle&&) noexcept;
  MasterKeyHandle& operator=(MasterKeyHandle&&) noexcept;

  const std::string& id() const { return key_.id; }
  Environment environment() const { return key_.environment; }
  KeyProvider provider() const { return key_.provider; }
  // What its file says (no key bytes when in a token).
  const MasterKey& key() const { return key_; }

  Result<Bytes> Wrap(const Secret& key, std::span<const uint8_t> aad, Random& random) const;
  Result<Secret> Unwrap(std::span<const uint8_t> wrapped, std::span<const uint8_t> aad) const;

 private:
  MasterKey key_;
  Bytes token_id_;
  std::shared_ptr<Pkcs11Token> token_;
};

// Creates `path` with mode 0600 and syncs it and its directory. Never overwrites: an existing
// file gives kAlreadyExists.
Result<void> WriteMasterKeyFile(const std::filesystem::path& path, const MasterKey& key);

// Reads and checks a key file (permissions, format, sizes). Does not check the environment.
Result<MasterKey> ReadMasterKeyFile(const std::filesystem::path& path);

// ReadMasterKeyFile, then refuses a key made for another environment.
Result<MasterKey> ReadMasterKeyFile(const std::filesystem::path& path, Environment expected);

// The backup key (`[backup].key_file`): the same layout under the header `strongroom-backup-key 1`.
// It encrypts backup archives (backup/archive.h) and nothing else; keep a copy apart from both the
// backups and the master key.
// A type of its own, so that one kind of key is never passed where the other is meant.
struct BackupKey {
  std::string id;
  Environment environment = Environment::kProduction;
  Secret key;
};
BackupKey GenerateBackupKey(Environment environment, Random& random);
Result<void> WriteBackupKeyFile(const std::filesystem::path& path, const BackupKey& key);
// Refuses a key made for another environment, as ReadMasterKeyFile does.
Result<BackupKey> ReadBackupKeyFile(const std::filesystem::path& path, Environment expected);

}  // namespace strongroom::crypto
