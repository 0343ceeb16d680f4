#include "common/environment.h"

namespace strongroom {

std::string_view EnvironmentName(Environment e) {
  switch (e) {
    case Environment::kProduction:
      return "production";
    case Environment::kPreproduction:
      return "preproduction";
    case Environment::kTest:
      return "test";
    case Environment::kDevelopment:
      return "development";
  }
  return "production";
}

std::optional<Environment> ParseEnvironment(std::string_view name) {
  for (auto e : {Environment::kProduction, Environment::kPreproduction, Environment::kTest,
                 Environment::kDevelopment}) {
    if (EnvironmentName(e) == name) return e;
  }
  return std::nullopt;
}

}  // namespace strongroom
