#pragma once
// What browsers fetch for the console: the files built into the binary under "assets/"
// (web/embedded.h) of a type served here. Each has a version, the first 16 hex digits of the
// SHA-256 of what is served, and the console names each by its versioned address,
// "/assets/<name>?v=<version>": the layout's links (Templates::Load) and one asset's reference
// to another (console.js importing GOV.UK Frontend's script). What is at a versioned address
// never changes, so a browser may keep it for a year without asking again; the same file asked
// for by its plain address, or by a version that is not the current one (a page kept from an
// earlier release), must be asked about again each time, with its version as the ETag. Every
// other answer of the service is "Cache-Control: no-store".

#include <string>
#include <string_view>
#include <vector>

namespace strongroom::web {

struct Asset {
  std::string name;  // "console.css"
  std::string_view content_type;
  std::string text;  // as served: the addresses of other assets in it versioned
  std::string version;
};

// Built once from the embedded files; each asset after those it names.
const std::vector<Asset>& Assets();
// nullptr for a name that is not an asset.
const Asset* FindAsset(std::string_view name);

// `text` with each quoted address of an asset ("/assets/<name>" followed by " or ') given the
// asset's version.
std::string Versioned(std::string_view text);

}  // namespace strongroom::web
