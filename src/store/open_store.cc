#include "store/open_store.h"

#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::store {

Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config, int readers, int max_batch,
                                         Opener opener, std::string_view node) {
  if (config.backend == "postgresql") {
    RETURN_IF_ERROR(CheckConninfo(config.conninfo));
    ASSIGN_OR_RETURN(
        auto pg, PgStore::Open({config.conninfo, readers, max_batch, opener, std::string(node)}));
    return std::unique_ptr<Store>(std::move(pg));
  }
  ASSIGN_OR_RETURN(auto sqlite, SqliteStore::Open({config.path, readers, max_batch}));
  return std::unique_ptr<Store>(std::move(sqlite));
}

}  // namespace strongroom::store
