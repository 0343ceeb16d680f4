// `strongroom purge [--dry-run]`: the purge job on demand, with the service stopped (the running
// service purges on its own every `[records].purge_interval_minutes`).

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/stopped_instance.h"
#include "records/purge.h"

namespace strongroom::cli {
namespace {

Result<records::PurgeReport> Purge(const std::filesystem::path& config_path, bool dry_run) {
  return ChangeStoppedInstance<records::PurgeReport>(
      config_path, 64, [&](StoppedInstance& inst, InstanceServices& s) {
        return records::Purge(*inst.db, s.log(), s.clock)
            .Run(dry_run, records::Purge::Pace::kAlone);
      });
}

}  // namespace

void AddPurgeCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "purge",
      "Crypto-shred records past retain_until that no Retention Order holds, and remove expired "
      "sessions, challenges and enrolment tokens. Run while the service is stopped.");
  auto dry_run = std::make_shared<bool>(false);
  auto config = AddConfigOption(cmd);
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
