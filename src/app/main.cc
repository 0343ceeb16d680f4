// The `strongroom` binary: one executable, one subcommand per task.

#include <sys/stat.h>

#include <CLI/CLI.hpp>

#include "app/serve.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"

int main(int argc, char** argv) {
  using namespace strongroom;
  // Everything this process creates (store, WAL, keys, logs) is private to its owner.
  ::umask(077);
  CLI::App app{"Strongroom: a records service for information classified OFFICIAL", "strongroom"};
  app.require_subcommand(1);
  int exit_code = cli::kExitOk;
  cli::AddInitCommand(app, &exit_code);
  app::AddServeCommand(app, &exit_code);
  cli::AddKeysCommand(app, &exit_code);
  cli::AddAuditCommand(app, &exit_code);
  cli::AddPurgeCommand(app, &exit_code);
  cli::AddAdminCommand(app, &exit_code);
  cli::AddSeedCommand(app, &exit_code);
  cli::AddDoctorCommand(app, &exit_code);
  cli::AddIthcCommand(app, &exit_code);
  cli::AddComplianceCommand(app, &exit_code);
  cli::AddBackupCommands(app, &exit_code);
  cli::AddStoreCommand(app, &exit_code);
  cli::AddVersionCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return cli::kExitUsage;
  }
  return exit_code;
}
