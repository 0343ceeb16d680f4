#pragma once
// The maintenance subcommands of the `strongroom` binary. Each Add* registers one subcommand on
// the CLI11 app; when the subcommand runs, its exit code is stored in `*exit_code`.
// `serve` lives in app/ (it is the composition root).

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace strongroom::cli {

void AddInitCommand(CLI::App& app, int* exit_code);
void AddKeysCommand(CLI::App& app, int* exit_code);
void AddAuditCommand(CLI::App& app, int* exit_code);
void AddVersionCommand(CLI::App& app, int* exit_code);
void AddPurgeCommand(CLI::App& app, int* exit_code);
void AddAdminCommand(CLI::App& app, int* exit_code);
void AddSeedCommand(CLI::App& app, int* exit_code);
void AddDoctorCommand(CLI::App& app, int* exit_code);
void AddIthcCommand(CLI::App& app, int* exit_code);
void AddComplianceCommand(CLI::App& app, int* exit_code);
void AddBackupCommands(CLI::App& app, int* exit_code);  // backup and restore
void AddStoreCommand(CLI::App& app, int* exit_code);    // store migrate

// Prints "strongroom: <message>" to standard error.
void PrintError(std::string_view message);

// Adds the required `--config PATH` option to `cmd`: the path, once the command line is parsed.
std::shared_ptr<std::string> AddConfigOption(CLI::App* cmd);

}  // namespace strongroom::cli
