#include "cli/stopped_instance.h"

#include "store/meta.h"
#include "store/migrations.h"

namespace strongroom::cli {

Result<StoppedInstance> OpenStoppedInstance(const std::filesystem::path& config_path,
                                            int max_batch) {
  ASSIGN_OR_RETURN(auto config, LoadConfig(config_path));
  auto lock_path = config.store.path;
  lock_path += ".lock";
  ASSIGN_OR_RETURN(auto lock, InstanceLock::Acquire(lock_path));
  ASSIGN_OR_RETURN(auto db, store::SqliteStore::Open({config.store.path, 1, max_batch}));
  RETURN_IF_ERROR(store::Migrate(*db));
  RETURN_IF_ERROR(store::CheckEnvironment(*db, config.environment));
  return StoppedInstance{std::move(config), std::move(lock), std::move(db)};
}

}  // namespace strongroom::cli
