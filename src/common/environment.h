#pragma once
// The kind of instance. Fixed at `strongroom init`, recorded in the store and the key file, and
// bound into every ciphertext's associated data, so material from one environment cannot be used
// by another (no live data in development or test).

#include <optional>
#include <string_view>

namespace strongroom {

enum class Environment { kProduction, kPreproduction, kTest, kDevelopment };

std::string_view EnvironmentName(Environment e);
std::optional<Environment> ParseEnvironment(std::string_view name);

}  // namespace strongroom
