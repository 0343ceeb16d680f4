#pragma once
// The store a configuration names: the embedded SQLite file ([store] path), or PostgreSQL
// ([store] conninfo, checked by store/postgres/pg_connection.h's CheckConninfo before any
// connection is made).

#include <memory>

#include "common/config.h"
#include "store/store.h"

namespace strongroom::store {

// `readers` read-only connections; `max_batch` writes committed together (PostgreSQL caps it at
// 64, store/postgres/pg_store.cc). `node` names a serving node (Opener::kNode): on PostgreSQL no
// two serve one database under the same name.
Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config, int readers, int max_batch,
                                         Opener opener, std::string_view node = "");

}  // namespace strongroom::store
