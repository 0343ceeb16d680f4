#pragma once
// The instance configuration, read from one TOML file (`strongroom.toml`).
//
// Guarantee: `LoadConfig` either returns a configuration in which every value is inside its
// documented range, or one error naming the offending key and what is allowed. Unknown keys,
// wrong types and out-of-range values are all refused: a typo never silently falls back to a
// default. Every setting, its default and its range is documented in docs/configuration.md;
// keep the two in step.
//
// Relative paths in the file are resolved against the directory that holds the file.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/cidr.h"
#include "common/environment.h"
#include "common/error.h"

namespace strongroom {

// 127.0.0.0/8 and ::1: the default allow-list of the admin and metrics surfaces.
CidrList LoopbackOnly();

// What clients may hold and send: the limits the HTTP server enforces (http/server.h), as
// configured.
struct ClientLimits {
  int max_connections = 10000;
  int max_connections_per_source = 100;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds header_timeout{8'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds keepalive_timeout{60'000};
  std::chrono::milliseconds shutdown_grace{10'000};
  int max_header_bytes = 16 * 1024;
  int max_body_bytes = 1024 * 1024;
  int requests_per_second_per_source = 100;  // 0 = no limit
  int request_burst_per_source = 200;
};

struct ServerConfig {
  std::string listen = "127.0.0.1:8443";  // host:port of the public HTTPS listener
  // The admin and metrics listeners (common/surface.h), host:port each; "" = that surface is
  // served on `listen` too (one listener for everything: development only, production warns).
  // Either way a surface answers only sources in its allow-list.
  std::string admin_listen;
  std::string admin_origin;  // https origin of the admin listener; "" = from `admin_listen`
  CidrList admin_allow = LoopbackOnly();
  std::string metrics_listen;
  CidrList metrics_allow = LoopbackOnly();
  CidrList proxy_from;          // load balancers that send a PROXY protocol header; empty = none
  std::string redirect_listen;  // host:port of the plain-HTTP 308 listener; "" = off
  std::string public_origin;    // https origin used in redirects; "" = from `listen`
  int io_threads = 0;           // 0 = one per core
  int worker_threads = 0;       // 0 = two per core
  int worker_queue = 1024;
  int anonymous_workers = 0;  // workers that may run anonymous requests at once; 0 = half the cores
  std::chrono::milliseconds anonymous_queue_target{250};  // CoDel, for their queue
  std::chrono::milliseconds anonymous_queue_interval{1000};
  ClientLimits limits;
  int max_json_depth = 64;
  bool syscall_filter = true;  // the seccomp allow-list once started (app/sandbox.h)
};

struct TlsConfig {
  std::filesystem::path certificate;  // PEM chain
  std::filesystem::path private_key;  // PEM, 0600
  std::string min_version = "1.2";    // "1.2" or "1.3"
  // The admin and metrics listeners' own certificates (e.g. from an internal CA); "" = the one
  // above. Each certificate goes with its key.
  std::filesystem::path admin_certificate;
  std::filesystem::path admin_private_key;
  std::filesystem::path metrics_certificate;
  std::filesystem::path metrics_private_key;
};

struct StoreConfig {
  std::string backend = "sqlite";  // or "postgresql"
  std::filesystem::path path;      // SQLite database file
  std::string conninfo;            // PostgreSQL's libpq connection string
  int reader_connections = 0;      // 0 = one per I/O thread and worker
  int max_batch = 512;             // transactions committed together by the writer
  // Several nodes may serve from this database: what each node keeps is shared through it.
  bool shared() const { return backend == "postgresql"; }
};

struct KeysConfig {
  // The key itself (provider "file"), or which key in the token it is (provider "pkcs11").
  std::filesystem::path master_key_file;
  // Where the master key is kept: "file" or "pkcs11" (a PKCS#11 token: an HSM). `keys rotate`
  // moves it there from wherever it is now.
  std::string provider = "file";
  // The token (needed while the master key, or the key being rotated from, is in one).
  std::filesystem::path pkcs11_module;    // the vendor's PKCS#11 library
  std::string pkcs11_token;               // the token's label
  std::filesystem::path pkcs11_pin_file;  // "": $CREDENTIALS_DIRECTORY/strongroom-hsm-pin
};

struct AuditConfig {
  std::filesystem::path signing_key_file;  // Ed25519 checkpoint key, apart from the master key
  int retention_days = 365;                // 183..730: at least six months, at most two years
  int checkpoint_every = 1000;             // events between signed checkpoints
  std::chrono::milliseconds checkpoint_interval{10'000};  // and at least this often
  // The remote collector (rsyslog imrelp over TLS). "" = none.
  std::string collector;                     // host:port
  std::string collector_name;                // name on the collector's certificate; "" = host
  std::filesystem::path collector_ca;        // CA that signed the collector's certificate
  std::filesystem::path client_certificate;  // this instance's certificate for mutual TLS
  std::filesystem::path client_key;
  // Production refuses to start without a collector unless this says the risk is accepted.
  bool local_only = false;
  // The journal's directory; "" = audit/ beside the store's database.
  std::filesystem::path journal;
  // This node's name in every event it writes; "" = the machine's host name.
  std::string node;
  int segment_kib = 64 * 1024;  // a journal segment is sealed past this size (64 KiB to 1 GiB)
};

struct AccountsConfig {
  // Common passwords to refuse, one a line; "" = the small built-in list only.
  std::filesystem::path common_passwords_file = "/usr/share/john/password.lst";
  // When a supplier organisation's certificate lapses: "suspend" it (its people cannot sign in)
  // or only "warn" (an audit event every hour).
  std::string certificate_lapse = "suspend";
  // The WebAuthn RP ID security keys are registered for: the host name people reach the service
  // by, or a domain above it ("" = each listener's own host). Keys are bound to it for good.
  std::string webauthn_rp_id;
};

struct RecordsConfig {
  // The descriptor vocabulary: upper-case names of 1 to 32 characters [A-Z0-9_-].
  std::vector<std::string> descriptors = {"PERSONAL", "COMMERCIAL", "LOCSEN"};
  // Default retention of a new record, by classification, in days (1..36500).
  int retention_days_official = 2555;
  int retention_days_sensitive = 2555;
  // How often the purge job crypto-shreds records past retention (1..1440 minutes).
  int purge_interval_minutes = 60;
  // Records one account may list in 24 hours before an approved export is needed (10..100000).
  int export_threshold = 500;
};

// Attack detection (defense/): the OWASP CRS on every request, and what a detection does.
struct DefenseConfig {
  bool enabled = true;         // production refuses false: detection is in place at all times
  std::string mode = "block";  // "block": refuse attacks, block attacking sources; "detect": report
  int paranoia_level = 1;      // CRS paranoia level, 1..4
  int inbound_threshold = 5;   // CRS inbound anomaly score at which a request is refused, 1..100
  std::filesystem::path crs_rules = "/usr/share/modsecurity-crs/rules";
  int block_score = 20;                       // a source's score that blocks it, 1..10000
  std::chrono::seconds score_half_life{600};  // how fast a source's score fades, 10..86400 s
  std::chrono::seconds block_for{900};        // how long a block lasts, 10..604800 s
  CidrList allow;                             // sources never refused or blocked (still reported)
  int queue = 512;                            // requests waiting for inspection, 1..100000
  // "on": requests no rule can match skip the full inspection (defense/prefilter.h); "off": every
  // request is inspected in full; "verify": both, and a request the prefilter would have let
  // through that the rules match is logged as an error (for tests).
  std::string prefilter = "on";
  // Where the prefilter's compiled patterns are kept between starts; "" = prefilter.cache beside
  // the store's database.
  std::filesystem::path prefilter_cache;
};

// IT Health Checks (compliance/): whether the go-live gate holds the service back, and which
// findings stop a check being signed off.
struct ComplianceConfig {
  // "enforce": without a passed IT Health Check that covers this deployment and is under 12
  // calendar months old, /readyz answers 503 (the service is not live) and alerts are raised;
  // "warn": alerts only; "off" (never in production): neither. "" in the file's absence: enforce
  // in production, off elsewhere.
  std::string gate;
  // A check is signed off as passed only when no finding at or above this severity is open
  // ("critical", "high", "medium", "low" or "info").
  std::string blocking_severity = "low";
};

// Backups (`strongroom backup`, docs/operations.md): the key they are encrypted under, and how long
// one may be restored. A record purged after a backup was taken survives in that backup until it
// expires; the purge runs again at restore.
struct BackupConfig {
  std::filesystem::path key_file;  // "" in the file: keys/backup.key beside the configuration
  int retention_days = 35;         // 1..365: a backup older than this is refused by restore
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error
  std::filesystem::path file;  // "" = standard error
  bool access_log = true;
};

struct Config {
  std::filesystem::path path;  // the file this was read from
  Environment environment = Environment::kProduction;
  ServerConfig server;
  TlsConfig tls;
  StoreConfig store;
  KeysConfig keys;
  AuditConfig audit;
  AccountsConfig accounts;
  RecordsConfig records;
  DefenseConfig defense;
  ComplianceConfig compliance;
  BackupConfig backup;
  LogConfig log;
};

// Reads and validates the file. Errors are kInvalidArgument (bad content) or kNotFound (no file).
Result<Config> LoadConfig(const std::filesystem::path& path);

// What `serve` needs beyond a well-formed file: in production, a remote audit collector (or the
// written acceptance of keeping the audit log local only).
Result<void> CheckReadyToServe(const Config& config);

// Parses TOML text as if it had been read from `path` (used by LoadConfig and tests).
Result<Config> ParseConfig(std::string_view toml_text, const std::filesystem::path& path);

// Splits "host:port" or "[v6]:port"; port 0 is allowed (the OS picks one).
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
Result<HostPort> ParseHostPort(std::string_view text);

// The directory of what this node keeps for itself (its lock, and by default its audit journal
// and prefilter cache): the SQLite database's, or, on PostgreSQL, the configuration file's.
std::filesystem::path NodeDir(const Config& config);
// The lock a node holds while it serves or a command changes it: beside the SQLite database
// (its name and ".lock"), or node.lock in NodeDir on PostgreSQL.
std::filesystem::path InstanceLockPath(const Config& config);

// Where the attack detection prefilter keeps its compiled patterns (defense.prefilter_cache, or
// prefilter.cache in NodeDir); "" when neither names a place.
std::filesystem::path PrefilterCachePath(const Config& config);

// The audit journal's directory (audit.journal, or audit/ in NodeDir).
std::filesystem::path AuditJournalPath(const Config& config);
// The name this node writes in its audit events (audit.node, or the host name).
std::string AuditNodeName(const Config& config);

}  // namespace strongroom
