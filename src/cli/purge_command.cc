// `strongroom purge [--dry-run]`: the purge job on demand, with the service stopped (the running
// service purges on its own every `[records].purge_interval_minutes`).

#include <fmt/format.h>

#include "audit/audit_log.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/stopped_instance.h"
#include "common/config.h"
#include "common/instance_lock.h"
#include "crypto/random.h"
#include "crypto/signing.h"
#include "records/purge.h"
#include "store/meta.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::cli {
namespace {

Result<records::PurgeReport> Purge(const std::filesystem::path& config_path, bool dry_run) {
  ASSIGN_OR_RETURN(auto inst, OpenStoppedInstance(config_path, 64));
  const auto& config = inst.config;
  auto& db = inst.db;
  ASSIGN_OR_RETURN(auto key,
                   crypto::ReadSigningKeyFile(config.audit.signing_key_file, config.environment));
  SystemClock clock;
  audit::AuditLog log(*db, clock, key, config.environment, config.audit.checkpoint_every);
  records::Purge purge(*db, log, clock);
  auto report = purge.Run(dry_run);
  if (report) (void)log.Checkpoint();
  db->Close();
  return report;
}

}  // namespace

void AddPurgeCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "purge",
      "Crypto-shred records past retain_until that no Retention Order holds, and remove expired "
      "sessions, challenges and enrolment tokens. Run while the service is stopped.");
  auto config = std::make_shared<std::string>();
  auto dry_run = std::make_shared<bool>(false);
  cmd->add_option("--config", *config, "Path to strongroom.toml")->required();
  cmd->add_flag("--dry-run", *dry_run, "Count and list what would be purged; change nothing");
  cmd->callback([config, dry_run, exit_code] {
    auto report = Purge(*config, *dry_run);
    if (!report) {
      PrintError(report.error().message);
      *exit_code = ExitCodeFor(report.error());
      return;
    }
    if (*dry_run) {
      fmt::print(
          "dry run: {} record(s) would be purged; {} past retention are held by a "
          "Retention Order\n",
          report->records, report->held);
      for (const auto& id : report->record_ids) fmt::print("  {}\n", id);
    } else {
      fmt::print(
          "purged {} record(s); {} held by a Retention Order; removed {} session(s), {} "
          "challenge(s), {} enrolment token(s)\n",
          report->records, report->held, report->sessions, report->challenges,
          report->enrolment_tokens);
    }
    *exit_code = kExitOk;
  });
}

}  // namespace strongroom::cli
