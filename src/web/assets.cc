#include "web/assets.h"

#include <algorithm>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "web/embedded.h"

namespace strongroom::web {
namespace {

constexpr std::string_view kDir = "assets/";
constexpr std::string_view kPath = "/assets/";
constexpr std::string_view kQuotes = "\"'";

std::string_view ContentTypeOf(std::string_view name) {
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "";
}

// Where in `text`, from `from`, the quoted address of the asset `name` starts; npos if nowhere.
size_t FindAddress(std::string_view text, std::string_view name, size_t from) {
  const std::string address = std::string(kPath) + std::string(name);
  for (auto at = text.find(address, from); at != std::string_view::npos;
       at = text.find(address, at + 1)) {
    const auto end = at + address.size();
    if (end < text.size() && kQuotes.find(text[end]) != std::string_view::npos) return at;
  }
  return std::string_view::npos;
}

// `text` with the addresses of the assets in `known` versioned.
std::string VersionedBy(std::string_view text, const std::vector<Asset>& known) {
  std::string out(text);
  for (const auto& asset : known) {
    const auto length = kPath.size() + asset.name.size();
    const std::string versioned = std::string(kPath) + asset.name + "?v=" + asset.version;
    for (auto at = FindAddress(out, asset.name, 0); at != std::string::npos;
         at = FindAddress(out, asset.name, at + versioned.size())) {
      out.replace(at, length, versioned);
    }
  }
  return out;
}

std::vector<Asset> Build() {
  std::vector<Asset> pending;
  for (const auto& f : EmbeddedFiles()) {
    if (!f.name.starts_with(kDir)) continue;
    const auto name = f.name.substr(kDir.size());
    if (ContentTypeOf(name).empty()) continue;
    pending.push_back({std::string(name), ContentTypeOf(name), std::string(f.text), ""});
  }
  // Each asset is finished (its addresses of others versioned, then its own version taken) once
  // every asset it names is; were there a cycle, its first would keep its addresses plain.
  std::vector<Asset> done;
  while (!pending.empty()) {
    auto next = std::ranges::find_if(pending, [&](const Asset& a) {
      return std::ranges::none_of(pending, [&](const Asset& b) {
        return &a != &b && FindAddress(a.text, b.name, 0) != std::string::npos;
      });
    });
    if (next == pending.end()) next = pending.begin();
    next->text = VersionedBy(next->text, done);
    next->version = HexEncode(crypto::Sha256(AsBytes(next->text))).substr(0, 16);
    done.push_back(std::move(*next));
    pending.erase(next);
  }
  return done;
}

}  // namespace

const std::vector<Asset>& Assets() {
  static const std::vector<Asset> assets = Build();
  return assets;
}

const Asset* FindAsset(std::string_view name) {
  for (const auto& asset : Assets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

std::string Versioned(std::string_view text) { return VersionedBy(text, Assets()); }

}  // namespace strongroom::web
