#include "store/key_store.h"

#include <fmt/format.h>

#include "common/clock.h"
#include "common/file_util.h"
#include "crypto/aead.h"
#include "crypto/envelope.h"

namespace strongroom::store {
namespace {

std::filesystem::path NextKeyPath(const std::filesystem::path& key_file) {
  auto p = key_file;
  p += ".next";
  return p;
}

Result<bool> AnyKeyWrappedBy(Store& store, std::string_view master_key_id) {
  bool found = false;
  RETURN_IF_ERROR(store.Read([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT 1 FROM org_keys WHERE master_key_id = ? LIMIT 1",
                                         {std::string(master_key_id)}));
    found = !rows.empty();
    return {};
  }));
  return found;
}

}  // namespace

Result<crypto::MasterKey> OpenMasterKey(Store& store, const std::filesystem::path& key_file,
                                        Environment environment) {
  const auto next = NextKeyPath(key_file);
  if (std::filesystem::exists(next)) {
    ASSIGN_OR_RETURN(auto next_key, crypto::ReadMasterKeyFile(next, environment));
    ASSIGN_OR_RETURN(bool committed, AnyKeyWrappedBy(store, next_key.id));
    if (committed) {
      RETURN_IF_ERROR(RenameDurably(next, key_file));
    } else {
      std::error_code ec;
      std::filesystem::remove(next, ec);
      if (ec) return Fail(ErrorCode::kInternal, "cannot remove an abandoned rotation key file");
    }
  }
  return crypto::ReadMasterKeyFile(key_file, environment);
}

Result<void> CheckWrappedBy(Store& store, const crypto::MasterKey& key) {
  std::string others;
  RETURN_IF_ERROR(store.Read([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT DISTINCT master_key_id FROM org_keys WHERE "
                                         "master_key_id <> ? ORDER BY master_key_id",
                                         {key.id}));
    for (const auto& row : rows) others += (others.empty() ? "" : ", ") + row.Text(0);
    return {};
  }));
  if (!others.empty()) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the store's organisation keys are wrapped under master key {}, not "
                            "under {}: give the master key in use when the backup was taken",
                            others, key.id));
  }
  return {};
}

Result<void> KeyStore::CreateOrgKey(Transaction& tx, std::string_view org_id) {
  auto key = crypto::NewDataKey(random_);
  ASSIGN_OR_RETURN(auto wrapped,
                   crypto::WrapKey(master_.key, key,
                                   crypto::OrgKeyAad(environment_, org_id, master_.id), random_));
  RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO org_keys (org_id, master_key_id, wrapped_key, created_at) VALUES (?, ?, ?, ?)",
      {std::string(org_id), master_.id, std::move(wrapped), FormatRfc3339(clock_.Now())}));
  return {};
}

Result<Secret> KeyStore::LoadOrgKey(Transaction& tx, std::string_view org_id) {
  {
    std::lock_guard lock(cache_mu_);
    // A working copy: the cached key stays on its own locked pages.
    if (auto it = org_keys_.find(org_id); it != org_keys_.end()) return Secret(it->second.view());
  }
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT master_key_id, wrapped_key FROM org_keys WHERE "
                                       "org_id = ?",
                                       {std::string(org_id)}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "no key for that organisation");
  const auto key_id = rows.front().Text(0);
  if (key_id != master_.id) {
    return Fail(ErrorCode::kFailedPrecondition,
                "an organisation key is wrapped by a master key this instance does not hold");
  }
  ASSIGN_OR_RETURN(auto key, crypto::UnwrapKey(master_.key, rows.front().Blob(1),
                                               crypto::OrgKeyAad(environment_, org_id, key_id)));
  std::lock_guard lock(cache_mu_);
  if (org_keys_.find(org_id) == org_keys_.end()) {  // another request may have cached it first
    org_keys_.emplace(std::string(org_id), Secret::Locked(key.view()));
  }
  return key;
}

Result<Secret> KeyStore::UnwrapRecordKey(Transaction& tx, std::string_view org_id,
                                         std::string_view record_id,
                                         std::span<const uint8_t> wrapped) {
  ASSIGN_OR_RETURN(auto org_key, LoadOrgKey(tx, org_id));
  return crypto::UnwrapKey(org_key, wrapped, crypto::RecordKeyAad(environment_, org_id, record_id));
}

Result<SealedRecord> KeyStore::SealNew(Transaction& tx, std::string_view org_id,
                                       std::string_view record_id, int64_t version,
                                       std::span<const uint8_t> plaintext) {
  ASSIGN_OR_RETURN(auto org_key, LoadOrgKey(tx, org_id));
  auto data_key = crypto::NewDataKey(random_);
  SealedRecord out;
  ASSIGN_OR_RETURN(out.wrapped_key,
                   crypto::WrapKey(org_key, data_key,
                                   crypto::RecordKeyAad(environment_, org_id, record_id), random_));
  ASSIGN_OR_RETURN(
      out.ciphertext,
      crypto::Seal(data_key, plaintext,
                   crypto::RecordDataAad(environment_, org_id, record_id, version), random_));
  return out;
}

Result<Bytes> KeyStore::SealVersion(Transaction& tx, std::string_view org_id,
                                    std::string_view record_id, int64_t version,
                                    std::span<const uint8_t> wrapped_key,
                                    std::span<const uint8_t> plaintext) {
  ASSIGN_OR_RETURN(auto data_key, UnwrapRecordKey(tx, org_id, record_id, wrapped_key));
  return crypto::Seal(data_key, plaintext,
                      crypto::RecordDataAad(environment_, org_id, record_id, version), random_);
}

Result<Bytes> KeyStore::Open(Transaction& tx, std::string_view org_id, std::string_view record_id,
                             int64_t version, std::span<const uint8_t> wrapped_key,
                             std::span<const uint8_t> ciphertext) {
  ASSIGN_OR_RETURN(auto data_key, UnwrapRecordKey(tx, org_id, record_id, wrapped_key));
  return crypto::Open(data_key, ciphertext,
                      crypto::RecordDataAad(environment_, org_id, record_id, version));
}

Result<KeyStore::RecordKey> KeyStore::NewRecordKey(Transaction& tx, std::string_view org_id,
                                                   std::string_view record_id) {
  ASSIGN_OR_RETURN(auto org_key, LoadOrgKey(tx, org_id));
  RecordKey out{crypto::NewDataKey(random_), {}};
  ASSIGN_OR_RETURN(out.wrapped,
                   crypto::WrapKey(org_key, out.key,
                                   crypto::RecordKeyAad(environment_, org_id, record_id), random_));
  return out;
}

Result<Secret> KeyStore::OpenRecordKey(Transaction& tx, std::string_view org_id,
                                       std::string_view record_id,
                                       std::span<const uint8_t> wrapped_key) {
  return UnwrapRecordKey(tx, org_id, record_id, wrapped_key);
}

Result<Bytes> KeyStore::SealPart(const Secret& key, std::string_view org_id,
                                 std::string_view record_id, int64_t version, std::string_view part,
                                 std::span<const uint8_t> plaintext) {
  return crypto::Seal(key, plaintext,
                      crypto::RecordDataAad(environment_, org_id, record_id, version, part),
                      random_);
}

Result<Bytes> KeyStore::OpenPart(const Secret& key, std::string_view org_id,
                                 std::string_view record_id, int64_t version, std::string_view part,
                                 std::span<const uint8_t> ciphertext) {
  return crypto::Open(key, ciphertext,
                      crypto::RecordDataAad(environment_, org_id, record_id, version, part));
}

Result<RotationResult> RotateMasterKey(Store& store, const std::filesystem::path& key_file,
                                       Environment environment, crypto::Random& random,
                                       const std::function<void(RotationStep)>& after_step) {
  auto step = [&](RotationStep s) {
    if (after_step) after_step(s);
  };
  ASSIGN_OR_RETURN(auto old_key, OpenMasterKey(store, key_file, environment));
  auto new_key = crypto::GenerateMasterKey(environment, random);
  const auto next = NextKeyPath(key_file);
  RETURN_IF_ERROR(crypto::WriteMasterKeyFile(next, new_key));
  step(RotationStep::kNextKeyWritten);

  RotationResult result{old_key.id, new_key.id, 0};
  auto rewrap = store.Write([&](Transaction& tx) -> Result<void> {
    result.rewrapped = 0;
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query("SELECT org_id, master_key_id, wrapped_key FROM org_keys"));
    for (const auto& row : rows) {
      const auto org_id = row.Text(0);
      if (row.Text(1) != old_key.id) {
        return Fail(ErrorCode::kFailedPrecondition,
                    "an organisation key is wrapped by a master key this instance does not hold");
      }
      ASSIGN_OR_RETURN(auto org_key,
                       crypto::UnwrapKey(old_key.key, row.Blob(2),
                                         crypto::OrgKeyAad(environment, org_id, old_key.id)));
      ASSIGN_OR_RETURN(auto rewrapped,
                       crypto::WrapKey(new_key.key, org_key,
                                       crypto::OrgKeyAad(environment, org_id, new_key.id), random));
      RETURN_IF_ERROR(
          tx.Exec("UPDATE org_keys SET master_key_id = ?, wrapped_key = ? WHERE "
                  "org_id = ?",
                  {new_key.id, std::move(rewrapped), org_id}));
      ++result.rewrapped;
    }
    return {};
  });
  if (!rewrap) {
    std::error_code ec;
    std::filesystem::remove(next, ec);
    return std::unexpected(rewrap.error());
  }
  step(RotationStep::kRewrapCommitted);
  RETURN_IF_ERROR(RenameDurably(next, key_file));
  step(RotationStep::kRenamed);
  return result;
}

}  // namespace strongroom::store
