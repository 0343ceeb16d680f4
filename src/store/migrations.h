#pragma once
// Numbered schema migrations, applied in order at start, each in its own transaction with the
// version bump. A store whose schema is newer than this build knows is refused rather than
// written to by code that does not understand it.
//
// Migrations are append-only: never edit one that has shipped; add the next number.

#include "common/error.h"
#include "store/store.h"

namespace strongroom::store {

int LatestSchemaVersion();

// Brings the store up to LatestSchemaVersion() (or, for tests of a migration, `up_to`).
// kFailedPrecondition for a newer store.
Result<void> Migrate(Store& store, int up_to = LatestSchemaVersion());

Result<int> SchemaVersion(Store& store);

}  // namespace strongroom::store
