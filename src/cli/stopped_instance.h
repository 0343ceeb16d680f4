#pragma once
// What the maintenance commands that need the service stopped open first: the configuration, the
// instance lock (refused while `serve` runs), the store migrated and checked for its environment.

#include <filesystem>
#include <functional>
#include <memory>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/instance_lock.h"
#include "crypto/master_key.h"
#include "crypto/signing.h"
#include "store/key_store.h"
#include "store/store.h"

namespace strongroom::cli {

struct StoppedInstance {
  Config config;
  InstanceLock lock;
  std::unique_ptr<store::Store> db;
};

// The operating-system user running the command, as named in the audit log.
std::string OperatorName();
// An event by `operator_name`, allowed as one with access to the instance's files.
audit::Event OperatorEvent(std::string operator_name, std::string action, audit::Target target);

// A progress bar on standard error.
void PrintProgress(int64_t done, int64_t total);

// What the commands that read an instance open, whether or not it is serving: the configuration,
// the store (at this build's schema, of the configured environment) and the audit key, to audit
// their reading as the operating-system user who ran them (actor kind "cli"). Started as root
// beside an instance another user owns, the command becomes that user first
// (common/privileges.h), as `serve` does.
struct ReadableInstance {
  Config config;
  std::string operator_name;  // who ran the command
  std::unique_ptr<store::Store> store;
  // Owned apart, so that the log, which refers to it, keeps it where it is when this moves.
  std::unique_ptr<crypto::SigningKey> key;
  // The audit log, opened beside a service that may be running (it owns the instance).
  std::unique_ptr<audit::AuditLog> log;

  // An event by the operator, allowed as one with access to the instance's files.
  audit::Event OperatorEvent(std::string action, audit::Target target) const;
};
Result<ReadableInstance> OpenForReading(const std::filesystem::path& config_path);

Result<StoppedInstance> OpenStoppedInstance(const std::filesystem::path& config_path,
                                            int max_batch);

// What the commands that change data need besides the store: the audit log (under the audit key)
// and the key store (under the master key), on the system clock. Refers to `inst`, which must
// outlive it.
struct InstanceServices {
  InstanceServices(crypto::MasterKeyHandle master_key, crypto::SigningKey audit_key,
                   Environment environment);

  SystemClock clock;
  crypto::MasterKeyHandle master;
  crypto::SigningKey signing;
  std::unique_ptr<audit::AuditLog> audit;  // opened by OpenInstanceServices
  store::KeyStore keys;
  audit::AuditLog& log() { return *audit; }
};

Result<std::unique_ptr<InstanceServices>> OpenInstanceServices(StoppedInstance& inst);

// Opens the stopped instance at `config_path` with its services, runs `change`, checkpoints the
// audit log (whatever the change wrote, even if it failed part-way), and closes the store.
template <typename T>
Result<T> ChangeStoppedInstance(
    const std::filesystem::path& config_path, int max_batch,
    const std::function<Result<T>(StoppedInstance&, InstanceServices&)>& change) {
  ASSIGN_OR_RETURN(auto inst, OpenStoppedInstance(config_path, max_batch));
  ASSIGN_OR_RETURN(auto services, OpenInstanceServices(inst));
  auto out = change(inst, *services);
  (void)services->log().Checkpoint();
  inst.db->Close();
  return out;
}

}  // namespace strongroom::cli
