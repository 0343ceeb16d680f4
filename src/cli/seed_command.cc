// `strongroom seed-demo`: synthetic organisations, people and records for a preproduction, test
// or development instance, with the service stopped. Refused on a production instance.

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/stopped_instance.h"
#include "crypto/random.h"
#include "records/record_service.h"
#include "seed/demo_seed.h"

namespace strongroom::cli {
namespace {

Result<seed::SeedReport> Seed(const std::filesystem::path& config_path,
                              const seed::SeedOptions& options) {
  return ChangeStoppedInstance<seed::SeedReport>(
      config_path, 64, [&](StoppedInstance& inst, InstanceServices& s) {
        return seed::SeedDemo(*inst.db, s.log(), s.keys, s.clock, crypto::DefaultRandom(),
                              inst.config.environment, records::OptionsFrom(inst.config.records),
                              OperatorName(), options, PrintProgress);
      });
}

}  // namespace

void AddSeedCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "seed-demo",
      "Create synthetic organisations, people and records on a preproduction, test or "
      "development instance (refused in production). Run while the service is stopped.");
  auto o = std::make_shared<seed::SeedOptions>();
  auto config = AddConfigOption(cmd);
  cmd->add_option("--organisations", o->organisations, "Demo organisations (1..26)")
      ->capture_default_str();
  cmd->add_option("--people", o->people_per_organisation, "People per organisation (4..500)")
      ->capture_default_str();
  cmd->add_option("--records", o->records_per_organisation, "Records per organisation (0..1000000)")
      ->capture_default_str();
  cmd->add_option("--content-seed", o->content_seed,
                  "Seed of the generated content: the same seed gives the same content")
      ->capture_default_str();
  cmd->callback([config, o, exit_code] {
    auto report = Seed(*config, *o);
    if (!report) {
      PrintError(report.error().message);
      *exit_code = ExitCodeFor(report.error());
      return;
    }
    fmt::print("Seeded {} organisation(s), {} person(s) and {} record(s), all synthetic.\n",
               report->organisations, report->accounts.size(), report->records);
    fmt::print(
        "Each account was created by you, approved by no one (the audit log says so), and "
        "must enrol\nwith its one-time token (72 hours) before it can sign in:\n");
    for (const auto& a : report->accounts) {
      fmt::print("  {:<28} {:<16} {:<10} {:<16} remits {:<12} token {}\n", a.username,
                 a.organisation, a.kind, a.roles, a.remits.empty() ? "-" : a.remits,
                 a.enrolment_token);
    }
    *exit_code = kExitOk;
  });
}

}  // namespace strongroom::cli
