#pragma once
// The console's files, built into the binary (cmake/embed_files.cmake): its templates
// ("templates/<page>.mustache", from web/templates/) and what browsers fetch ("assets/<file>":
// GOV.UK Frontend's styles and scripts from web/node_modules, pinned by web/package-lock.json, and
// the console's own from web/assets/).

#include <span>
#include <string_view>

namespace strongroom::web {

struct EmbeddedFile {
  std::string_view name;
  std::string_view text;
};

std::span<const EmbeddedFile> EmbeddedFiles();

}  // namespace strongroom::web
