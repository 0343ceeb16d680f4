// `strongroom admin leavers apply FILE [--dry-run]`: bulk removal of leavers from a CSV file
// (header row with a `username` or `email` column), with the service stopped. The same rules as
// POST /api/v1/admin/leavers; the operator's OS user is named in the audit log.

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/stopped_instance.h"
#include "common/file_util.h"
#include "crypto/random.h"
#include "identity/auth.h"
#include "lifecycle/lifecycle.h"

namespace strongroom::cli {
namespace {

Result<std::vector<lifecycle::LeaverRow>> Apply(const std::filesystem::path& config_path,
                                                const std::filesystem::path& file, bool dry_run) {
  ASSIGN_OR_RETURN(auto csv, ReadSmallFile(file, 1024 * 1024));
  using Rows = std::vector<lifecycle::LeaverRow>;
  return ChangeStoppedInstance<Rows>(
      config_path, 64, [&](StoppedInstance& inst, InstanceServices& s) -> Result<Rows> {
        identity::CommonPasswords none;
        identity::Auth auth(*inst.db, s.log(), s.keys, s.clock, crypto::DefaultRandom(), none);
        lifecycle::Lifecycle lifecycle(*inst.db, s.log(), s.keys, s.clock, crypto::DefaultRandom(),
                                       auth.sessions, {inst.config.records.descriptors});
        return lifecycle.accounts.LeaversFromCli(OperatorName(), csv, dry_run, PrintProgress);
      });
}

}  // namespace

void AddAdminCommand(CLI::App& app, int* exit_code) {
  auto* admin = app.add_subcommand("admin", "Administration from the command line");
  admin->require_subcommand(1);
  auto* leavers = admin->add_subcommand("leavers", "Bulk removal of leavers");
  leavers->require_subcommand(1);
  auto* apply = leavers->add_subcommand(
      "apply",
      "Remove the accounts a CSV file lists (header row with a username or email column). Run "
      "while the service is stopped.");
  auto file = std::make_shared<std::string>();
  auto dry_run = std::make_shared<bool>(false);
  auto config = AddConfigOption(apply);
  apply->add_option("FILE", *file, "The CSV file")->required();
  apply->add_flag("--dry-run", *dry_run, "Say what would happen to each row; change nothing");
  apply->callback([config, file, dry_run, exit_code] {
    auto rows = Apply(*config, *file, *dry_run);
    if (!rows) {
      PrintError(rows.error().message);
      *exit_code = ExitCodeFor(rows.error());
      return;
    }
    std::map<std::string, int> counts;
    for (const auto& r : *rows) {
      fmt::print("line {}: {} {}\n", r.line, r.username.empty() ? "-" : r.username, r.result);
      ++counts[r.result];
    }
    std::string summary;
    for (const auto& [result, n] : counts) summary += fmt::format(" {} {};", result, n);
    fmt::print("{}{}\n", *dry_run ? "dry run:" : "applied:", summary);
    *exit_code = kExitOk;
  });
}

}  // namespace strongroom::cli
