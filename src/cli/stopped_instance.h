#pragma once
// What the maintenance commands that need the service stopped open first: the configuration, the
// instance lock (refused while `serve` runs), the store migrated and checked for its environment.

#include <filesystem>
#include <memory>

#include "common/config.h"
#include "common/instance_lock.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::cli {

struct StoppedInstance {
  Config config;
  InstanceLock lock;
  std::unique_ptr<store::SqliteStore> db;
};

// The operating-system user running the command, as named in the audit log.
std::string OperatorName();

// A progress bar on standard error.
void PrintProgress(int64_t done, int64_t total);

Result<StoppedInstance> OpenStoppedInstance(const std::filesystem::path& config_path,
                                            int max_batch);

}  // namespace strongroom::cli
