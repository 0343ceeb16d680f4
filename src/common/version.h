#pragma once
// This build's version (the project's, from CMake): "MAJOR.MINOR.PATCH". A new major or minor
// version is a major change to a deployment (compliance/fingerprint.h); a new patch is not.

#include <string_view>

namespace strongroom {

std::string_view Version();
// "MAJOR.MINOR" of `version`, or `version` itself if it has no second dot.
std::string_view Release(std::string_view version);

}  // namespace strongroom
