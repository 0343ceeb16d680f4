// `strongroom store migrate --from-config OLD --to-config NEW`: moves a stopped instance's store
// from the embedded SQLite file into an empty PostgreSQL database (docs/operations.md, "Moving
// to PostgreSQL"). NEW is the instance's configuration with `[store]` naming the database: the
// same environment, node name, keys and audit journal. Every table is copied and checked
// (store/copy.h); the move is an audit event in the instance's journal, committed in the new
// store, so that the chain goes on across it.

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/stopped_instance.h"
#include "store/copy.h"
#include "store/meta.h"
#include "store/migrations.h"
#include "store/open_store.h"

namespace strongroom::cli {
namespace {

Result<std::vector<store::CopiedTable>> Migrate(const std::filesystem::path& from_path,
                                                const std::filesystem::path& to_path) {
  ASSIGN_OR_RETURN(auto to_config, LoadConfig(to_path));
  ASSIGN_OR_RETURN(auto from, OpenStoppedInstance(from_path, 64));
  if (from.config.store.backend != "sqlite" || to_config.store.backend != "postgresql") {
    return Fail(ErrorCode::kInvalidArgument,
                "store migrate moves the embedded (SQLite) store into PostgreSQL: --from-config "
                "must name an instance on SQLite, --to-config one on PostgreSQL");
  }
  if (to_config.environment != from.config.environment) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the two configurations are of different environments ({} and {}): "
                            "a store never moves across environments",
                            EnvironmentName(from.config.environment),
                            EnvironmentName(to_config.environment)));
  }
  if (AuditNodeName(to_config) != AuditNodeName(from.config)) {
    return Fail(ErrorCode::kFailedPrecondition,
                "the two configurations name different audit nodes: the journal goes on under "
                "the name it was written under ([audit] node)");
  }
  ASSIGN_OR_RETURN(auto to_lock, InstanceLock::Acquire(InstanceLockPath(to_config)));
  ASSIGN_OR_RETURN(auto to_db, store::OpenStore(to_config.store, 1, 64, store::Opener::kSole));
  // Nothing is changed in a database that is not new (another instance's, say).
  ASSIGN_OR_RETURN(int version, store::SchemaVersion(*to_db));
  if (version != 0) {
    return Fail(ErrorCode::kFailedPrecondition,
                "the target database is not empty: migrate only into a new database");
  }
  RETURN_IF_ERROR(store::Migrate(*to_db));
  std::string shown;
  ASSIGN_OR_RETURN(auto copied,
                   store::CopyStore(*from.db, *to_db, [&](std::string_view table, int64_t rows) {
                     if (table != shown)
                       fmt::print(stderr, "{}{}", shown.empty() ? "" : "\n", table);
                     shown = table;
                     fmt::print(stderr, "\r{}: {} rows", table, rows);
                   }));
  if (!shown.empty()) fmt::print(stderr, "\n");
  RETURN_IF_ERROR(store::CheckEnvironment(*to_db, to_config.environment));
  from.db->Close();

  // The move, in the journal that goes on in the new store.
  StoppedInstance to{std::move(to_config), std::move(to_lock), std::move(to_db)};
  ASSIGN_OR_RETURN(auto services, OpenInstanceServices(to));
  auto e = OperatorEvent(OperatorName(), "store.migrate", {"store", "", ""});
  e.outcome = "ok";
  int64_t rows = 0;
  for (const auto& t : copied) rows += t.rows;
  e.detail = {{"from", "sqlite"},
              {"to", "postgresql"},
              {"tables", std::to_string(copied.size())},
              {"rows", std::to_string(rows)}};
  RETURN_IF_ERROR(services->log().Record(std::move(e)));
  (void)services->log().Checkpoint();
  to.db->Close();
  return copied;
}

}  // namespace

void AddStoreCommand(CLI::App& app, int* exit_code) {
  auto* store = app.add_subcommand("store", "The instance's store");
  store->require_subcommand(1);
  auto* migrate = store->add_subcommand(
      "migrate",
      "Move a stopped instance's store from SQLite into an empty PostgreSQL database, copying "
      "and checking every table. Run with the service stopped.");
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  migrate->add_option("--from-config", *from, "The instance's configuration (SQLite)")->required();
  migrate
      ->add_option("--to-config", *to,
                   "The same instance's configuration with [store] naming the PostgreSQL "
                   "database")
      ->required();
  migrate->callback([from, to, exit_code] {
    auto copied = Migrate(*from, *to);
    if (!copied) {
      PrintError(copied.error().message);
      *exit_code = ExitCodeFor(copied.error());
      return;
    }
    for (const auto& t : *copied)
      fmt::print("{:<24} {:>10} rows  sha256 {}\n", t.name, t.rows, t.digest);
    fmt::print("copied and checked {} tables: serve with --config {}\n", copied->size(), *to);
    *exit_code = kExitOk;
  });
}

}  // namespace strongroom::cli
