#include <fmt/format.h>

#include "audit/audit_log.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/stopped_instance.h"
#include "common/config.h"
#include "common/instance_lock.h"
#include "crypto/random.h"
#include "crypto/signing.h"
#include "store/key_store.h"
#include "store/meta.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::cli {
namespace {

// Rotates the master key; audited (the event is committed with the re-wrap, or says why not).
Result<store::RotationResult> Rotate(const std::filesystem::path& config_path) {
  ASSIGN_OR_RETURN(auto inst, OpenStoppedInstance(config_path, 1));
  const auto& config = inst.config;
  ASSIGN_OR_RETURN(auto signing,
                   crypto::ReadSigningKeyFile(config.audit.signing_key_file, config.environment));
  SystemClock clock;
  ASSIGN_OR_RETURN(auto log, audit::AuditLog::Open(*inst.db, clock, signing, config.environment,
                                                   audit::OptionsFrom(config, /*owner=*/true)));
  const auto event = OperatorEvent(OperatorName(), "keys.rotate", {"master_key", "", ""});
  bool committed = false;
  auto result = store::RotateMasterKey(
      *inst.db, config.keys, config.environment, crypto::DefaultRandom(),
      [&](store::Transaction& tx, const store::RotationResult& r) -> Result<void> {
        auto e = event;
        e.target.id = r.new_key_id;
        e.outcome = "ok";
        e.detail = {{"from", r.old_key_id},
                    {"from_provider", std::string(crypto::KeyProviderName(r.old_provider))},
                    {"to_provider", std::string(crypto::KeyProviderName(r.new_provider))},
                    {"rewrapped", std::to_string(r.rewrapped)}};
        return log->Append(tx, std::move(e));
      },
      [&](store::RotationStep step) {
        committed = committed || step == store::RotationStep::kRewrapCommitted;
      });
  // (A rotation that committed has its event; one that failed after is finished at the next start.)
  if (!result && !committed) (void)log->Failed(event, result.error());
  (void)log->Checkpoint();
  log.reset();
  inst.db->Close();
  return result;
}

// Creates the backup key the configuration names; audited, whether or not the service runs.
Result<std::string> CreateBackupKey(const std::filesystem::path& config_path) {
  ASSIGN_OR_RETURN(auto o, OpenForReading(config_path));
  const auto key = crypto::GenerateBackupKey(o.config.environment, crypto::DefaultRandom());
  auto e = o.OperatorEvent("keys.backup_key.create", {"key", key.id, ""});
  auto written = crypto::WriteBackupKeyFile(o.config.backup.key_file, key);
  if (!written) {
    Error error = written.error();
    if (error.code == ErrorCode::kAlreadyExists) {
      error.message = fmt::format(
          "{} exists: a backup key is never overwritten (backups made "
          "under it would be lost)",
          o.config.backup.key_file.string());
    }
    return o.log->Refuse(std::move(e), error);
  }
  e.outcome = "ok";
  if (auto recorded = o.log->Record(std::move(e)); !recorded) {
    // No key without its event.
    std::error_code ec;
    std::filesystem::remove(o.config.backup.key_file, ec);
    return std::unexpected(recorded.error());
  }
  return key.id;
}

}  // namespace

void AddKeysCommand(CLI::App& app, int* exit_code) {
  auto* keys = app.add_subcommand("keys", "Manage encryption keys");
  keys->require_subcommand(1);
  auto* rotate = keys->add_subcommand(
      "rotate",
      "Re-wrap every organisation key under a new master key (records are untouched). "
      "Run while the service is stopped.");
  auto config = AddConfigOption(rotate);
  rotate->callback([config, exit_code] {
    auto result = Rotate(*config);
    if (!result) {
      PrintError(result.error().message);
      *exit_code = ExitCodeFor(result.error());
      return;
    }
    fmt::print("master key rotated: {} ({}) -> {} ({}); {} organisation key(s) re-wrapped\n",
               result->old_key_id, crypto::KeyProviderName(result->old_provider),
               result->new_key_id, crypto::KeyProviderName(result->new_provider),
               result->rewrapped);
    if (result->old_provider == crypto::KeyProvider::kPkcs11) {
      fmt::print(
          "The old key {} stays in the PKCS#11 token: backups taken before need it. Remove it "
          "from the token once they have expired.\n",
          result->old_key_id);
    }
    *exit_code = kExitOk;
  });

  auto* backup_key = keys->add_subcommand(
      "backup-key",
      "Create the backup key ([backup] key_file) that backups are encrypted under (never "
      "overwrites one)");
  auto backup_config = AddConfigOption(backup_key);
  backup_key->callback([backup_config, exit_code] {
    auto id = CreateBackupKey(*backup_config);
    if (!id) {
      PrintError(id.error().message);
      *exit_code = ExitCodeFor(id.error());
      return;
    }
    fmt::print(
        "backup key {} created. Copy it somewhere apart from the backups and from the master key: "
        "restore needs both.\n",
        *id);
    *exit_code = kExitOk;
  });
}

}  // namespace strongroom::cli
