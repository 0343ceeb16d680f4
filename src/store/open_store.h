#pragma once
// The store a configuration names: the embedded SQLite file ([store] path), or PostgreSQL
// ([store] conninfo, checked by store/postgres/pg_connection.h's CheckConninfo before any
// connection is made).

#include <memory>

#include "common/config.h"
#include "store/store.h"

namespace strongroom::store {

// Whether the opener serves or changes the instance (kSole: on PostgreSQL, no other node may hold
// the database meanwhile, store/postgres/pg_store.h) or only reads it beside them (kBeside).
enum class Opener : uint8_t { kSole, kBeside };

// `readers` read-only connections; `max_batch` writes committed together (PostgreSQL caps it at
// 64, store/postgres/pg_store.cc).
Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config, int readers, int max_batch,
                                         Opener opener);

}  // namespace strongroom::store
