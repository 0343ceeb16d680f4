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
// It must be a regular file readable by its owner only (0600 or 0400); a file that group or
// others may read is refused, as is one for another environment. Key bytes are held in a Secret
// and never printed.

#include <filesystem>
#include <string>

#include "common/environment.h"
#include "common/error.h"
#include "common/secret.h"
#include "crypto/random.h"

namespace strongroom::crypto {

struct MasterKey {
  std::string id;
  Environment environment = Environment::kProduction;
  Secret key;
};

MasterKey GenerateMasterKey(Environment environment, Random& random);

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
