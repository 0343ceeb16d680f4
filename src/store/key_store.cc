#include "store/key_store.h"

#include <fmt/format.h>

#include <cstdlib>

#include "common/clock.h"
#include "common/file_util.h"
#include "crypto/aead.h"
#include "crypto/envelope.h"
#include "crypto/key_file.h"
#include "crypto/pkcs11_token.h"
#include "store/meta.h"

namespace strongroom::store {
namespace {

// The meta row naming the master key the store's organisation keys are wrapped under, set by
// each rotation (and by init) in the transaction that makes it so.
constexpr std::string_view kMasterKeyMeta = "master_key_id";

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

// The PIN: from `pkcs11_pin_file`, or else systemd's credential (LoadCredential=), as the file's
// one line.
Result<Secret> ReadPin(const KeysConfig& config) {
  auto path = config.pkcs11_pin_file;
  if (path.empty()) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir == '\0') {
      return Fail(ErrorCode::kFailedPrecondition,
                  "no PIN for the PKCS#11 token: set [keys] pkcs11_pin_file, or give the service "
                  "systemd's credential strongroom-hsm-pin (LoadCredential=)");
    }
    path = std::filesystem::path(dir) / "strongroom-hsm-pin";
  }
  ASSIGN_OR_RETURN(auto raw, crypto::ReadPrivateFile(path, "PIN file", 256));
  auto pin = raw.view();
  while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r'))
    pin = pin.first(pin.size() - 1);
  return Secret::Locked(pin);
}

// The key's CKA_ID in its token.
Result<Bytes> TokenId(const crypto::MasterKey& key) {
  auto id = HexDecode(key.id);
  if (!id || id->empty()) return Fail(ErrorCode::kDataLoss, "a master key file has a malformed id");
  return std::move(*id);
}

// Where a key is, for messages.
std::string_view Where(crypto::KeyProvider provider) {
  return provider == crypto::KeyProvider::kPkcs11 ? "in the PKCS#11 token" : "in the key file";
}

// Whether the rotation to `key_id` committed: the store names it as its master key (or, for a
// rotation by an earlier version, wraps an organisation key under it).
Result<bool> Committed(Store& store, std::string_view key_id) {
  bool named = false;
  RETURN_IF_ERROR(store.Read([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto current, GetMeta(tx, kMasterKeyMeta));
    named = current == key_id;
    return {};
  }));
  if (named) return true;
  return AnyKeyWrappedBy(store, key_id);
}

// The master key the key file names, once an interrupted rotation is finished or discarded.
Result<crypto::MasterKey> CurrentKey(Store& store, MasterKeys& keys,
                                     const std::filesystem::path& key_file,
                                     Environment environment) {
  const auto next = NextKeyPath(key_file);
  if (std::filesystem::exists(next)) {
    ASSIGN_OR_RETURN(auto next_key, crypto::ReadMasterKeyFile(next, environment));
    ASSIGN_OR_RETURN(auto current, crypto::ReadMasterKeyFile(key_file, environment));
    ASSIGN_OR_RETURN(bool committed, Committed(store, next_key.id));
    if (next_key.id == current.id) {
      committed = false;  // names the key in use: nothing to finish, and nothing to remove
    } else if (committed) {
      RETURN_IF_ERROR(keys.Promote(next_key));
      RETURN_IF_ERROR(RenameDurably(next, key_file));
    } else {
      // At most a key still pending in its token (DiscardPending never removes one in use); if
      // the token cannot be reached now, the key stays there, pending and unused.
      (void)keys.Discard(next_key);
    }
    if (!committed) {
      std::error_code ec;
      std::filesystem::remove(next, ec);
      if (ec) return Fail(ErrorCode::kInternal, "cannot remove an abandoned rotation key file");
    }
  }
  return crypto::ReadMasterKeyFile(key_file, environment);
}

// The master keys other than `key_id` the store uses: named as its own, or wrapping organisation
// keys ("" if none).
Result<std::string> OtherMasterKeys(Store& store, std::string_view key_id) {
  std::string others;
  RETURN_IF_ERROR(store.Read([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto named, GetMeta(tx, kMasterKeyMeta));
    if (named && *named != key_id) others = *named;
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT DISTINCT master_key_id FROM org_keys WHERE "
                                         "master_key_id <> ? ORDER BY master_key_id",
                                         {std::string(key_id)}));
    for (const auto& row : rows) {
      if (row.Text(0) != others) others += (others.empty() ? "" : ", ") + row.Text(0);
    }
    return {};
  }));
  return others;
}

// Refuses a key file that is not the store's master key, as on a node whose key file is from
// before a rotation.
Result<void> CheckStoreUses(Store& store, const crypto::MasterKey& key) {
  ASSIGN_OR_RETURN(const auto others, OtherMasterKeys(store, key.id));
  if (!others.empty()) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the store's master key is {}, not the key file's {}: is this node's "
                            "keys/master.key from before a `keys rotate`? Copy the current one "
                            "from where the rotation ran",
                            others, key.id));
  }
  return {};
}

}  // namespace

MasterKeys::MasterKeys(const KeysConfig& config, Environment environment)
    : config_(config), environment_(environment) {}
MasterKeys::~MasterKeys() = default;

Result<std::shared_ptr<crypto::Pkcs11Token>> MasterKeys::Token() {
  if (token_) return token_;
  if (config_.pkcs11_module.empty() || config_.pkcs11_token.empty()) {
    return Fail(ErrorCode::kFailedPrecondition,
                "the master key is in a PKCS#11 token: set [keys] pkcs11_module and "
                "pkcs11_token to reach it");
  }
  ASSIGN_OR_RETURN(auto pin, ReadPin(config_));
  ASSIGN_OR_RETURN(auto token, crypto::Pkcs11Token::Open(
                                   {config_.pkcs11_module, config_.pkcs11_token, std::move(pin)}));
  token_ = std::move(token);
  return token_;
}

Result<crypto::MasterKeyHandle> MasterKeys::Use(const crypto::MasterKey& key) {
  crypto::MasterKey copy{key.id, key.environment, key.provider,
                         key.key.empty() ? Secret() : Secret::Locked(key.key.view())};
  if (key.provider == crypto::KeyProvider::kFile) return crypto::MasterKeyHandle(std::move(copy));
  ASSIGN_OR_RETURN(const auto id, TokenId(key));
  ASSIGN_OR_RETURN(auto token, Token());
  if (auto fit = token->CheckKey(id); !fit) {
    Error e = fit.error();
    e.message = fmt::format("master key {} in the PKCS#11 token \"{}\": {}", key.id,
                            config_.pkcs11_token, e.message);
    return std::unexpected(std::move(e));
  }
  return crypto::MasterKeyHandle(std::move(copy), std::move(token));
}

crypto::MasterKey MasterKeys::Name(crypto::Random& random) const {
  if (config_.provider == "pkcs11") return crypto::NameTokenMasterKey(environment_, random);
  return crypto::GenerateMasterKey(environment_, random);
}

Result<void> MasterKeys::Make(const crypto::MasterKey& key) {
  if (key.provider == crypto::KeyProvider::kFile) return {};
  ASSIGN_OR_RETURN(const auto id, TokenId(key));
  ASSIGN_OR_RETURN(auto token, Token());
  return token->GenerateKey(id);
}

Result<void> MasterKeys::Promote(const crypto::MasterKey& key) {
  if (key.provider == crypto::KeyProvider::kFile) return {};
  ASSIGN_OR_RETURN(const auto id, TokenId(key));
  ASSIGN_OR_RETURN(auto token, Token());
  return token->Promote(id);
}

Result<void> MasterKeys::Discard(const crypto::MasterKey& key) {
  if (key.provider == crypto::KeyProvider::kFile) return {};
  ASSIGN_OR_RETURN(const auto id, TokenId(key));
  ASSIGN_OR_RETURN(auto token, Token());
  if (auto r = token->DiscardPending(id); !r && r.error().code != ErrorCode::kNotFound) return r;
  return {};
}

Result<void> RecordMasterKey(Transaction& tx, std::string_view id) {
  return SetMeta(tx, kMasterKeyMeta, id);
}

Result<crypto::MasterKeyHandle> OpenMasterKey(Store& store, const KeysConfig& config,
                                              Environment environment) {
  MasterKeys keys(config, environment);
  ASSIGN_OR_RETURN(auto key, CurrentKey(store, keys, config.master_key_file, environment));
  if (crypto::KeyProviderName(key.provider) != config.provider) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the master key is {} but [keys] provider = \"{}\": run `strongroom "
                            "keys rotate` (every node stopped) to move it {}",
                            Where(key.provider), config.provider,
                            config.provider == "pkcs11" ? "into the token" : "into a key file"));
  }
  RETURN_IF_ERROR(CheckStoreUses(store, key));
  return keys.Use(key);
}

Result<void> CheckWrappedBy(Store& store, const crypto::MasterKey& key) {
  ASSIGN_OR_RETURN(const auto others, OtherMasterKeys(store, key.id));
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
  ASSIGN_OR_RETURN(
      auto wrapped,
      master_.Wrap(key, crypto::OrgKeyAad(environment_, org_id, master_.id()), random_));
  RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO org_keys (org_id, master_key_id, wrapped_key, created_at) VALUES (?, ?, ?, ?)",
      {std::string(org_id), master_.id(), std::move(wrapped), FormatRfc3339(clock_.Now())}));
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
  if (key_id != master_.id()) {
    return Fail(ErrorCode::kFailedPrecondition,
                "an organisation key is wrapped by a master key this instance does not hold");
  }
  ASSIGN_OR_RETURN(auto key, master_.Unwrap(rows.front().Blob(1),
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

Result<RotationResult> RotateMasterKey(Store& store, const KeysConfig& config,
                                       Environment environment, crypto::Random& random,
                                       const RotationRecord& record,
                                       const std::function<void(RotationStep)>& after_step) {
  auto step = [&](RotationStep s) {
    if (after_step) after_step(s);
  };
  MasterKeys keys(config, environment);
  ASSIGN_OR_RETURN(auto current, CurrentKey(store, keys, config.master_key_file, environment));
  ASSIGN_OR_RETURN(auto old_key, keys.Use(current));
  const auto new_name = keys.Name(random);
  const auto next = NextKeyPath(config.master_key_file);
  RETURN_IF_ERROR(crypto::WriteMasterKeyFile(next, new_name));
  const auto remove_next = [&] {
    std::error_code ec;
    std::filesystem::remove(next, ec);
  };
  step(RotationStep::kNextKeyNamed);
  if (auto made = keys.Make(new_name); !made) {
    remove_next();  // nothing made in the token: what has the id is not this rotation's
    return std::unexpected(made.error());
  }
  // Undoes step 1 when the rotation did not commit. A key in a token is pending until then, and
  // only a pending key is removed.
  const auto abandon = [&](const Error& error) -> Result<RotationResult> {
    Error e = error;
    if (auto discarded = keys.Discard(new_name); !discarded) {
      e.message += fmt::format(" (the new key {} stays in the token, labelled {}: remove it)",
                               new_name.id, crypto::Pkcs11Token::kPendingLabel);
    }
    remove_next();
    return std::unexpected(std::move(e));
  };
  step(RotationStep::kNextKeyWritten);
  auto new_key = keys.Use(new_name);
  if (!new_key) return abandon(new_key.error());

  RotationResult result{old_key.id(), new_key->id(), old_key.provider(), new_key->provider(), 0};
  auto rewrap = store.Write([&](Transaction& tx) -> Result<void> {
    result.rewrapped = 0;
    ASSIGN_OR_RETURN(auto rows,
                     tx.Query("SELECT org_id, master_key_id, wrapped_key FROM org_keys"));
    for (const auto& row : rows) {
      const auto org_id = row.Text(0);
      if (row.Text(1) != old_key.id()) {
        return Fail(ErrorCode::kFailedPrecondition,
                    "an organisation key is wrapped by a master key this instance does not hold");
      }
      ASSIGN_OR_RETURN(
          auto org_key,
          old_key.Unwrap(row.Blob(2), crypto::OrgKeyAad(environment, org_id, old_key.id())));
      ASSIGN_OR_RETURN(
          auto rewrapped,
          new_key->Wrap(org_key, crypto::OrgKeyAad(environment, org_id, new_key->id()), random));
      RETURN_IF_ERROR(
          tx.Exec("UPDATE org_keys SET master_key_id = ?, wrapped_key = ? WHERE "
                  "org_id = ?",
                  {new_key->id(), std::move(rewrapped), org_id}));
      ++result.rewrapped;
    }
    RETURN_IF_ERROR(RecordMasterKey(tx, new_key->id()));
    if (record) RETURN_IF_ERROR(record(tx, result));
    return {};
  });
  if (!rewrap) {
    // A commit can fail after it landed (a connection lost as it committed): ask the store.
    auto committed = Committed(store, new_name.id);
    if (!committed) {
      return Fail(rewrap.error().code,
                  fmt::format("{}; whether the rotation committed is unknown, so nothing was "
                              "removed: the next start or `keys rotate` settles it",
                              rewrap.error().message));
    }
    if (!*committed) return abandon(rewrap.error());
  }
  step(RotationStep::kRewrapCommitted);
  RETURN_IF_ERROR(keys.Promote(new_name));
  RETURN_IF_ERROR(RenameDurably(next, config.master_key_file));
  step(RotationStep::kRenamed);
  return result;
}

}  // namespace strongroom::store
