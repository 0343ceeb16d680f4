#pragma once
// Copying a whole store into another: how an instance moves from the embedded store to PostgreSQL
// (`strongroom store migrate`, cli/store_command.cc).
//
// Every table of the source is copied, parents before the tables whose foreign keys refer to
// them, a page of rows per write, in the order of each table's primary key. Then both sides are
// read again, in that order, and each table's rows counted and digested (SHA-256 over every value
// with its type and length): any difference is kDataLoss, and the copy is not to be served.
//
// Table and column names are read from the source's own schema and spliced into statements only
// after they are checked to be plain identifiers that the target's schema has too; values travel
// as parameters only.
//
// Thread-safety: one copy at a time per pair of stores; neither may be written meanwhile.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace strongroom::store {

struct CopiedTable {
  std::string name;
  int64_t rows = 0;
  std::string digest;  // hex SHA-256 of the rows, the same on both sides
};

// Copies `from` (the embedded store, at this build's schema) into `to` (at this build's schema,
// holding nothing but it: kFailedPrecondition otherwise). `progress` is told the rows copied of
// each table as the copy goes.
Result<std::vector<CopiedTable>> CopyStore(
    Store& from, Store& to,
    const std::function<void(std::string_view table, int64_t rows)>& progress);

}  // namespace strongroom::store
