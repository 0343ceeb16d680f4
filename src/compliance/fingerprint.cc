#include "compliance/fingerprint.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "common/bytes.h"
#include "common/file_util.h"
#include "common/version.h"
#include "crypto/hash.h"

namespace strongroom::compliance {
namespace {

constexpr std::string_view kMajor[] = {"release", "listeners", "tls", "store", "keys", "detection"};

std::string Sha256Hex(std::string_view text) {
  const auto digest =
      crypto::Sha256(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  return HexEncode(digest);
}

std::string AllowList(const CidrList& list) {
  std::string out;
  for (const auto& r : list.ranges()) out += (out.empty() ? "" : ",") + r.ToString();
  return out.empty() ? "nobody" : out;
}

std::string Listeners(const ServerConfig& s) {
  auto or_shared = [](const std::string& address) {
    return address.empty() ? std::string("shared") : address;
  };
  return fmt::format("public {}; admin {} allow {}; metrics {} allow {}; redirect {}", s.listen,
                     or_shared(s.admin_listen), AllowList(s.admin_allow),
                     or_shared(s.metrics_listen), AllowList(s.metrics_allow),
                     s.redirect_listen.empty() ? std::string("off") : s.redirect_listen);
}

std::string Detection(const DefenseConfig& d) {
  if (!d.enabled) return "off";
  return fmt::format("on, {} mode, paranoia level {}, threshold {}", d.mode, d.paranoia_level,
                     d.inbound_threshold);
}

}  // namespace

std::vector<std::string_view> MajorComponents() { return {std::begin(kMajor), std::end(kMajor)}; }

std::string Fingerprint::Text() const {
  std::string out;
  for (const auto& [name, value] : components) out += name + "=" + value + "\n";
  return out;
}

std::string Fingerprint::Digest() const {
  std::string major;
  for (auto name : kMajor) major += fmt::format("{}={}\n", name, Value(name));
  return Sha256Hex(major);
}

std::string Fingerprint::Value(std::string_view name) const {
  for (const auto& [n, v] : components) {
    if (n == name) return v;
  }
  return "";
}

Fingerprint FingerprintOf(const Config& config, std::string_view version, std::string_view host) {
  auto file = ReadSmallFile(config.path, 1024 * 1024);
  return {{{"release", std::string(Release(version))},
           {"listeners", Listeners(config.server)},
           {"tls", "minimum TLS " + config.tls.min_version},
           {"store", config.store.backend},
           {"keys", config.keys.provider == "pkcs11" ? "PKCS#11 token" : "key file"},
           {"detection", Detection(config.defense)},
           {"version", std::string(version)},
           {"host", std::string(host)},
           {"configuration", file ? "sha256:" + Sha256Hex(*file) : std::string("unreadable")}}};
}

Fingerprint CurrentFingerprint(const Config& config) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return FingerprintOf(config, Version(), host);
}

Result<Fingerprint> ParseFingerprint(std::string_view text) {
  const auto unreadable = [] {
    return Fail(ErrorCode::kDataLoss, "a recorded deployment fingerprint is unreadable");
  };
  Fingerprint f;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    const auto eq = line.find('=');
    // Every line is name=value and ends in a newline, as Text() writes it.
    if (end == std::string_view::npos || eq == std::string_view::npos || eq == 0) {
      return unreadable();
    }
    f.components.emplace_back(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    text.remove_prefix(end + 1);
  }
  if (f.components.empty()) return unreadable();
  return f;
}

std::vector<std::string> MajorDifferences(const Fingerprint& a, const Fingerprint& b) {
  std::vector<std::string> out;
  for (auto name : kMajor) {
    if (a.Value(name) != b.Value(name)) out.emplace_back(name);
  }
  return out;
}

}  // namespace strongroom::compliance
