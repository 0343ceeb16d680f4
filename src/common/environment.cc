#include "common/environment.h"

#include "common/names.h"

namespace strongroom {

namespace {

constexpr std::pair<Environment, std::string_view> kNames[] = {
    {Environment::kProduction, "production"},
    {Environment::kPreproduction, "preproduction"},
    {Environment::kTest, "test"},
    {Environment::kDevelopment, "development"},
};

}  // namespace

std::string_view EnvironmentName(Environment e) {
  return NameIn<Environment>(kNames, e, "production");
}

std::optional<Environment> ParseEnvironment(std::string_view name) {
  return ParseIn<Environment>(kNames, name);
}

}  // namespace strongroom
