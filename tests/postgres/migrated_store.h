#pragma once
// A store on a test database (test_postgres.h), opened and migrated as a serving node (or as
// `opener` says) would find it: what the tests of several nodes on one database start from.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/migrations.h"
#include "store/postgres/pg_store.h"

namespace strongroom::testing {

// The store, migrated; null (with the test failed) if it cannot be opened.
inline std::unique_ptr<store::PgStore> OpenMigrated(const std::string& conninfo,
                                                    const std::string& name,
                                                    store::Opener opener = store::Opener::kNode,
                                                    int readers = 2) {
  auto opened = store::PgStore::Open(
      {conninfo, readers, 64, opener, opener == store::Opener::kNode ? name : ""});
  EXPECT_TRUE(opened) << opened.error().message;
  if (!opened) return nullptr;
  EXPECT_TRUE(store::Migrate(**opened));
  return std::move(*opened);
}

}  // namespace strongroom::testing
