// `strongroom backup` (while the service runs, or not) and `strongroom restore` (into a new
// instance directory): backup/backup.h.

#include <fmt/format.h>
#include <unistd.h>

#include "backup/backup.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/stopped_instance.h"

namespace strongroom::cli {
namespace {

// A progress bar on standard error when it is a terminal and one is wanted.
backup::Progress ProgressBar(bool wanted) {
  if (wanted && ::isatty(STDERR_FILENO) == 1) return PrintProgress;
  return {};
}

struct BackupArgs {
  std::string config, to;
  bool progress = true;
};

int RunBackup(const BackupArgs& a) {
  auto o = OpenForReading(a.config);
  if (!o) {
    PrintError(o.error().message);
    return ExitCodeFor(o.error());
  }
  static const SystemClock clock;
  auto report = backup::TakeBackup({o->config, *o->log, *o->key,
                                    o->OperatorEvent("backup.create", {"backup", "", ""}), a.to,
                                    clock, crypto::DefaultRandom(), ProgressBar(a.progress)});
  if (!report) {
    PrintError(report.error().message);
    return ExitCodeFor(report.error());
  }
  const auto& m = report->manifest;
  fmt::print(
      "backup {} written to {} ({} bytes)\n  environment {}, Strongroom {}, store through audit "
      "sequence {}, audit log through signed checkpoint {}\n  expires {} (restore refuses it "
      "after)\n  SHA-256 {}\n",
      m.id, a.to, report->bytes, EnvironmentName(m.environment), m.version, m.store_sequence,
      m.checkpoint_sequence, FormatRfc3339(m.expires_at), HexEncode(report->sha256));
  if (!report->outside.empty()) {
    fmt::print("Not in the backup (outside the instance directory; back them up apart):\n");
    for (const auto& p : report->outside) fmt::print("  {}\n", p);
  }
  fmt::print("The master key and the backup key are not in it: keep them apart from it.\n");
  return kExitOk;
}

struct RestoreArgs {
  std::string from, data_dir, environment, backup_key, master_key, audit_public_key;
  bool progress = true;
};

int RunRestore(const RestoreArgs& a) {
  const auto env = ParseEnvironment(a.environment);
  if (!env) {
    PrintError("--environment must be one of production, preproduction, test, development");
    return kExitUsage;
  }
  static const SystemClock clock;
  auto report = backup::Restore({a.from, a.data_dir, *env, a.backup_key, a.master_key,
                                 OperatorName(), a.audit_public_key, clock, crypto::DefaultRandom(),
                                 ProgressBar(a.progress)});
  if (!report) {
    PrintError(report.error().message);
    return ExitCodeFor(report.error());
  }
  const auto& m = report->manifest;
  fmt::print(
      "restored backup {} (taken {} on {}, Strongroom {}) into {}\n  audit log verified: {} "
      "events, {} checkpoints, chain intact; audit public key {}\n  {} change(s) recorded "
      "after the backup's snapshot are not in it (each corrected in the audit log): joiners, "
      "movers and leavers since then must be made again\n  {} session(s) ended, {} unused "
      "enrolment token(s) spent; purged {} record(s) past retention ({} held by a Retention "
      "Order)\n",
      m.id, FormatRfc3339(m.created_at), m.node, m.version, a.data_dir, report->verified.events,
      report->verified.checkpoints, m.audit_public_key, report->not_in_backup,
      report->sessions_ended, report->enrolment_tokens_spent, report->purged.records,
      report->purged.held);
  if (!report->outside.empty()) {
    fmt::print("Put these in place before starting it (the configuration names them):\n");
    for (const auto& p : report->outside) fmt::print("  {}\n", p);
  }
  fmt::print(
      "Verify it with `strongroom audit verify --config {0}`; give it to the service's user "
      "(chown -R); start it with:\n  strongroom serve --config {0}\n",
      report->config.string());
  return kExitOk;
}

}  // namespace

void AddBackupCommands(CLI::App& app, int* exit_code) {
  auto* backup = app.add_subcommand(
      "backup",
      "Write a consistent, encrypted copy of the instance (store, audit log, configuration) to "
      "a file, while it serves");
  auto b = std::make_shared<BackupArgs>();
  backup->add_option("--config", b->config, "Path to strongroom.toml")->required();
  backup->add_option("--to", b->to, "The archive to write (never overwritten)")->required();
  backup->add_flag("!--no-progress", b->progress, "No progress bar");
  backup->callback([b, exit_code] { *exit_code = RunBackup(*b); });

  auto* restore = app.add_subcommand(
      "restore", "Make a new instance from a backup archive (checked, then purged, before use)");
  auto r = std::make_shared<RestoreArgs>();
  restore->add_option("--from", r->from, "The backup archive")->required();
  restore
      ->add_option("--data-dir", r->data_dir,
                   "The instance directory to create (must not exist, or be empty)")
      ->required();
  restore
      ->add_option("--environment", r->environment,
                   "The environment of the instance: the backup's must be the same")
      ->required();
  restore->add_option("--backup-key", r->backup_key, "The backup key file it was encrypted under")
      ->required();
  restore->add_option("--master-key", r->master_key, "The master key file in use when it was taken")
      ->required();
  restore->add_option("--audit-public-key", r->audit_public_key,
                      "The audit public key init printed (hex): the backup's must be it");
  restore->add_flag("!--no-progress", r->progress, "No progress bar");
  restore->callback([r, exit_code] { *exit_code = RunRestore(*r); });
}

}  // namespace strongroom::cli
