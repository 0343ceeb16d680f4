#include "common/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <set>
#include <tuple>

#include "common/file_util.h"

namespace strongroom {
namespace {

std::unexpected<Error> ConfigError(std::string_view key, std::string_view what) {
  return Fail(ErrorCode::kInvalidArgument, fmt::format("configuration key '{}': {}", key, what));
}

// Reads the keys of one TOML table, remembering which were read so that `Finish` can refuse the
// rest as unknown.
class Section {
 public:
  Section(const toml::table* table, std::string prefix)
      : table_(table), prefix_(std::move(prefix)) {}

  Result<void> Int(std::string_view key, int64_t lo, int64_t hi, int& out) {
    int64_t v = out;
    RETURN_IF_ERROR(Int64(key, lo, hi, v));
    out = static_cast<int>(v);
    return {};
  }

  Result<void> Millis(std::string_view key, int64_t lo, int64_t hi,
                      std::chrono::milliseconds& out) {
    int64_t v = out.count();
    RETURN_IF_ERROR(Int64(key, lo, hi, v));
    out = std::chrono::milliseconds(v);
    return {};
  }

  Result<void> Seconds(std::string_view key, int64_t lo, int64_t hi, std::chrono::seconds& out) {
    int64_t v = out.count();
    RETURN_IF_ERROR(Int64(key, lo, hi, v));
    out = std::chrono::seconds(v);
    return {};
  }

  Result<void> Bool(std::string_view key, bool& out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return {};
    if (!node->is_boolean()) return ConfigError(Name(key), "must be true or false");
    out = node->as_boolean()->get();
    return {};
  }

  Result<void> String(std::string_view key, size_t max_len, std::string& out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return {};
    if (!node->is_string()) return ConfigError(Name(key), "must be a string");
    const std::string& v = node->as_string()->get();
    if (v.size() > max_len) {
      return ConfigError(Name(key), fmt::format("must be at most {} characters", max_len));
    }
    for (unsigned char c : v) {
      if (c < 0x20 || c == 0x7f)
        return ConfigError(Name(key), "must not contain control characters");
    }
    out = v;
    return {};
  }

  // An array of strings, each checked by `check` (which returns a message, or "" if fine).
  Result<void> StringList(std::string_view key, size_t max_items,
                          const std::function<std::string(const std::string&)>& check,
                          std::vector<std::string>& out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return {};
    const toml::array* array = node->as_array();
    if (array == nullptr) return ConfigError(Name(key), "must be an array of strings");
    if (array->size() > max_items) {
      return ConfigError(Name(key), fmt::format("must have at most {} entries", max_items));
    }
    std::vector<std::string> values;
    for (const auto& item : *array) {
      if (!item.is_string()) return ConfigError(Name(key), "must be an array of strings");
      const std::string& v = item.as_string()->get();
      if (auto problem = check(v); !problem.empty()) return ConfigError(Name(key), problem);
      if (std::find(values.begin(), values.end(), v) != values.end()) {
        return ConfigError(Name(key), "must not repeat an entry");
      }
      values.push_back(v);
    }
    out = std::move(values);
    return {};
  }

  Result<void> Path(std::string_view key, const std::filesystem::path& base,
                    std::filesystem::path& out) {
    std::string text = out.string();
    RETURN_IF_ERROR(String(key, 4096, text));
    if (text.empty()) {
      out.clear();
    } else {
      std::filesystem::path p(text);
      out = p.is_absolute() ? p : base / p;
    }
    return {};
  }

  Result<void> OneOf(std::string_view key, std::initializer_list<std::string_view> allowed,
                     std::string& out) {
    if (table_ == nullptr || table_->get(key) == nullptr) {
      read_.insert(std::string(key));
      return {};  // absent: the default stands
    }
    RETURN_IF_ERROR(String(key, 64, out));
    for (auto a : allowed) {
      if (a == out) return {};
    }
    std::string list;
    for (auto a : allowed) list += fmt::format("{}'{}'", list.empty() ? "" : ", ", a);
    return ConfigError(Name(key), fmt::format("must be one of {}", list));
  }

  Result<void> Finish() const {
    if (table_ == nullptr) return {};
    for (const auto& [k, v] : *table_) {
      if (!read_.contains(std::string(k.str()))) {
        // Sub-tables are read by their own Section.
        if (v.is_table() && prefix_.empty()) continue;
        return ConfigError(Name(k.str()), "unknown setting");
      }
    }
    return {};
  }

  void MarkSection(std::string_view name) { read_.insert(std::string(name)); }

 private:
  const toml::node* Find(std::string_view key) {
    read_.insert(std::string(key));
    if (table_ == nullptr) return nullptr;
    return table_->get(key);
  }

  Result<void> Int64(std::string_view key, int64_t lo, int64_t hi, int64_t& out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return {};
    if (!node->is_integer()) return ConfigError(Name(key), "must be an integer");
    const int64_t v = node->as_integer()->get();
    if (v < lo || v > hi) {
      return ConfigError(Name(key), fmt::format("must be between {} and {}", lo, hi));
    }
    out = v;
    return {};
  }

  std::string Name(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : fmt::format("{}.{}", prefix_, key);
  }

  const toml::table* table_;
  std::string prefix_;
  std::set<std::string> read_;
};

Result<const toml::table*> SubTable(const toml::table& root, std::string_view name) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return nullptr;
  if (!node->is_table()) return ConfigError(name, "must be a table");
  return node->as_table();
}

Result<void> CheckHostPort(std::string_view key, std::string_view value) {
  if (auto hp = ParseHostPort(value); !hp) return ConfigError(key, hp.error().message);
  return {};
}

Result<void> CheckOrigin(std::string_view key, const std::string& origin) {
  if (!origin.empty() &&
      (!origin.starts_with("https://") || origin.find('/', 8) != std::string::npos ||
       origin.find_first_of("?#@ ") != std::string::npos)) {
    return ConfigError(key, "must be an https origin such as 'https://records.example.org'");
  }
  return {};
}

Result<void> ReadAllowList(Section& sec, std::string_view key, CidrList& out) {
  std::vector<std::string> texts;
  for (const auto& r : out.ranges()) texts.push_back(r.ToString());
  RETURN_IF_ERROR(sec.StringList(
      key, 256,
      [](const std::string& v) -> std::string {
        auto c = Cidr::Parse(v);
        return c ? "" : c.error().message;
      },
      texts));
  out = *CidrList::Parse(texts);  // each entry checked above
  return {};
}

// The listeners by purpose: each optional address, its origin and its allow-list.
Result<void> ReadListeners(Section& sec, ServerConfig& s) {
  RETURN_IF_ERROR(sec.String("admin_listen", 300, s.admin_listen));
  if (!s.admin_listen.empty()) {
    RETURN_IF_ERROR(CheckHostPort("server.admin_listen", s.admin_listen));
  }
  RETURN_IF_ERROR(sec.String("admin_origin", 300, s.admin_origin));
  RETURN_IF_ERROR(CheckOrigin("server.admin_origin", s.admin_origin));
  RETURN_IF_ERROR(ReadAllowList(sec, "admin_allow", s.admin_allow));
  RETURN_IF_ERROR(sec.String("metrics_listen", 300, s.metrics_listen));
  if (!s.metrics_listen.empty()) {
    RETURN_IF_ERROR(CheckHostPort("server.metrics_listen", s.metrics_listen));
  }
  RETURN_IF_ERROR(ReadAllowList(sec, "metrics_allow", s.metrics_allow));
  RETURN_IF_ERROR(ReadAllowList(sec, "proxy_from", s.proxy_from));
  return {};
}

Result<void> ReadServer(const toml::table* t, ServerConfig& s) {
  Section sec(t, "server");
  RETURN_IF_ERROR(sec.String("listen", 300, s.listen));
  RETURN_IF_ERROR(CheckHostPort("server.listen", s.listen));
  RETURN_IF_ERROR(sec.String("redirect_listen", 300, s.redirect_listen));
  if (!s.redirect_listen.empty()) {
    RETURN_IF_ERROR(CheckHostPort("server.redirect_listen", s.redirect_listen));
  }
  RETURN_IF_ERROR(sec.String("public_origin", 300, s.public_origin));
  RETURN_IF_ERROR(CheckOrigin("server.public_origin", s.public_origin));
  RETURN_IF_ERROR(ReadListeners(sec, s));
  RETURN_IF_ERROR(sec.Int("io_threads", 0, 64, s.io_threads));
  RETURN_IF_ERROR(sec.Int("worker_threads", 0, 256, s.worker_threads));
  RETURN_IF_ERROR(sec.Int("worker_queue", 1, 100'000, s.worker_queue));
  RETURN_IF_ERROR(sec.Int("anonymous_workers", 0, 256, s.anonymous_workers));
  RETURN_IF_ERROR(sec.Millis("anonymous_queue_target_ms", 10, 60'000, s.anonymous_queue_target));
  RETURN_IF_ERROR(
      sec.Millis("anonymous_queue_interval_ms", 100, 60'000, s.anonymous_queue_interval));
  RETURN_IF_ERROR(sec.Int("max_connections", 1, 1'000'000, s.limits.max_connections));
  RETURN_IF_ERROR(
      sec.Int("max_connections_per_source", 1, 100'000, s.limits.max_connections_per_source));
  RETURN_IF_ERROR(sec.Millis("handshake_timeout_ms", 100, 60'000, s.limits.handshake_timeout));
  RETURN_IF_ERROR(sec.Millis("header_timeout_ms", 100, 60'000, s.limits.header_timeout));
  RETURN_IF_ERROR(sec.Millis("body_timeout_ms", 100, 600'000, s.limits.body_timeout));
  RETURN_IF_ERROR(sec.Millis("keepalive_timeout_ms", 100, 600'000, s.limits.keepalive_timeout));
  RETURN_IF_ERROR(sec.Millis("shutdown_grace_ms", 0, 600'000, s.limits.shutdown_grace));
  RETURN_IF_ERROR(sec.Int("max_header_bytes", 1024, 65'536, s.limits.max_header_bytes));
  RETURN_IF_ERROR(sec.Int("max_body_bytes", 1024, 64 * 1024 * 1024, s.limits.max_body_bytes));
  RETURN_IF_ERROR(sec.Int("max_json_depth", 2, 512, s.max_json_depth));
  RETURN_IF_ERROR(
      sec.Int("requests_per_second_per_source", 0, 1'000, s.limits.requests_per_second_per_source));
  RETURN_IF_ERROR(
      sec.Int("request_burst_per_source", 1, 1'000'000, s.limits.request_burst_per_source));
  RETURN_IF_ERROR(sec.Bool("syscall_filter", s.syscall_filter));
  return sec.Finish();
}

Result<void> ReadTls(const toml::table* t, const std::filesystem::path& base, TlsConfig& tls) {
  Section sec(t, "tls");
  RETURN_IF_ERROR(sec.Path("certificate", base, tls.certificate));
  RETURN_IF_ERROR(sec.Path("private_key", base, tls.private_key));
  RETURN_IF_ERROR(sec.OneOf("min_version", {"1.2", "1.3"}, tls.min_version));
  if (tls.certificate.empty()) return ConfigError("tls.certificate", "is required");
  if (tls.private_key.empty()) return ConfigError("tls.private_key", "is required");
  for (const auto& [name, certificate, key] :
       {std::tuple{"admin", &tls.admin_certificate, &tls.admin_private_key},
        {"metrics", &tls.metrics_certificate, &tls.metrics_private_key}}) {
    RETURN_IF_ERROR(sec.Path(fmt::format("{}_certificate", name), base, *certificate));
    RETURN_IF_ERROR(sec.Path(fmt::format("{}_private_key", name), base, *key));
    if (certificate->empty() != key->empty()) {
      return ConfigError(fmt::format("tls.{}_certificate", name),
                         fmt::format("goes with tls.{}_private_key: give both or neither", name));
    }
  }
  return sec.Finish();
}

Result<void> ReadStore(const toml::table* t, const std::filesystem::path& base, StoreConfig& st) {
  Section sec(t, "store");
  RETURN_IF_ERROR(sec.OneOf("backend", {"sqlite", "postgresql"}, st.backend));
  RETURN_IF_ERROR(sec.Path("path", base, st.path));
  RETURN_IF_ERROR(sec.String("conninfo", 4096, st.conninfo));
  RETURN_IF_ERROR(sec.Int("reader_connections", 0, 64, st.reader_connections));
  RETURN_IF_ERROR(sec.Int("max_batch", 1, 10'000, st.max_batch));
  if (st.backend == "sqlite") {
    if (st.path.empty()) return ConfigError("store.path", "is required");
    if (!st.conninfo.empty()) {
      return ConfigError("store.conninfo", "is for backend = \"postgresql\" only");
    }
  } else {
    // What the connection string may say is the store's to check (store/postgres/pg_connection.h).
    if (st.conninfo.empty()) return ConfigError("store.conninfo", "is required for PostgreSQL");
    if (!st.path.empty()) return ConfigError("store.path", "is for backend = \"sqlite\" only");
  }
  return sec.Finish();
}

Result<void> ReadKeys(const toml::table* t, const std::filesystem::path& base, KeysConfig& k) {
  Section sec(t, "keys");
  RETURN_IF_ERROR(sec.Path("master_key_file", base, k.master_key_file));
  if (k.master_key_file.empty()) return ConfigError("keys.master_key_file", "is required");
  RETURN_IF_ERROR(sec.OneOf("provider", {"file", "pkcs11"}, k.provider));
  RETURN_IF_ERROR(sec.Path("pkcs11_module", base, k.pkcs11_module));
  RETURN_IF_ERROR(sec.String("pkcs11_token", 32, k.pkcs11_token));  // PKCS#11 labels: 32 bytes
  RETURN_IF_ERROR(sec.Path("pkcs11_pin_file", base, k.pkcs11_pin_file));
  if (k.provider == "pkcs11" && k.pkcs11_module.empty()) {
    return ConfigError("keys.pkcs11_module", "is required with provider = \"pkcs11\"");
  }
  if (k.provider == "pkcs11" && k.pkcs11_token.empty()) {
    return ConfigError("keys.pkcs11_token", "is required with provider = \"pkcs11\"");
  }
  return sec.Finish();
}

Result<void> ReadAudit(const toml::table* t, const std::filesystem::path& base, AuditConfig& a) {
  Section sec(t, "audit");
  RETURN_IF_ERROR(sec.Path("signing_key_file", base, a.signing_key_file));
  RETURN_IF_ERROR(sec.Int("retention_days", 183, 730, a.retention_days));
  RETURN_IF_ERROR(sec.Int("checkpoint_every", 1, 100'000, a.checkpoint_every));
  RETURN_IF_ERROR(sec.Millis("checkpoint_interval_ms", 100, 600'000, a.checkpoint_interval));
  RETURN_IF_ERROR(sec.String("collector", 300, a.collector));
  RETURN_IF_ERROR(sec.String("collector_name", 255, a.collector_name));
  RETURN_IF_ERROR(sec.Path("collector_ca", base, a.collector_ca));
  RETURN_IF_ERROR(sec.Path("client_certificate", base, a.client_certificate));
  RETURN_IF_ERROR(sec.Path("client_key", base, a.client_key));
  RETURN_IF_ERROR(sec.Bool("local_only", a.local_only));
  RETURN_IF_ERROR(sec.Path("journal", base, a.journal));
  RETURN_IF_ERROR(sec.String("node", 64, a.node));
  RETURN_IF_ERROR(sec.Int("segment_kib", 64, 1024 * 1024, a.segment_kib));
  if (a.signing_key_file.empty()) return ConfigError("audit.signing_key_file", "is required");
  if (!a.collector.empty()) {
    RETURN_IF_ERROR(CheckHostPort("audit.collector", a.collector));
    for (auto [key, path] : {std::pair{"audit.collector_ca", &a.collector_ca},
                             std::pair{"audit.client_certificate", &a.client_certificate},
                             std::pair{"audit.client_key", &a.client_key}}) {
      if (path->empty()) return ConfigError(key, "is required when audit.collector is set");
    }
  }
  return sec.Finish();
}

// A DNS name as an RP ID must be: lower-case labels of letters, digits and '-', not starting or
// ending with '-', joined by '.', with at least one letter (so never an IPv4 address).
bool IsDomainName(std::string_view name) {
  bool letter = false;
  size_t label = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '.') {
      if (label == 0 || name[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    const bool alpha = c >= 'a' && c <= 'z';
    if (!alpha && !(c >= '0' && c <= '9') && c != '-') return false;
    if (c == '-' && label == 0) return false;
    letter = letter || alpha;
    if (++label > 63) return false;
  }
  return letter && label > 0 && name.back() != '-';
}

Result<void> ReadAccounts(const toml::table* t, const std::filesystem::path& base,
                          AccountsConfig& a) {
  Section sec(t, "accounts");
  RETURN_IF_ERROR(sec.Path("common_passwords_file", base, a.common_passwords_file));
  RETURN_IF_ERROR(sec.OneOf("certificate_lapse", {"suspend", "warn"}, a.certificate_lapse));
  RETURN_IF_ERROR(sec.String("webauthn_rp_id", 253, a.webauthn_rp_id));
  if (!a.webauthn_rp_id.empty() && !IsDomainName(a.webauthn_rp_id)) {
    return ConfigError("accounts.webauthn_rp_id",
                       "must be a host name in lower case (letters, digits, '-' and '.'), not an "
                       "IP address");
  }
  return sec.Finish();
}

Result<void> ReadRecords(const toml::table* t, RecordsConfig& r) {
  Section sec(t, "records");
  RETURN_IF_ERROR(sec.StringList(
      "descriptors", 32,
      [](const std::string& v) -> std::string {
        if (v.empty() || v.size() > 32) return "each descriptor must be 1 to 32 characters";
        for (char c : v) {
          if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return "each descriptor must be upper-case letters, digits, '_' or '-'";
          }
        }
        if (v == "OFFICIAL" || v == "OFFICIAL-SENSITIVE") {
          return "a descriptor must not be named like a classification";
        }
        return "";
      },
      r.descriptors));
  RETURN_IF_ERROR(sec.Int("retention_days_official", 1, 36'500, r.retention_days_official));
  RETURN_IF_ERROR(sec.Int("retention_days_sensitive", 1, 36'500, r.retention_days_sensitive));
  RETURN_IF_ERROR(sec.Int("purge_interval_minutes", 1, 1440, r.purge_interval_minutes));
  RETURN_IF_ERROR(sec.Int("export_threshold", 10, 100'000, r.export_threshold));
  return sec.Finish();
}

Result<void> ReadDefense(const toml::table* t, const std::filesystem::path& base,
                         DefenseConfig& d) {
  Section sec(t, "defense");
  RETURN_IF_ERROR(sec.Bool("enabled", d.enabled));
  RETURN_IF_ERROR(sec.OneOf("mode", {"block", "detect"}, d.mode));
  RETURN_IF_ERROR(sec.Int("paranoia_level", 1, 4, d.paranoia_level));
  RETURN_IF_ERROR(sec.Int("inbound_threshold", 1, 100, d.inbound_threshold));
  RETURN_IF_ERROR(sec.Path("crs_rules", base, d.crs_rules));
  RETURN_IF_ERROR(sec.Int("block_score", 1, 10'000, d.block_score));
  RETURN_IF_ERROR(sec.Seconds("score_half_life_s", 10, 86'400, d.score_half_life));
  RETURN_IF_ERROR(sec.Seconds("block_s", 10, 604'800, d.block_for));
  RETURN_IF_ERROR(ReadAllowList(sec, "allow", d.allow));
  RETURN_IF_ERROR(sec.Int("queue", 1, 100'000, d.queue));
  RETURN_IF_ERROR(sec.OneOf("prefilter", {"on", "off", "verify"}, d.prefilter));
  RETURN_IF_ERROR(sec.Path("prefilter_cache", base, d.prefilter_cache));
  if (d.crs_rules.empty()) return ConfigError("defense.crs_rules", "must name a directory");
  return sec.Finish();
}

Result<void> ReadCompliance(const toml::table* t, Environment environment, ComplianceConfig& c) {
  Section sec(t, "compliance");
  RETURN_IF_ERROR(sec.OneOf("gate", {"enforce", "warn", "off"}, c.gate));
  RETURN_IF_ERROR(sec.OneOf("blocking_severity", {"critical", "high", "medium", "low", "info"},
                            c.blocking_severity));
  if (c.gate.empty()) c.gate = environment == Environment::kProduction ? "enforce" : "off";
  if (environment == Environment::kProduction && c.gate == "off") {
    return ConfigError("compliance.gate",
                       "must be \"enforce\" or \"warn\" in production: the service goes live only "
                       "after a passed IT Health Check");
  }
  return sec.Finish();
}

Result<void> ReadBackup(const toml::table* t, const std::filesystem::path& base, BackupConfig& b) {
  Section sec(t, "backup");
  RETURN_IF_ERROR(sec.Path("key_file", base, b.key_file));
  RETURN_IF_ERROR(sec.Int("retention_days", 1, 365, b.retention_days));
  if (b.key_file.empty()) b.key_file = base / "keys/backup.key";
  return sec.Finish();
}

Result<void> ReadLog(const toml::table* t, const std::filesystem::path& base, LogConfig& log) {
  Section sec(t, "log");
  RETURN_IF_ERROR(sec.OneOf("level", {"trace", "debug", "info", "warn", "error"}, log.level));
  RETURN_IF_ERROR(sec.Path("file", base, log.file));
  RETURN_IF_ERROR(sec.Bool("access_log", log.access_log));
  return sec.Finish();
}

}  // namespace

CidrList LoopbackOnly() { return *CidrList::Parse({"127.0.0.0/8", "::1/128"}); }

Result<HostPort> ParseHostPort(std::string_view text) {
  HostPort hp;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Fail(ErrorCode::kInvalidArgument,
                  "must be HOST:PORT, e.g. 127.0.0.1:8443 or [::1]:8443");
    }
    hp.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0 ||
        text.substr(0, colon).find(':') != std::string_view::npos) {
      return Fail(ErrorCode::kInvalidArgument,
                  "must be HOST:PORT, e.g. 127.0.0.1:8443 or [::1]:8443");
    }
    hp.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "port must be a number from 0 to 65535");
  }
  if (hp.host.empty()) return Fail(ErrorCode::kInvalidArgument, "host must not be empty");
  hp.port = static_cast<uint16_t>(port);
  return hp;
}

Result<Config> ParseConfig(std::string_view toml_text, const std::filesystem::path& path) {
  toml::table root;
  try {
    root = toml::parse(toml_text, path.string());
  } catch (const toml::parse_error& e) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("configuration file is not valid TOML (line {}): {}",
                            e.source().begin.line, e.description()));
  }
  Config cfg;
  cfg.path = path;
  const auto base = path.parent_path();

  Section top(&root, "");
  std::string env_name;
  RETURN_IF_ERROR(
      top.OneOf("environment", {"production", "preproduction", "test", "development"}, env_name));
  if (env_name.empty()) return ConfigError("environment", "is required");
  cfg.environment = *ParseEnvironment(env_name);
  for (auto name : {"server", "tls", "store", "keys", "audit", "accounts", "records", "defense",
                    "compliance", "backup", "log"}) {
    top.MarkSection(name);
  }
  RETURN_IF_ERROR(top.Finish());
  for (const auto& [k, v] : root) {
    const auto key = k.str();
    if (v.is_table() && key != "server" && key != "tls" && key != "store" && key != "keys" &&
        key != "audit" && key != "accounts" && key != "records" && key != "defense" &&
        key != "compliance" && key != "backup" && key != "log") {
      return ConfigError(key, "unknown section");
    }
  }

  ASSIGN_OR_RETURN(auto server, SubTable(root, "server"));
  RETURN_IF_ERROR(ReadServer(server, cfg.server));
  ASSIGN_OR_RETURN(auto tls, SubTable(root, "tls"));
  RETURN_IF_ERROR(ReadTls(tls, base, cfg.tls));
  ASSIGN_OR_RETURN(auto store, SubTable(root, "store"));
  RETURN_IF_ERROR(ReadStore(store, base, cfg.store));
  ASSIGN_OR_RETURN(auto keys, SubTable(root, "keys"));
  RETURN_IF_ERROR(ReadKeys(keys, base, cfg.keys));
  ASSIGN_OR_RETURN(auto audit, SubTable(root, "audit"));
  RETURN_IF_ERROR(ReadAudit(audit, base, cfg.audit));
  ASSIGN_OR_RETURN(auto accounts, SubTable(root, "accounts"));
  RETURN_IF_ERROR(ReadAccounts(accounts, base, cfg.accounts));
  ASSIGN_OR_RETURN(auto records, SubTable(root, "records"));
  RETURN_IF_ERROR(ReadRecords(records, cfg.records));
  ASSIGN_OR_RETURN(auto defense, SubTable(root, "defense"));
  RETURN_IF_ERROR(ReadDefense(defense, base, cfg.defense));
  ASSIGN_OR_RETURN(auto compliance, SubTable(root, "compliance"));
  RETURN_IF_ERROR(ReadCompliance(compliance, cfg.environment, cfg.compliance));
  ASSIGN_OR_RETURN(auto backup, SubTable(root, "backup"));
  RETURN_IF_ERROR(ReadBackup(backup, base, cfg.backup));
  ASSIGN_OR_RETURN(auto log, SubTable(root, "log"));
  RETURN_IF_ERROR(ReadLog(log, base, cfg.log));
  for (const auto& [name, certificate, listen] :
       {std::tuple{"admin", &cfg.tls.admin_certificate, &cfg.server.admin_listen},
        {"metrics", &cfg.tls.metrics_certificate, &cfg.server.metrics_listen}}) {
    if (!certificate->empty() && listen->empty()) {
      return ConfigError(fmt::format("tls.{}_certificate", name),
                         fmt::format("needs server.{}_listen: a listener shared with the public "
                                     "surface has the public certificate",
                                     name));
    }
  }
  if (cfg.environment == Environment::kProduction && !cfg.defense.enabled) {
    return ConfigError("defense.enabled",
                       "must stay true in production: attacks are detected at all times");
  }
  if (cfg.environment == Environment::kProduction && !cfg.server.syscall_filter) {
    return ConfigError("server.syscall_filter",
                       "must stay true in production: the server runs under its system-call "
                       "allow-list");
  }
  return cfg;
}

Result<void> CheckReadyToServe(const Config& cfg) {
  if (cfg.environment == Environment::kProduction && cfg.audit.collector.empty() &&
      !cfg.audit.local_only) {
    return ConfigError("audit.collector",
                       "is required in production: the audit log must be stored remotely (set "
                       "audit.local_only = true only to accept the risk in writing)");
  }
  return {};
}

Result<Config> LoadConfig(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(auto text, ReadSmallFile(path, 1024 * 1024));
  return ParseConfig(text, std::filesystem::absolute(path));
}

std::filesystem::path NodeDir(const Config& config) {
  const auto& anchor = config.store.backend == "sqlite" ? config.store.path : config.path;
  return anchor.empty() ? std::filesystem::path() : anchor.parent_path();
}

std::filesystem::path InstanceLockPath(const Config& config) {
  if (config.store.backend != "sqlite") return NodeDir(config) / "node.lock";
  auto lock = config.store.path;
  lock += ".lock";
  return lock;
}

std::filesystem::path PrefilterCachePath(const Config& config) {
  if (!config.defense.prefilter_cache.empty()) return config.defense.prefilter_cache;
  const auto dir = NodeDir(config);
  return dir.empty() ? dir : dir / "prefilter.cache";
}

std::filesystem::path AuditJournalPath(const Config& config) {
  if (!config.audit.journal.empty()) return config.audit.journal;
  return NodeDir(config) / "audit";
}

std::string AuditNodeName(const Config& config) {
  if (!config.audit.node.empty()) return config.audit.node;
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "strongroom";
  return name;
}

}  // namespace strongroom
