#include "common/surface.h"

namespace strongroom {

std::string_view SurfaceName(Surface surface) {
  switch (static_cast<uint8_t>(surface)) {
    case 0:
      return "none";
    case 1:
      return "public";
    case 2:
      return "admin";
    case 3:
      return "public+admin";
    case 4:
      return "metrics";
    case 5:
      return "public+metrics";
    case 6:
      return "admin+metrics";
    default:
      return "public+admin+metrics";
  }
}

}  // namespace strongroom
