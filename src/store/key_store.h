#pragma once
// The store's encryption barrier: organisation keys live in the store wrapped by the master key,
// and record data is sealed with per-record keys wrapped by the organisation key (see
// crypto/envelope.h). Nothing in plaintext that this class seals ever reaches the database.
//
// Master key rotation (`strongroom keys rotate`) re-wraps every organisation key under a new
// master key in one transaction; record keys and record bodies are untouched. It survives a
// crash at any point:
//   1. the new key is written to `<key file>.next` (0600, synced);
//   2. one transaction re-wraps every organisation key and records the new key id;
//   3. `<key file>.next` is renamed over the key file.
// `OpenMasterKey` finishes or discards an interrupted rotation: if any wrapped key names the
// `.next` key, step 2 committed and the rename is completed; otherwise `.next` is removed.
//
// Unwrapped organisation keys are kept in memory for the life of the process (the master key is
// too): an organisation key never changes while the service runs (rotation re-wraps it, offline,
// with the same value), and each view then costs no key query and no unwrap.
//
// Thread-safety: KeyStore may be used from any thread.

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/environment.h"
#include "common/error.h"
#include "crypto/master_key.h"
#include "crypto/random.h"
#include "store/store.h"

namespace strongroom::store {

// Loads the master key file, completing or discarding an interrupted rotation first.
Result<crypto::MasterKey> OpenMasterKey(Store& store, const std::filesystem::path& key_file,
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
  KeyStore(const crypto::MasterKey& master, Environment environment, crypto::Random& random,
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

  const crypto::MasterKey& master_;
  const Environment environment_;
  crypto::Random& random_;
  const Clock& clock_;
  mutable std::mutex cache_mu_;
  std::map<std::string, Secret, std::less<>> org_keys_;  // guarded by cache_mu_
};

// Steps of a rotation, named for tests that simulate a crash between them.
enum class RotationStep { kNextKeyWritten, kRewrapCommitted, kRenamed };

struct RotationResult {
  std::string old_key_id;
  std::string new_key_id;
  int64_t rewrapped = 0;
};

// Rotates the master key in `key_file`. `after_step` (may be empty) is called after each step.
Result<RotationResult> RotateMasterKey(Store& store, const std::filesystem::path& key_file,
                                       Environment environment, crypto::Random& random,
                                       const std::function<void(RotationStep)>& after_step = {});

}  // namespace strongroom::store
