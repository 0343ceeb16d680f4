// `strongroom doctor --config … [--json]`: checks a host and an instance as an assessor would:
// the instance's file modes and owners, its TLS certificate (expiry, key strength), its
// listeners, the clock, the libraries this binary loads against the installed Debian packages,
// whether the running server still maps files an upgrade has replaced, and whether apt has
// updates waiting for the libraries. Each check passes, warns, fails or is skipped (saying why);
// the exit code is 1 if any failed. Nothing is changed.

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/version.hpp>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/config.h"
#include "common/file_util.h"
#include "crypto/master_key.h"
#include "crypto/tls_certificate.h"
#include "defense/crs.h"
#include "store/key_store.h"

namespace strongroom::cli {
namespace {

namespace fs = std::filesystem;

enum class Status { kPass, kWarn, kFail, kSkip };

std::string_view Name(Status s) {
  switch (s) {
    case Status::kPass:
      return "pass";
    case Status::kWarn:
      return "warn";
    case Status::kFail:
      return "fail";
    case Status::kSkip:
      return "skip";
  }
  return "fail";
}

struct Finding {
  std::string check;
  Status status;
  std::string detail;
};
using Findings = std::vector<Finding>;

// The Debian packages of the libraries the binary runs on, as `dpkg-query` names them.
constexpr const char* kPackages[] = {"libssl3",         "libsqlite3-0",   "libboost-json1.81.0",
                                     "libsodium23",     "libargon2-1",    "libseccomp2",
                                     "libqrencode4",    "libc6",          "libstdc++6",
                                     "libfmt9",         "libspdlog1.10",  "libtomlplusplus3",
                                     "libmodsecurity3", "modsecurity-crs"};

// Standard output of a fixed command line (never built from input), or nullopt if it failed.
std::optional<std::string> Output(const std::string& command) {
  FILE* p = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  if (::pclose(p) != 0) return std::nullopt;
  return out;
}

// A file that holds a secret: its owner's alone (0600 or 0400), and its owner the instance
// directory's (the service's user, whoever runs doctor).
void CheckSecretFile(Findings& out, const std::string& check, const fs::path& path, uid_t owner) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    out.push_back({check, Status::kFail, fmt::format("{}: cannot be read", path.string())});
    return;
  }
  const auto mode = st.st_mode & 07777;
  if ((mode & 077) != 0 || st.st_uid != owner) {
    out.push_back({check, Status::kFail,
                   fmt::format("{}: mode {:04o}, owner uid {} (must be 0600 or 0400, owned by "
                               "uid {})",
                               path.string(), mode, st.st_uid, owner)});
    return;
  }
  out.push_back({check, Status::kPass, fmt::format("{}: mode {:04o}", path.string(), mode)});
}

void CheckFiles(const Config& config, const fs::path& config_path, Findings& out) {
  const auto dir = fs::absolute(config_path).parent_path();
  struct stat st {};
  uid_t owner = ::geteuid();
  if (::stat(dir.c_str(), &st) == 0) {
    owner = st.st_uid;
    const auto mode = st.st_mode & 07777;
    out.push_back({"files.instance_dir", (mode & 022) != 0 ? Status::kFail : Status::kPass,
                   fmt::format("{}: mode {:04o}{}", dir.string(), mode,
                               (mode & 022) != 0 ? " (writable by group or others)" : "")});
  }
  if (::stat(config_path.c_str(), &st) == 0) {
    const auto mode = st.st_mode & 07777;
    out.push_back({"files.config", (mode & 022) != 0 ? Status::kFail : Status::kPass,
                   fmt::format("{}: mode {:04o}", config_path.string(), mode)});
  }
  CheckSecretFile(out, "files.master_key", config.keys.master_key_file, owner);
  if (!config.keys.pkcs11_pin_file.empty()) {
    CheckSecretFile(out, "files.hsm_pin", config.keys.pkcs11_pin_file, owner);
  }
  CheckSecretFile(out, "files.audit_key", config.audit.signing_key_file, owner);
  CheckSecretFile(out, "files.tls_key", config.tls.private_key, owner);
  if (!config.tls.admin_private_key.empty()) {
    CheckSecretFile(out, "files.tls_admin_key", config.tls.admin_private_key, owner);
  }
  if (!config.tls.metrics_private_key.empty()) {
    CheckSecretFile(out, "files.tls_metrics_key", config.tls.metrics_private_key, owner);
  }
  if (config.store.backend == "sqlite") {
    CheckSecretFile(out, "files.store", config.store.path, owner);
  }
  std::error_code ec;
  if (fs::exists(fs::symlink_status(config.backup.key_file, ec))) {
    CheckSecretFile(out, "files.backup_key", config.backup.key_file, owner);
  } else {
    out.push_back({"files.backup_key", Status::kWarn,
                   fmt::format("{}: absent, so no backup can be taken (strongroom keys "
                               "backup-key creates it)",
                               config.backup.key_file.string())});
  }
}

// Where the master key is, against [keys] provider; a key in a token, looked for there (the
// token opened, the key found and fit: made inside, never extractable).
void CheckMasterKey(const Config& config, Findings& out) {
  auto key = crypto::ReadMasterKeyFile(config.keys.master_key_file, config.environment);
  if (!key) {
    out.push_back({"keys.master", Status::kFail, key.error().message});
    return;
  }
  const auto where = crypto::KeyProviderName(key->provider);
  if (where != config.keys.provider) {
    out.push_back({"keys.master", Status::kFail,
                   fmt::format("master key {} is in the {} provider, but [keys] provider = "
                               "\"{}\": stop the service and run `strongroom keys rotate`",
                               key->id, where, config.keys.provider)});
    return;
  }
  if (key->provider == crypto::KeyProvider::kFile) {
    out.push_back(
        {"keys.master", Status::kPass, fmt::format("master key {} in its key file", key->id)});
    return;
  }
  store::MasterKeys keys(config.keys, config.environment);
  if (auto used = keys.Use(*key); !used) {
    out.push_back({"keys.master", Status::kFail, used.error().message});
    return;
  }
  out.push_back({"keys.master", Status::kPass,
                 fmt::format("master key {} inside the PKCS#11 token \"{}\" (never extractable)",
                             key->id, config.keys.pkcs11_token)});
}

// One certificate, its findings named `prefix`.expiry, .key_strength, .issuer.
void CheckCertificate(const Config& config, const std::filesystem::path& certificate,
                      const std::string& prefix, Findings& out) {
  auto pem = ReadSmallFile(certificate, 1024 * 1024);
  if (!pem) {
    out.push_back({prefix + ".certificate", Status::kFail, pem.error().message});
    return;
  }
  auto facts = crypto::InspectCertificate(*pem);
  if (!facts) {
    out.push_back({prefix + ".certificate", Status::kFail, facts.error().message});
    return;
  }
  const auto now = std::chrono::system_clock::now();
  const auto days_left =
      std::chrono::duration_cast<std::chrono::days>(facts->not_after - now).count();
  Status expiry = Status::kPass;
  if (days_left < 0) {
    expiry = Status::kFail;
  } else if (days_left < 30) {
    expiry = Status::kWarn;
  }
  out.push_back({prefix + ".expiry", expiry,
                 fmt::format("expires {} ({} days){}", FormatRfc3339(facts->not_after), days_left,
                             days_left < 0 ? ": expired" : "")});
  const bool strong = (facts->key_type == "RSA" && facts->key_bits >= 2048) ||
                      (facts->key_type == "EC" && facts->key_bits >= 256) ||
                      facts->key_type == "ED25519" || facts->key_type == "ED448";
  out.push_back({prefix + ".key_strength", strong ? Status::kPass : Status::kFail,
                 fmt::format("{} {} bits{}", facts->key_type, facts->key_bits,
                             strong ? "" : " (needs RSA >= 2048, EC >= 256 or EdDSA)")});
  const bool production = config.environment == Environment::kProduction;
  out.push_back({prefix + ".issuer",
                 facts->self_signed && production ? Status::kWarn : Status::kPass,
                 facts->self_signed ? "self-signed (replace it with your CA's in production)"
                                    : "issued by a CA"});
}

// The public certificate, and the admin and metrics listeners' own, if they have them.
void CheckTls(const Config& config, Findings& out) {
  CheckCertificate(config, config.tls.certificate, "tls", out);
  if (!config.tls.admin_certificate.empty()) {
    CheckCertificate(config, config.tls.admin_certificate, "tls.admin", out);
  }
  if (!config.tls.metrics_certificate.empty()) {
    CheckCertificate(config, config.tls.metrics_certificate, "tls.metrics", out);
  }
}

// The admin or metrics surface: on its own listener or shared with the public one (a warning in
// production), and an allow-list that admits whom.
void CheckSurface(std::string_view name, const std::string& listen, const CidrList& allow,
                  bool production, Findings& out) {
  std::string everyone;
  std::string ranges;
  for (const auto& r : allow.ranges()) {
    const auto text = r.ToString();
    ranges += (ranges.empty() ? "" : ", ") + text;
    if (text.ends_with("/0")) everyone = text;
  }
  const bool shared = listen.empty();
  const auto status = !everyone.empty() || (shared && production) ? Status::kWarn : Status::kPass;
  out.push_back(
      {fmt::format("listeners.{}", name), status,
       fmt::format("{}; allowed from {}{}",
                   shared ? "served on the public listener" : "its own listener " + listen,
                   ranges.empty() ? "nowhere" : ranges,
                   !everyone.empty() ? " (" + everyone + " admits every address: narrow it)"
                   : shared && production
                       ? " (give it its own address: server." + std::string(name) + "_listen)"
                       : "")});
}

void CheckListeners(const Config& config, Findings& out) {
  const auto listen = ParseHostPort(config.server.listen);
  if (!listen) {
    out.push_back({"listeners.https", Status::kFail, listen.error().message});
    return;
  }
  const bool everywhere = listen->host == "0.0.0.0" || listen->host == "::";
  out.push_back(
      {"listeners.https", everywhere ? Status::kWarn : Status::kPass,
       fmt::format("{}{}", config.server.listen,
                   everywhere ? ": every interface (segment it behind a firewall)" : "")});
  const bool production = config.environment == Environment::kProduction;
  CheckSurface("admin", config.server.admin_listen, config.server.admin_allow, production, out);
  CheckSurface("metrics", config.server.metrics_listen, config.server.metrics_allow, production,
               out);
  out.push_back({"process.syscall_filter",
                 config.server.syscall_filter ? Status::kPass : Status::kFail,
                 config.server.syscall_filter ? "on" : "off (server.syscall_filter = false)"});
}

// Attack detection: on, its rules loadable (the same load the server makes at start), and
// refusing (block mode) in production.
void CheckDefense(const Config& config, Findings& out) {
  const auto& d = config.defense;
  if (!d.enabled) {
    out.push_back({"defense.crs", Status::kFail, "off (defense.enabled = false)"});
    return;
  }
  const auto loaded = defense::Crs::Load({d.crs_rules, d.paranoia_level, d.inbound_threshold,
                                          d.prefilter != "off", PrefilterCachePath(config)});
  out.push_back({"defense.crs", loaded ? Status::kPass : Status::kFail,
                 loaded ? fmt::format("OWASP CRS from {}, paranoia level {}, threshold {}",
                                      d.crs_rules.string(), d.paranoia_level, d.inbound_threshold)
                        : loaded.error().message});
  // Without the prefilter every request costs a full inspection: safe, but slow.
  if (loaded && d.prefilter == "off") {
    out.push_back({"defense.prefilter", Status::kWarn,
                   "off: every request is inspected in full (defense.prefilter = \"off\")"});
  } else if (loaded && !(*loaded)->prefiltered()) {
    out.push_back({"defense.prefilter", Status::kWarn,
                   "none, every request is inspected in full: " + (*loaded)->prefilter_error()});
  } else if (loaded) {
    const auto& c = (*loaded)->prefilter()->coverage();
    out.push_back(
        {"defense.prefilter", Status::kPass,
         fmt::format("{} rules screened ({} by pattern, {} by exact evaluation, {} by "
                     "the rules they follow){}",
                     c.live, c.patterns, c.exact, c.derived,
                     d.prefilter == "verify" ? "; verifying (every request inspected too)" : "")});
  }
  const bool detect_only = d.mode != "block";
  out.push_back({"defense.mode",
                 detect_only && config.environment == Environment::kProduction ? Status::kWarn
                                                                               : Status::kPass,
                 detect_only ? "detect: attacks are reported, never refused"
                             : "block: attacks refused, attacking sources blocked for a while"});
}

void CheckClock(Findings& out) {
  timex tx{};
  const int state = ::ntp_adjtime(&tx);
  const bool synced = state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
  out.push_back({"clock.synchronised", synced ? Status::kPass : Status::kWarn,
                 synced ? fmt::format("synchronised (estimated error {} us)", tx.esterror)
                        : "the kernel reports the clock unsynchronised: run an NTP client "
                          "(audit times and TOTP codes depend on it)"});
}

// The upstream part of a Debian version: "3.0.17-1~deb12u2" -> "3.0.17".
std::string Upstream(std::string version) {
  if (const auto colon = version.find(':'); colon != std::string::npos) {
    version.erase(0, colon + 1);
  }
  return version.substr(0, version.rfind('-'));
}

void CheckVersions(Findings& out) {
  const std::string boost = fmt::format("{}.{}.{}", BOOST_VERSION / 100000,
                                        BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100);
  const std::pair<const char*, std::string> runtime[] = {
      {"libssl3", OpenSSL_version(OPENSSL_VERSION_STRING)},
      {"libsqlite3-0", sqlite3_libversion()},
      {"libboost-json1.81.0", boost},
  };
  for (const auto& [package, version] : runtime) {
    auto installed = Output(fmt::format("/usr/bin/dpkg-query -W -f='${{Version}}' {}", package));
    if (!installed) {
      out.push_back({fmt::format("versions.{}", package), Status::kSkip,
                     fmt::format("runs on {}; dpkg-query does not know {}", version, package)});
      continue;
    }
    const bool same = Upstream(*installed) == version;
    out.push_back({fmt::format("versions.{}", package), same ? Status::kPass : Status::kFail,
                   fmt::format("runs on {}, package {} installed{}", version, *installed,
                               same ? "" : ": restart the service on the installed version")});
  }
}

void CheckUpdates(Findings& out) {
  std::error_code ec;
  bool lists = false;
  for (const auto& e : fs::directory_iterator("/var/lib/apt/lists", ec)) {
    lists = lists || e.path().filename().string().ends_with("_Packages");
  }
  std::string looked;
  for (const char* p : kPackages) looked += std::string(looked.empty() ? "" : ", ") + p;
  if (!lists) {
    out.push_back(
        {"updates.security", Status::kSkip,
         "no apt package lists on this host (apt-get update first); would check: " + looked});
    return;
  }
  const auto plan = Output("/usr/bin/apt-get -s -o Debug::NoLocking=1 full-upgrade");
  if (!plan) {
    out.push_back({"updates.security", Status::kSkip, "apt-get -s full-upgrade failed"});
    return;
  }
  std::vector<std::string> security, other;
  size_t start = 0;
  while (start < plan->size()) {
    const auto end = plan->find('\n', start);
    const std::string line = plan->substr(start, end - start);
    start = end == std::string::npos ? plan->size() : end + 1;
    if (!line.starts_with("Inst ")) continue;
    const auto name = line.substr(5, line.find(' ', 5) - 5);
    for (const char* p : kPackages) {
      if (name != p) continue;
      (line.find("-security") != std::string::npos ? security : other).push_back(name);
    }
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  if (!security.empty()) {
    out.push_back({"updates.security", Status::kFail,
                   "security updates waiting for: " + join(security) + " (apply them now)"});
  } else if (!other.empty()) {
    out.push_back({"updates.security", Status::kWarn,
                   "updates (not security) waiting for: " + join(other) + "; looked at " + looked});
  } else {
    out.push_back({"updates.security", Status::kPass, "none waiting for: " + looked});
  }
}

// The running server of this instance, if any: a `strongroom serve` whose --config is this file.
std::optional<std::string> RunningServer(const fs::path& config_path) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const auto pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = ReadSmallFile(entry.path() / "cmdline", 64 * 1024);
    if (!cmdline) continue;
    std::vector<std::string> args;
    for (size_t at = 0; at < cmdline->size();) {
      const auto end = cmdline->find('\0', at);
      args.push_back(cmdline->substr(at, end - at));
      at = end == std::string::npos ? cmdline->size() : end + 1;
    }
    for (size_t i = 0; i + 2 < args.size(); ++i) {
      if (args[i] != "serve" || args[i + 1] != "--config") continue;
      if (fs::equivalent(entry.path() / "cwd" / args[i + 2], config_path, ec)) return pid;
    }
  }
  return std::nullopt;
}

// Libraries replaced on disk (an upgrade) since the running server mapped them: it runs on the
// old code until restarted.
void CheckRestart(const fs::path& config_path, Findings& out) {
  const auto pid = RunningServer(config_path);
  if (!pid) {
    out.push_back({"process.restart", Status::kSkip, "no server is running for this instance"});
    return;
  }
  auto maps = ReadSmallFile(fs::path("/proc") / *pid / "maps", 16 * 1024 * 1024);
  if (!maps) {
    out.push_back({"process.restart", Status::kSkip, "cannot read the server's memory map"});
    return;
  }
  std::vector<std::string> replaced;
  size_t at = 0;
  while (at < maps->size()) {
    const auto end = maps->find('\n', at);
    const auto line = maps->substr(at, end - at);
    at = end == std::string::npos ? maps->size() : end + 1;
    const auto path = line.find('/');
    if (path == std::string::npos || !line.ends_with(" (deleted)")) continue;
    const auto file = line.substr(path, line.size() - path - 10);
    // Libraries and the binary itself; not anonymous memory files (memfd) or data files.
    const bool code = file.find(".so") != std::string::npos || file.ends_with("/strongroom");
    if (code && std::find(replaced.begin(), replaced.end(), file) == replaced.end()) {
      replaced.push_back(file);
    }
  }
  if (replaced.empty()) {
    out.push_back(
        {"process.restart", Status::kPass,
         fmt::format("the running server (pid {}) runs on the files installed now", *pid)});
    return;
  }
  std::string list;
  for (const auto& f : replaced) list += (list.empty() ? "" : ", ") + f;
  out.push_back(
      {"process.restart", Status::kFail,
       fmt::format("the running server (pid {}) still runs replaced files: {} (restart it)", *pid,
                   list)});
}

Findings Examine(const Config& config, const fs::path& config_path) {
  Findings out;
  out.push_back({"config", Status::kPass,
                 fmt::format("{} ({} environment)", config_path.string(),
                             EnvironmentName(config.environment))});
  if (auto ready = CheckReadyToServe(config); !ready) {
    out.push_back({"config.ready", Status::kFail, ready.error().message});
  }
  CheckFiles(config, config_path, out);
  CheckMasterKey(config, out);
  CheckTls(config, out);
  CheckListeners(config, out);
  CheckDefense(config, out);
  CheckClock(out);
  CheckVersions(out);
  CheckRestart(config_path, out);
  CheckUpdates(out);
  return out;
}

void Print(const Findings& findings, bool json) {
  if (json) {
    boost::json::array checks;
    bool ok = true;
    for (const auto& f : findings) {
      ok = ok && f.status != Status::kFail;
      checks.push_back({{"check", f.check}, {"status", Name(f.status)}, {"detail", f.detail}});
    }
    boost::json::object out{{"ok", ok}, {"checks", std::move(checks)}};
    fmt::print("{}\n", boost::json::serialize(out));
    return;
  }
  for (const auto& f : findings) {
    fmt::print("{:<4}  {:<28} {}\n", Name(f.status), f.check, f.detail);
  }
}

}  // namespace

void AddDoctorCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "doctor",
      "Check this host and instance as an assessor would (file modes, TLS, listeners, clock, "
      "library versions, pending security updates); exit 1 if any check fails");
  auto json = std::make_shared<bool>(false);
  auto config = AddConfigOption(cmd);
  cmd->add_flag("--json", *json, "One JSON object, for machines");
  cmd->callback([config, json, exit_code] {
    auto loaded = LoadConfig(*config);
    if (!loaded) {
      PrintError(loaded.error().message);
      *exit_code = kExitUsage;
      return;
    }
    const auto findings = Examine(*loaded, *config);
    Print(findings, *json);
    bool failed = false;
    for (const auto& f : findings) failed = failed || f.status == Status::kFail;
    *exit_code = failed ? kExitRuntime : kExitOk;
  });
}

}  // namespace strongroom::cli
