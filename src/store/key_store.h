#pragma once
// The store's encryption barrier: organisation keys live in the store wrapped by the master key,
// and record data is sealed with per-record keys wrapped by the organisation key (see
// crypto/envelope.h). Nothing in plaintext that this class seals ever reaches the database.
//
// The master key is kept where `[keys] provider` says: in the key file, or inside a PKCS#11
// token (the key file then names it; crypto/master_key.h). Serving refuses a master key that is
// not where the provider says (`keys rotate` moves it there).
//
// Master key rotation (`strongroom keys rotate`) re-wraps every organisation key under a new
// master key, made where `[keys] provider` says, in one transaction; record keys and record bodies
// are untouched. So it also moves the master key from the file into the token and back. It
// survives a crash at any point:
//   1. the new key's file is written to `<key file>.next` (0600, synced), then, for a token, the
//      key is made in the token, labelled pending;
//   2. one transaction re-wraps every organisation key and records the new key id (meta
//      `master_key_id`);
//   3. a token's key is labelled in use, and `<key file>.next` is renamed over the key file.
// `OpenMasterKey` finishes or discards an interrupted rotation: if the store names the `.next` key
// (or, from an earlier version, an organisation key is wrapped under it), step 2 committed and
// step 3 is completed; otherwise `.next` is removed, and its key from the token if it is still
// pending there (a key in use never is). A commit whose outcome is unknown removes nothing. The old
// key is left where it was: in a token it stays (backups taken before the rotation need it); a key
// file is replaced. Serving refuses a key file that is not the store's master key (a node's copy
// from before a rotation).
//
// Unwrapped organisation keys are kept in memory for the life of the process (the master key is
// too): an organisation key never changes while the service runs (rotation re-wraps it, offline,
// with the same value), and each view then costs no key query and no unwrap.
//
// Thread-safety: KeyStore may be used from any thread.

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/config.h"
#include "common/environment.h"
#include "common/error.h"
#include "crypto/master_key.h"
#include "crypto/random.h"
#include "store/store.h"

namespace strongroom::store {

// The master keys `[keys]` can reach: a key file's as it is, a token's through the token, which is
// opened (once, with the PIN from `pkcs11_pin_file` or systemd's credential `strongroom-hsm-pin`)
// when a key in it is first needed. `config` must outlive it.
class MasterKeys {
 public:
  MasterKeys(const KeysConfig& config, Environment environment);
  ~MasterKeys();

  // Puts `key` to work: a file's as it is; a token's once the token holds it, fit to be the master
  // key (Pkcs11Token::CheckKey).
  Result<crypto::MasterKeyHandle> Use(const crypto::MasterKey& key);
  // A new master key's file for the configured provider: a key file's with its bytes; a token's
  // naming the key, which Make then makes inside the token.
  crypto::MasterKey Name(crypto::Random& random) const;
  Result<void> Make(const crypto::MasterKey& key);
  // Marks a token's key made by Make as in use, once the store uses it (nothing for a file's).
  Result<void> Promote(const crypto::MasterKey& key);
  // Removes the key `key` names from its token if it is there and still pending (never one in
  // use; nothing for a key file's).
  Result<void> Discard(const crypto::MasterKey& key);

 private:
  Result<std::shared_ptr<crypto::Pkcs11Token>> Token();

  const KeysConfig& config_;
  const Environment environment_;
  std::shared_ptr<crypto::Pkcs11Token> token_;
};

// Records, inside `tx`, that the store's organisation keys are wrapped under master key `id` (a new
// instance's; a rotation records its own).
Result<void> RecordMasterKey(Transaction& tx, std::string_view id);

// Loads the master key, completing or discarding an interrupted rotation first; refuses one that
// is not where `[keys] provider` says.
Result<crypto::MasterKeyHandle> OpenMasterKey(Store& store, const KeysConfig& config,
                                              Environment environment);

// kFailedPrecondition, naming the keys, unless every organisation key is wrapped under `key`
// (a store restored from a backup needs the master key it was backed up under).
Result<void> CheckWrappedBy(Store& store, const crypto::MasterKey& key);

struct SealedRecord {
  Bytes wrapped_key;  // the record's data key, wrapped by the organisation key
  Bytes ciphertext;   // nonce || ciphertext || tag
};

class KeyStore {
 public:
  // `master`, `random` and `clock` must outlive the KeyStore.
  KeyStore(const crypto::MasterKeyHandle& master, Environment environment, crypto::Random& random,
           const Clock& clock)
      : master_(master), environment_(environment), random_(random), clock_(clock) {}

  // Creates and stores a new organisation key inside `tx`. kAlreadyExists if there is one.
  Result<void> CreateOrgKey(Transaction& tx, std::string_view org_id);
  Result<Secret> LoadOrgKey(Transaction& tx, std::string_view org_id);

  // Seals the first version of a record under a new data key.
  Result<SealedRecord> SealNew(Transaction& tx, std::string_view org_id, std::string_view record_id,
                               int64_t version, std::span<const uint8_t> plaintext);
  // Seals a later version under the record's existing data key.
  Result<Bytes> SealVersion(Transaction& tx, std::string_view org_id, std::string_view record_id,
                            int64_t version, std::span<const uint8_t> wrapped_key,
                            std::span<const uint8_t> plaintext);
  Result<Bytes> Open(Transaction& tx, std::string_view org_id, std::string_view record_id,
                     int64_t version, std::span<const uint8_t> wrapped_key,
                     std::span<const uint8_t> ciphertext);

  // Records of several parts (title, body) share one data key: make it once, open it once.
  struct RecordKey {
    Secret key;
    Bytes wrapped;  // by the organisation key; the only form that is stored
  };
  Result<RecordKey> NewRecordKey(Transaction& tx, std::string_view org_id,
                                 std::string_view record_id);
  Result<Secret> OpenRecordKey(Transaction& tx, std::string_view org_id, std::string_view record_id,
                               std::span<const uint8_t> wrapped_key);
  Result<Bytes> SealPart(const Secret& key, std::string_view org_id, std::string_view record_id,
                         int64_t version, std::string_view part,
                         std::span<const uint8_t> plaintext);
  Result<Bytes> OpenPart(const Secret& key, std::string_view org_id, std::string_view record_id,
                         int64_t version, std::string_view part,
                         std::span<const uint8_t> ciphertext);

 private:
  Result<Secret> UnwrapRecordKey(Transaction& tx, std::string_view org_id,
                                 std::string_view record_id, std::span<const uint8_t> wrapped);

  const crypto::MasterKeyHandle& master_;
  const Environment environment_;
  crypto::Random& random_;
  const Clock& clock_;
  mutable std::mutex cache_mu_;
  std::map<std::string, Secret, std::less<>> org_keys_;  // guarded by cache_mu_
};

// Steps of a rotation, named for tests that simulate a crash between them.
enum class RotationStep { kNextKeyNamed, kNextKeyWritten, kRewrapCommitted, kRenamed };

struct RotationResult {
  std::string old_key_id;
  std::string new_key_id;
  crypto::KeyProvider old_provider = crypto::KeyProvider::kFile;
  crypto::KeyProvider new_provider = crypto::KeyProvider::kFile;
  int64_t rewrapped = 0;
};

// Called inside the re-wrap's transaction (to append its audit event): its failure is the
// rotation's.
using RotationRecord = std::function<Result<void>(Transaction&, const RotationResult&)>;

// Rotates the master key `config` names into a new one where `config.provider` says.
// `record` and `after_step` (each may be empty): above, and called after each step.
Result<RotationResult> RotateMasterKey(Store& store, const KeysConfig& config,
                                       Environment environment, crypto::Random& random,
                                       const RotationRecord& record = {},
                                       const std::function<void(RotationStep)>& after_step = {});

}  // namespace strongroom::store
