// `strongroom init`: creates a new instance directory, all or nothing.
//
// Everything is built in a sibling temporary directory and renamed into place at the end, so an
// interrupted init leaves no half-made instance, and an existing instance is never overwritten.

#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "audit/audit_log.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/config.h"
#include "common/file_util.h"
#include "crypto/master_key.h"
#include "crypto/random.h"
#include "crypto/signing.h"
#include "crypto/tls_certificate.h"
#include "identity/bootstrap.h"
#include "store/key_store.h"
#include "store/meta.h"
#include "store/migrations.h"
#include "store/open_store.h"
#include "store/postgres/pg_connection.h"

namespace strongroom::cli {
namespace {

namespace fs = std::filesystem;

struct InitOptions {
  std::string data_dir;
  std::string environment = "production";
  std::string listen = "127.0.0.1:8443";
  std::string admin_listen = "127.0.0.1:8444";  // "" = the admin surface on `listen`
  std::string metrics_listen = "127.0.0.1:9464";
  std::string tls_cert;
  std::string tls_key;
  bool local_only_audit = false;
  std::string store_conninfo;         // "" = the embedded SQLite store
  std::string node;                   // "" = the host name
  std::vector<std::string> officers;  // "username,Full Name,email[,BPSS date]", exactly two
  // The master key made inside a PKCS#11 token instead of a key file ("" = a key file).
  std::string pkcs11_module;
  std::string pkcs11_token;
  std::string pkcs11_pin_file;  // "" = systemd's credential strongroom-hsm-pin
};

// TOML basic strings: escape what TOML requires, control characters as \uXXXX (so that the
// configuration's own check refuses them by name, rather than the file failing to parse).
std::string TomlString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04X}", u);
      continue;
    }
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// The [keys] section's lines after master_key_file.
std::string KeysLines(const InitOptions& o) {
  if (o.pkcs11_module.empty()) {
    return "# The master key in a PKCS#11 token (an HSM) instead: see docs/operations.md.\n"
           "provider = \"file\"";
  }
  return fmt::format(
      "# The master key is inside this PKCS#11 token; the file above only names it.\n"
      "provider = \"pkcs11\"\npkcs11_module = {}\npkcs11_token = {}\n{}",
      TomlString(fs::absolute(o.pkcs11_module).string()), TomlString(o.pkcs11_token),
      o.pkcs11_pin_file.empty()
          ? std::string("# pkcs11_pin_file = \"\"   (systemd's credential strongroom-hsm-pin)")
          : "pkcs11_pin_file = " + TomlString(fs::absolute(o.pkcs11_pin_file).string()));
}

// `key = "address"`, or the key commented out when there is no address.
std::string ListenLine(std::string_view key, const std::string& address) {
  if (address.empty()) return fmt::format("# {} = \"\"   (served on listen)", key);
  return fmt::format("{} = {}", key, TomlString(address));
}

std::string ConfigText(const InitOptions& o, std::string_view cert, std::string_view key) {
  return fmt::format(
      R"(# Strongroom instance configuration. Every setting is described, with its default and
# allowed range, in docs/configuration.md. Relative paths are relative to this file.

# Fixed at init and recorded in the store and the key file; changing it here does not change the
# instance's environment, it only stops the service from starting.
environment = {}

[server]
listen = {}
# Privileged sign-in and administration, and the Prometheus metrics, each on its own listener,
# answering only the addresses in its allow-list (default: this machine).
{}
# admin_allow = ["127.0.0.0/8", "::1/128"]
{}
# metrics_allow = ["127.0.0.0/8", "::1/128"]
# redirect_listen = "127.0.0.1:8080"   # optional plain-HTTP port that only answers 308 to https

[tls]
certificate = {}
private_key = {}
min_version = "1.2"

[store]
{}

[keys]
master_key_file = "keys/master.key"
{}

[audit]
signing_key_file = "keys/audit.key"
retention_days = 365
# The remote collector (rsyslog imrelp, RELP over mutual TLS). Production refuses to start
# without one unless local_only = true.
# collector = "logs.example.org:2514"
# collector_ca = "/etc/strongroom/collector-ca.pem"
# client_certificate = "/etc/strongroom/client.pem"
# client_key = "/etc/strongroom/client.key"
{}
# This node's name in its audit events: one of its own for each node serving one database.
{}

[accounts]
common_passwords_file = "/usr/share/john/password.lst"

[defense]
# The OWASP CRS on every request: "block" refuses attacks and blocks attacking sources for a
# while, "detect" only reports them. Sources in `allow` (an ITHC tester) are never refused.
mode = "block"
paranoia_level = 1
allow = []

[compliance]
# The go-live gate: "enforce" keeps /readyz at 503 until a passed IT Health Check covers this
# deployment (and again past 12 months, or after a major change); "warn" only alerts; "off" is
# for non-production instances only. Record and sign off checks at /api/v1/compliance/ithc.
{}
# Findings at or above this severity must be mitigated or accepted before a check is signed off.
blocking_severity = "low"

[backup]
# `strongroom backup` archives are encrypted under this key; restore refuses one older than
# retention_days (a record purged since could otherwise come back).
key_file = "keys/backup.key"
retention_days = 35

[log]
level = "info"
access_log = true
)",
      TomlString(o.environment), TomlString(o.listen), ListenLine("admin_listen", o.admin_listen),
      ListenLine("metrics_listen", o.metrics_listen), TomlString(cert), TomlString(key),
      o.store_conninfo.empty() ? std::string("backend = \"sqlite\"\npath = \"strongroom.db\"")
                               : "# A PostgreSQL database of this node's cluster; this node's "
                                 "audit journal and lock stay\n"
                                 "# in this directory.\nbackend = \"postgresql\"\nconninfo = " +
                                     TomlString(o.store_conninfo),
      KeysLines(o), o.local_only_audit ? "local_only = true" : "# local_only = false",
      o.node.empty() ? std::string("# node = \"\"   (the machine's host name)")
                     : "node = " + TomlString(o.node),
      o.environment == "production" ? "gate = \"enforce\"" : "gate = \"off\"");
}

Result<void> MakePrivateDir(const fs::path& p) {
  if (::mkdir(p.c_str(), 0700) != 0) {
    return Fail(ErrorCode::kFailedPrecondition, fmt::format("cannot create {}", p.string()));
  }
  return {};
}

std::vector<std::string> CertificateNames(const HostPort& listen) {
  std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
  if (listen.host != "0.0.0.0" && listen.host != "::" &&
      std::find(names.begin(), names.end(), listen.host) == names.end()) {
    names.insert(names.begin(), listen.host);
  }
  return names;
}

// The store of a new instance, with its two officers' accounts.
Result<void> MakeStore(const Config& config, Environment env, store::MasterKeys& masters,
                       const crypto::MasterKey& master_file,
                       const std::vector<identity::OfficerSpec>& officers,
                       std::vector<identity::IssuedEnrolment>* issued) {
  auto& random = crypto::DefaultRandom();
  ASSIGN_OR_RETURN(auto db, store::OpenStore(config.store, 1, 1, store::Opener::kSole));
  RETURN_IF_ERROR(store::Migrate(*db));
  RETURN_IF_ERROR(store::InitializeInstance(*db, env, random.RandomHex(16)));
  RETURN_IF_ERROR(db->Write(
      [&](store::Transaction& tx) { return store::RecordMasterKey(tx, master_file.id); }));
  ASSIGN_OR_RETURN(auto audit_key, crypto::ReadSigningKeyFile(config.audit.signing_key_file, env));
  SystemClock clock;
  ASSIGN_OR_RETURN(auto audit_log, audit::AuditLog::Open(*db, clock, audit_key, env,
                                                         audit::OptionsFrom(config, true)));
  auto& audit = *audit_log;
  ASSIGN_OR_RETURN(auto master, masters.Use(master_file));
  store::KeyStore keys(master, env, random, clock);
  ASSIGN_OR_RETURN(*issued, identity::BootstrapOfficers(*db, audit, keys, clock, random, officers));
  RETURN_IF_ERROR(audit.Checkpoint());
  audit_log.reset();
  db->Close();
  return {};
}

// Builds the instance in `dir` (a staging directory) and places it at `final_dir`.
Result<void> Build(const InitOptions& o, Environment env, const HostPort& listen,
                   const std::vector<identity::OfficerSpec>& officers, const fs::path& dir,
                   const fs::path& final_dir, std::vector<identity::IssuedEnrolment>* issued) {
  // Checked before anything is written: the connection string goes into the configuration file.
  if (!o.store_conninfo.empty()) RETURN_IF_ERROR(store::CheckConninfo(o.store_conninfo));
  RETURN_IF_ERROR(MakePrivateDir(dir));
  RETURN_IF_ERROR(MakePrivateDir(dir / "keys"));
  auto& random = crypto::DefaultRandom();
  // A key file's key, or the name of the key made inside the token once the configuration is.
  const auto master_file = o.pkcs11_module.empty() ? crypto::GenerateMasterKey(env, random)
                                                   : crypto::NameTokenMasterKey(env, random);
  RETURN_IF_ERROR(crypto::WriteMasterKeyFile(dir / "keys/master.key", master_file));
  RETURN_IF_ERROR(
      crypto::WriteSigningKeyFile(dir / "keys/audit.key", crypto::GenerateSigningKey(env, random)));
  RETURN_IF_ERROR(
      crypto::WriteBackupKeyFile(dir / "keys/backup.key", crypto::GenerateBackupKey(env, random)));
  std::string cert_path = o.tls_cert;
  std::string key_path = o.tls_key;
  if (cert_path.empty()) {
    RETURN_IF_ERROR(MakePrivateDir(dir / "tls"));
    ASSIGN_OR_RETURN(auto cert, crypto::MakeSelfSignedCertificate(CertificateNames(listen)));
    RETURN_IF_ERROR(WriteNewFile(dir / "tls/cert.pem", AsBytes(cert.certificate_pem), 0644));
    RETURN_IF_ERROR(WriteNewFile(dir / "tls/key.pem", cert.private_key_pem.view(), 0600));
    cert_path = "tls/cert.pem";
    key_path = "tls/key.pem";
  } else {
    cert_path = fs::absolute(cert_path).string();
    key_path = fs::absolute(key_path).string();
  }
  RETURN_IF_ERROR(
      WriteNewFile(dir / "strongroom.toml", AsBytes(ConfigText(o, cert_path, key_path)), 0600));
  // The configuration must load cleanly before the instance is declared made.
  ASSIGN_OR_RETURN(auto config, LoadConfig(dir / "strongroom.toml"));
  store::MasterKeys masters(config.keys, env);
  RETURN_IF_ERROR(masters.Make(master_file));
  auto made = MakeStore(config, env, masters, master_file, officers, issued);
  if (made && std::rename(dir.c_str(), final_dir.c_str()) != 0) {
    made =
        Fail(ErrorCode::kFailedPrecondition, fmt::format("cannot create {}", final_dir.string()));
  }
  if (!made) {
    (void)masters.Discard(master_file);  // the instance is not made: nor is its key
    return made;
  }
  // The instance exists: its key is in use (the store names it too, which a rotation goes by).
  (void)masters.Promote(master_file);
  return SyncDirectory(final_dir.parent_path());
}

// What a newcomer needs once the instance exists: what to record, and how to sign in.
void PrintCreated(const InitOptions& o, Environment env, const fs::path& dir,
                  const std::vector<identity::IssuedEnrolment>& issued) {
  fmt::print("Created a {} instance in {}\n", o.environment, dir.string());
  if (o.tls_cert.empty()) {
    auto pem = ReadSmallFile(dir / "tls/cert.pem", 64 * 1024);
    auto fp = pem ? crypto::CertificateFingerprint(*pem) : Result<std::string>("");
    fmt::print("TLS certificate (self-signed) SHA-256 fingerprint:\n  {}\n", fp ? *fp : "?");
  }
  if (auto audit_key = crypto::ReadSigningKeyFile(dir / "keys/audit.key", env)) {
    fmt::print("Audit checkpoint public key (record it off this machine):\n  {}\n",
               HexEncode(audit_key->public_key));
  }
  fmt::print(
      "Keys to copy somewhere safe, apart from each other and from backups: keys/master.key "
      "(encrypts the data{}) and keys/backup.key (encrypts `strongroom backup` archives)\n",
      o.pkcs11_module.empty()
          ? ""
          : "; it names the key inside the PKCS#11 token, which never leaves it");
  fmt::print(
      "Security officers (each token is for that person alone, works once, and expires "
      "in 24 hours):\n");
  for (const auto& e : issued) {
    fmt::print("  {:<24} enrolment token {}  (expires {})\n", e.username, e.token,
               FormatRfc3339(e.expires_at));
  }
  fmt::print("Start it with:\n  strongroom serve --config {}\n",
             (dir / "strongroom.toml").string());
  if (env == Environment::kProduction) {
    fmt::print(
        "It is not live (GET /readyz answers 503) until an IT Health Check of it is recorded and "
        "signed off by a second officer: `strongroom ithc status --config {}` says where it "
        "stands (docs/compliance.md).\n",
        (dir / "strongroom.toml").string());
  }
  if (!o.admin_listen.empty()) {
    fmt::print(
        "Officers enrol and sign in on the admin listener, {} (from this machine only, "
        "unless server.admin_allow says otherwise); everyone else on {}.\n",
        o.admin_listen, o.listen);
  }
}

int RunInit(const InitOptions& o) {
  const auto env = ParseEnvironment(o.environment);
  if (!env) {
    PrintError("--environment must be one of production, preproduction, test, development");
    return kExitUsage;
  }
  auto listen = ParseHostPort(o.listen);
  if (!listen) {
    PrintError("--listen " + listen.error().message);
    return kExitUsage;
  }
  for (const auto& [flag, address] :
       {std::pair{"--admin-listen ", o.admin_listen}, {"--metrics-listen ", o.metrics_listen}}) {
    if (auto hp = ParseHostPort(address); !address.empty() && !hp) {
      PrintError(flag + hp.error().message);
      return kExitUsage;
    }
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    PrintError("--tls-cert and --tls-key go together");
    return kExitUsage;
  }
  std::vector<identity::OfficerSpec> officers;
  for (const auto& text : o.officers) {
    auto spec = identity::ParseOfficerSpec(text, SystemClock().Now());
    if (!spec) {
      PrintError("--officer: " + spec.error().message);
      return kExitUsage;
    }
    officers.push_back(*spec);
  }
  if (officers.empty() && *env != Environment::kProduction) {
    // Non-production instances get two synthetic officers so that a newcomer can try it at once.
    officers = {{"demo.officer.one", "Demo Officer One", "officer.one@demo.invalid"},
                {"demo.officer.two", "Demo Officer Two", "officer.two@demo.invalid"}};
  }
  if (officers.size() != 2) {
    PrintError(
        "give exactly two security officers, two different people: --officer "
        "username,Full Name,email,BPSS-date --officer username,Full Name,email,BPSS-date");
    return kExitUsage;
  }
  for (const auto& officer : officers) {
    if (*env == Environment::kProduction && officer.bpss_verified_on.empty()) {
      PrintError(
          "--officer: in production each officer's BPSS verification date is required: "
          "username,Full Name,email,YYYY-MM-DD");
      return kExitUsage;
    }
  }
  if (o.pkcs11_module.empty() != o.pkcs11_token.empty() ||
      (o.pkcs11_module.empty() && !o.pkcs11_pin_file.empty())) {
    PrintError("--pkcs11-module and --pkcs11-token go together (and --pkcs11-pin-file with them)");
    return kExitUsage;
  }
  if (!o.pkcs11_module.empty() && o.pkcs11_pin_file.empty() &&
      std::getenv("CREDENTIALS_DIRECTORY") == nullptr) {
    PrintError(
        "the token's PIN: give --pkcs11-pin-file, or run init with systemd's credential "
        "strongroom-hsm-pin (systemd-run -p LoadCredential=strongroom-hsm-pin:FILE ...)");
    return kExitUsage;
  }
  fs::path dir = fs::absolute(o.data_dir).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();  // "DIR/"
  std::error_code ec;
  if (fs::exists(dir, ec) && (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec))) {
    PrintError(
        fmt::format("{} exists and is not an empty directory; init never overwrites an "
                    "instance",
                    dir.string()));
    return kExitUsage;
  }
  fs::path staging = dir;
  staging += ".init-" + crypto::DefaultRandom().RandomHex(4);
  std::vector<identity::IssuedEnrolment> issued;
  auto built = Build(o, *env, *listen, officers, staging, dir, &issued);
  if (!built) {
    fs::remove_all(staging, ec);
    PrintError(built.error().message);
    return ExitCodeFor(built.error());
  }
  PrintCreated(o, *env, dir, issued);
  return kExitOk;
}

}  // namespace

void AddInitCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("init",
                                 "Create a new instance: configuration, keys, certificate "
                                 "and store");
  auto o = std::make_shared<InitOptions>();
  cmd->add_option("--data-dir", o->data_dir, "Directory to create (must not exist, or be empty)")
      ->required();
  cmd->add_option("--environment", o->environment,
                  "production, preproduction, test or development (fixed for ever)")
      ->capture_default_str();
  cmd->add_option("--listen", o->listen, "Public HTTPS listen address HOST:PORT")
      ->capture_default_str();
  cmd->add_option("--admin-listen", o->admin_listen,
                  "Admin HTTPS listen address HOST:PORT (\"\": served on --listen)")
      ->capture_default_str();
  cmd->add_option("--metrics-listen", o->metrics_listen,
                  "Metrics HTTPS listen address HOST:PORT (\"\": served on --listen)")
      ->capture_default_str();
  cmd->add_option("--tls-cert", o->tls_cert, "PEM certificate chain (default: self-signed)");
  cmd->add_option("--tls-key", o->tls_key, "PEM private key for --tls-cert");
  cmd->add_option("--officer", o->officers,
                  "A security officer as username,Full Name,email,BPSS-date (the date their BPSS "
                  "was verified; required in production); give two different people "
                  "(non-production instances default to two demo officers)");
  cmd->add_option("--store-conninfo", o->store_conninfo,
                  "Keep the store in this PostgreSQL database (libpq connection string: no "
                  "password; over TCP only with sslmode=verify-full) instead of SQLite");
  cmd->add_option("--node", o->node,
                  "This node's name in its audit events ([audit] node; default: the host "
                  "name); each node serving one PostgreSQL database needs its own");
  cmd->add_option("--pkcs11-module", o->pkcs11_module,
                  "Make the master key inside a PKCS#11 token (an HSM) through this module (the "
                  "vendor's library) instead of in a key file");
  cmd->add_option("--pkcs11-token", o->pkcs11_token, "The token's label (with --pkcs11-module)");
  cmd->add_option("--pkcs11-pin-file", o->pkcs11_pin_file,
                  "A file holding the token's PIN, readable by its owner only (default: systemd's "
                  "credential strongroom-hsm-pin)");
  cmd->add_flag("--audit-local-only", o->local_only_audit,
                "Accept keeping the audit log on this machine only (no remote collector yet)");
  cmd->callback([o, exit_code] { *exit_code = RunInit(*o); });
}

}  // namespace strongroom::cli
