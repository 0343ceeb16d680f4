#include "cli/stopped_instance.h"

#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/privileges.h"
#include "crypto/random.h"
#include "store/meta.h"
#include "store/migrations.h"
#include "store/open_store.h"

namespace strongroom::cli {

std::string OperatorName() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : std::to_string(::geteuid());
}

void PrintProgress(int64_t done, int64_t total) {
  constexpr int64_t kWidth = 40;
  const int64_t filled = total <= 0 ? kWidth : done * kWidth / total;
  fmt::print(stderr, "\r[{:<{}}] {}/{}", std::string(static_cast<size_t>(filled), '#'), kWidth,
             done, total);
  if (done == total) fmt::print(stderr, "\n");
}

Result<ReadableInstance> OpenForReading(const std::filesystem::path& config_path) {
  ReadableInstance o;
  ASSIGN_OR_RETURN(o.config, LoadConfig(config_path));
  // Started as root beside an instance its service's user owns, it works as that user: what it
  // adds to the instance (a journal segment, the index) must stay the service's to write.
  // The audit log names who ran it, not whom it became.
  o.operator_name = OperatorName();
  struct stat st {};
  const auto dir = std::filesystem::absolute(o.config.path).parent_path();
  if (::geteuid() == 0 && ::stat(dir.c_str(), &st) == 0 && st.st_uid != 0) {
    ASSIGN_OR_RETURN(auto dropped, DropPrivileges(o.config));
    (void)dropped;
  }
  ASSIGN_OR_RETURN(o.store, store::OpenStore(o.config.store, 1, 64, store::Opener::kBeside));
  ASSIGN_OR_RETURN(int version, store::SchemaVersion(*o.store));
  if (version != store::LatestSchemaVersion()) {
    return Fail(ErrorCode::kFailedPrecondition,
                "the store's schema is not this build's: start the service once to migrate it");
  }
  RETURN_IF_ERROR(store::CheckEnvironment(*o.store, o.config.environment));
  ASSIGN_OR_RETURN(
      auto key, crypto::ReadSigningKeyFile(o.config.audit.signing_key_file, o.config.environment));
  o.key = std::make_unique<crypto::SigningKey>(std::move(key));
  static const SystemClock clock;
  ASSIGN_OR_RETURN(o.log, audit::AuditLog::Open(*o.store, clock, *o.key, o.config.environment,
                                                audit::OptionsFrom(o.config, /*owner=*/false)));
  return o;
}

audit::Event ReadableInstance::OperatorEvent(std::string action, audit::Target target) const {
  return cli::OperatorEvent(operator_name, std::move(action), std::move(target));
}

audit::Event OperatorEvent(std::string operator_name, std::string action, audit::Target target) {
  audit::Event e;
  e.actor = {"", std::move(operator_name), "cli", ""};
  e.source = "cli";
  e.action = std::move(action);
  e.target = std::move(target);
  e.allowed = true;
  e.reason = "operator with access to the instance's files";
  return e;
}

Result<StoppedInstance> OpenStoppedInstance(const std::filesystem::path& config_path,
                                            int max_batch) {
  ASSIGN_OR_RETURN(auto config, LoadConfig(config_path));
  ASSIGN_OR_RETURN(auto lock, InstanceLock::Acquire(InstanceLockPath(config)));
  ASSIGN_OR_RETURN(auto db, store::OpenStore(config.store, 1, max_batch, store::Opener::kSole));
  RETURN_IF_ERROR(store::Migrate(*db));
  RETURN_IF_ERROR(store::CheckEnvironment(*db, config.environment));
  return StoppedInstance{std::move(config), std::move(lock), std::move(db)};
}

InstanceServices::InstanceServices(crypto::MasterKeyHandle master_key, crypto::SigningKey audit_key,
                                   Environment environment)
    : master(std::move(master_key)),
      signing(std::move(audit_key)),
      keys(master, environment, crypto::DefaultRandom(), clock) {}

Result<std::unique_ptr<InstanceServices>> OpenInstanceServices(StoppedInstance& inst) {
  const auto& config = inst.config;
  ASSIGN_OR_RETURN(auto master, store::OpenMasterKey(*inst.db, config.keys, config.environment));
  ASSIGN_OR_RETURN(auto key,
                   crypto::ReadSigningKeyFile(config.audit.signing_key_file, config.environment));
  auto services =
      std::make_unique<InstanceServices>(std::move(master), std::move(key), config.environment);
  ASSIGN_OR_RETURN(
      services->audit,
      audit::AuditLog::Open(*inst.db, services->clock, services->signing, config.environment,
                            audit::OptionsFrom(config, /*owner=*/true)));
  return services;
}

}  // namespace strongroom::cli
