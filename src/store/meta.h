#pragma once
// The store's own key/value table: schema version, the instance's environment and id.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/environment.h"
#include "common/error.h"
#include "store/store.h"

namespace strongroom::store {

Result<std::optional<std::string>> GetMeta(Transaction& tx, std::string_view key);
Result<void> SetMeta(Transaction& tx, std::string_view key, std::string_view value);
// Every key starting with `prefix`, with its value, in key order.
Result<std::vector<std::pair<std::string, std::string>>> MetaWithPrefix(Transaction& tx,
                                                                        std::string_view prefix);

// Whether the store has a table `name`.
Result<bool> TableExists(Transaction& tx, std::string_view name);

// Records the environment and a new instance id in an empty store; kAlreadyExists if it was
// initialised before.
Result<void> InitializeInstance(Store& store, Environment environment,
                                std::string_view instance_id);

// kFailedPrecondition unless the store was initialised for `expected`.
Result<void> CheckEnvironment(Store& store, Environment expected);

}  // namespace strongroom::store
