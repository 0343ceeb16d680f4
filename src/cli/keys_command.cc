#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
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
  ASSIGN_OR_RETURN(auto config, LoadConfig(config_path));
  auto lock_path = config.store.path;
  lock_path += ".lock";
  ASSIGN_OR_RETURN(auto lock, InstanceLock::Acquire(lock_path));
  ASSIGN_OR_RETURN(auto db, store::SqliteStore::Open({config.store.path, 1, 1}));
  RETURN_IF_ERROR(store::Migrate(*db));
  RETURN_IF_ERROR(store::CheckEnvironment(*db, config.environment));
  auto result = store::RotateMasterKey(*db, config.keys.master_key_file, config.environment,
                                       crypto::DefaultRandom());
  db->Close();
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
  auto config = std::make_shared<std::string>();
  rotate->add_option("--config", *config, "Path to strongroom.toml")->required();
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
