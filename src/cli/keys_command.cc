#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/stopped_instance.h"
#include "common/config.h"
#include "common/instance_lock.h"
#include "crypto/random.h"
#include "store/key_store.h"
#include "store/meta.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::cli {
namespace {

Result<store::RotationResult> Rotate(const std::filesystem::path& config_path) {
  ASSIGN_OR_RETURN(auto inst, OpenStoppedInstance(config_path, 1));
  auto result = store::RotateMasterKey(*inst.db, inst.config.keys.master_key_file,
                                       inst.config.environment, crypto::DefaultRandom());
  inst.db->Close();
  return result;
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
    fmt::print("master key rotated: {} -> {}; {} organisation key(s) re-wrapped\n",
               result->old_key_id, result->new_key_id, result->rewrapped);
    *exit_code = kExitOk;
  });
}

}  // namespace strongroom::cli
