#include "common/version.h"

#ifndef STRONGROOM_VERSION
#error "STRONGROOM_VERSION is set by src/CMakeLists.txt"
#endif

namespace strongroom {

std::string_view Version() { return STRONGROOM_VERSION; }

std::string_view Release(std::string_view version) {
  const auto first = version.find('.');
  if (first == std::string_view::npos) return version;
  const auto second = version.find('.', first + 1);
  return second == std::string_view::npos ? version : version.substr(0, second);
}

}  // namespace strongroom
