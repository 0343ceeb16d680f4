#include "app/serve.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "api/admin.h"
#include "api/audit_events.h"
#include "api/auth.h"
#include "api/compliance.h"
#include "api/exports.h"
#include "api/health.h"
#include "api/metrics.h"
#include "api/records.h"
#include "api/retention.h"
#include "api/route.h"
#include "api/scim.h"
#include "app/maintenance.h"
#include "app/sandbox.h"
#include "app/test_routes.h"
#include "audit/audit_log.h"
#include "audit/shipper.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/config.h"
#include "common/instance_lock.h"
#include "common/privileges.h"
#include "compliance/fingerprint.h"
#include "compliance/gate.h"
#include "compliance/ithc_register.h"
#include "compliance/report.h"
#include "crypto/password.h"
#include "crypto/signing.h"
#include "defense/audit_tail.h"
#include "defense/detector.h"
#include "http/metrics.h"
#include "http/server.h"
#include "http/tls_context.h"
#include "identity/auth.h"
#include "records/purge.h"
#include "store/key_store.h"
#include "store/meta.h"
#include "store/migrations.h"
#include "store/open_store.h"
#include "web/pages.h"

namespace strongroom::app {
namespace {

// Secrets live in this process's memory: no core dumps, no ptrace by other users.
void HardenProcess() {
  struct rlimit none {
    0, 0
  };
  ::setrlimit(RLIMIT_CORE, &none);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Nothing this process runs can gain privileges (setuid binaries, file capabilities).
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  ::signal(SIGPIPE, SIG_IGN);  // a peer that vanishes mid-write is an error code, not an exit
  // A file size limit reached is an error code (the audit log fails closed and recovers), not
  // the end of the process.
  ::signal(SIGXFSZ, SIG_IGN);
}

void SetUpLogging(const LogConfig& log) {
  std::shared_ptr<spdlog::logger> logger;
  if (log.file.empty()) {
    logger = spdlog::stderr_logger_mt("strongroom");
  } else {
    logger = spdlog::basic_logger_mt("strongroom", log.file.string());
  }
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(log.level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
}

int Cores() { return std::max(1, static_cast<int>(std::thread::hardware_concurrency())); }

// The listeners by purpose: the public one serves the admin and metrics surfaces as well unless
// they have their own.
std::vector<http::Listener> ListenersFrom(const ServerConfig& s) {
  const auto listener = [](Surface surfaces, const std::string& address, std::string origin) {
    const auto hp = *ParseHostPort(address);  // validated by LoadConfig
    return http::Listener{surfaces, hp.host, hp.port, std::move(origin)};
  };
  Surface shared = Surface::kPublic;
  if (s.admin_listen.empty()) shared = shared | Surface::kAdmin;
  if (s.metrics_listen.empty()) shared = shared | Surface::kMetrics;
  std::vector<http::Listener> out = {listener(shared, s.listen, s.public_origin)};
  if (!s.admin_listen.empty()) {
    out.push_back(listener(Surface::kAdmin, s.admin_listen, s.admin_origin));
  }
  if (!s.metrics_listen.empty()) out.push_back(listener(Surface::kMetrics, s.metrics_listen, ""));
  return out;
}

http::ServerOptions ServerOptionsFrom(const ServerConfig& s) {
  http::ServerOptions o;
  o.listeners = ListenersFrom(s);
  o.admin_allow = s.admin_allow;
  o.metrics_allow = s.metrics_allow;
  o.proxy_from = s.proxy_from;
  if (!s.redirect_listen.empty()) {
    auto r = *ParseHostPort(s.redirect_listen);
    o.redirect_enabled = true;
    o.redirect_host = r.host;
    o.redirect_port = r.port;
  }
  o.io_threads = s.io_threads > 0 ? s.io_threads : Cores();
  o.worker_threads = s.worker_threads > 0 ? s.worker_threads : 2 * Cores();
  o.worker_queue = s.worker_queue;
  o.anonymous_workers = s.anonymous_workers > 0 ? s.anonymous_workers : std::max(1, Cores() / 2);
  o.anonymous_target = s.anonymous_queue_target;
  o.anonymous_interval = s.anonymous_queue_interval;
  o.limits = s.limits;
  return o;
}

audit::Event SystemEvent(std::string action) {
  return audit::SystemEvent(std::move(action), {"service", "", ""}, "service lifecycle");
}

audit::ShipperOptions ShipperOptionsFrom(const AuditConfig& a) {
  audit::ShipperOptions o;
  auto hp = *ParseHostPort(a.collector);  // validated by LoadConfig
  o.collector.host = hp.host;
  o.collector.port = hp.port;
  o.collector.server_name = a.collector_name;
  o.collector.ca_file = a.collector_ca;
  o.collector.cert_file = a.client_certificate;
  o.collector.key_file = a.client_key;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') o.hostname = host;
  return o;
}

int Fatal(const Error& e) {
  cli::PrintError(e.message);
  spdlog::error("start-up failed: {}", e.message);
  return cli::ExitCodeFor(e);
}

Result<identity::CommonPasswords> LoadCommonPasswords(const Config& config) {
  if (config.accounts.common_passwords_file.empty()) return identity::CommonPasswords();
  auto loaded = identity::CommonPasswords::Load(config.accounts.common_passwords_file);
  if (!loaded) {
    return Fail(ErrorCode::kFailedPrecondition,
                "configuration key 'accounts.common_passwords_file': " + loaded.error().message +
                    " (install john-data, or set it to \"\")");
  }
  return std::move(*loaded);
}

// Test builds on non-production instances run on a clock that tests can move forward
// (`*test_clock` is set then); everything else on the system clock.
std::unique_ptr<Clock> MakeClock(const Config& config, OffsetClock** test_clock) {
  *test_clock = nullptr;
#ifdef STRONGROOM_TESTING
  if (config.environment != Environment::kProduction) {
    auto c = std::make_unique<OffsetClock>();
    *test_clock = c.get();
    return c;
  }
#else
  (void)config;
#endif
  return std::make_unique<SystemClock>();
}

// What an instance opens before it serves: its files, checked.
struct Opened {
  std::unique_ptr<store::Store> store;
  crypto::MasterKeyHandle master;
  std::unique_ptr<boost::asio::ssl::context> tls;
  std::unique_ptr<boost::asio::ssl::context> admin_tls;    // null: the admin listener uses `tls`
  std::unique_ptr<boost::asio::ssl::context> metrics_tls;  // null: so does the metrics one
  crypto::SigningKey audit_key;
  identity::CommonPasswords common_passwords;
};

// A listener's own TLS context, or null when it has no certificate of its own.
Result<std::unique_ptr<boost::asio::ssl::context>> OwnTls(const std::filesystem::path& certificate,
                                                          const std::filesystem::path& key,
                                                          const std::string& min_version) {
  if (certificate.empty()) return nullptr;
  return http::MakeServerTlsContext({certificate, key, min_version});
}

// Each listener with a certificate of its own gets its context.
void UseOwnCertificates(http::ServerOptions& options, const Opened& opened) {
  for (auto& l : options.listeners) {
    if (l.surfaces == Surface::kAdmin) l.tls = opened.admin_tls.get();
    if (l.surfaces == Surface::kMetrics) l.tls = opened.metrics_tls.get();
  }
}

Result<Opened> Open(const Config& config, const http::ServerOptions& server_options) {
  // By default one reader per thread that reads (I/O threads serve GET record themselves), so no
  // thread ever waits for a reader to be handed back.
  const int readers = config.store.reader_connections > 0
                          ? config.store.reader_connections
                          : server_options.io_threads + server_options.worker_threads +
                                http::AnonymousThreads(server_options);
  ASSIGN_OR_RETURN(auto db, store::OpenStore(config.store, readers, config.store.max_batch,
                                             store::Opener::kNode, AuditNodeName(config)));
  RETURN_IF_ERROR(store::Migrate(*db));
  RETURN_IF_ERROR(store::CheckEnvironment(*db, config.environment));
  ASSIGN_OR_RETURN(auto master, store::OpenMasterKey(*db, config.keys, config.environment));
  ASSIGN_OR_RETURN(auto tls,
                   http::MakeServerTlsContext(
                       {config.tls.certificate, config.tls.private_key, config.tls.min_version}));
  ASSIGN_OR_RETURN(auto admin_tls, OwnTls(config.tls.admin_certificate,
                                          config.tls.admin_private_key, config.tls.min_version));
  ASSIGN_OR_RETURN(auto metrics_tls,
                   OwnTls(config.tls.metrics_certificate, config.tls.metrics_private_key,
                          config.tls.min_version));
  ASSIGN_OR_RETURN(auto audit_key,
                   crypto::ReadSigningKeyFile(config.audit.signing_key_file, config.environment));
  RETURN_IF_ERROR(CheckReadyToServe(config));
  ASSIGN_OR_RETURN(auto common, LoadCommonPasswords(config));
  return Opened{std::move(db),        std::move(master),      std::move(tls),
                std::move(admin_tls), std::move(metrics_tls), std::move(audit_key),
                std::move(common)};
}

records::RecordsOptions RecordsOptionsFrom(const RecordsConfig& config) {
  auto options = records::OptionsFrom(config);
  options.approved_export_since = exports::ApprovedExportSince;
  return options;
}

// The domain services of a running instance, over one store, audit log and clock.
struct Services {
  Services(store::Store& store, audit::AuditLog& audit, const crypto::MasterKeyHandle& master,
           const Config& config, const Clock& clock, const identity::CommonPasswords& common)
      : keys(master, config.environment, crypto::DefaultRandom(), clock),
        auth(store, audit, keys, clock, crypto::DefaultRandom(), common,
             {.webauthn_rp_id = config.accounts.webauthn_rp_id}),
        records(store, audit, keys, clock, crypto::DefaultRandom(),
                RecordsOptionsFrom(config.records)),
        lifecycle(store, audit, keys, clock, crypto::DefaultRandom(), auth.sessions,
                  {config.records.descriptors}),
        retention(store, audit, clock, crypto::DefaultRandom()),
        exports(store, audit, keys, records, clock, crypto::DefaultRandom()),
        purge(store, audit, clock),
        deployment(compliance::CurrentFingerprint(config)),
        ithc(store, audit, auth.sessions, clock, crypto::DefaultRandom(),
             {deployment, *compliance::ParseSeverity(config.compliance.blocking_severity)}),
        gate(store, audit, clock, *compliance::ParseGateMode(config.compliance.gate), deployment),
        reporter(store, audit, clock, config, deployment, compliance::ReadFileFacts(config),
                 auth.options().idle_timeout) {
    ithc.OnSignOff([this] {
      if (auto r = gate.Refresh(); !r) spdlog::error("go-live gate: {}", r.error().message);
    });
  }

  store::KeyStore keys;
  identity::Auth auth;
  records::RecordService records;
  lifecycle::Lifecycle lifecycle;
  retention::RetentionService retention;
  exports::ExportService exports;
  records::Purge purge;
  const compliance::Fingerprint deployment;  // this build, configuration and machine
  compliance::IthcRegister ithc;
  compliance::Gate gate;
  compliance::Reporter reporter;
};

// The background jobs, on their timers, and (test builds) on demand under /__test/jobs.
void ScheduleJobs(Maintenance& maintenance, http::Router& router, Services& s,
                  const Config& config) {
  std::function<Result<int>()> purge = [&s, &maintenance]() -> Result<int> {
    ASSIGN_OR_RETURN(auto expired, s.exports.ExpireDue());
    if (expired > 0) spdlog::info("purge: {} exports expired", expired);
    ASSIGN_OR_RETURN(auto report, s.purge.Run(false, records::Purge::Pace::kBesideService,
                                              [&maintenance] { return maintenance.Stopping(); }));
    spdlog::info(
        "purge: {} records crypto-shredded, {} held by orders{}", report.records, report.held,
        report.stopped ? "; stopped early as the service stops, the rest at its next run" : "");
    return static_cast<int>(report.records);
  };
  const bool warn_only = config.accounts.certificate_lapse == "warn";
  std::function<Result<int>()> certificates = [&s, warn_only]() -> Result<int> {
    ASSIGN_OR_RETURN(auto lapsed, s.lifecycle.organisations.CheckCertificates(warn_only));
    if (lapsed > 0) {
      spdlog::warn("{} organisation(s) have a lapsed supplier certificate{}", lapsed,
                   warn_only ? "" : ": suspended");
    }
    return lapsed;
  };
  std::function<Result<int>()> expiry = [&s]() -> Result<int> {
    ASSIGN_OR_RETURN(auto expired, s.lifecycle.accounts.ExpireDue());
    if (expired > 0) spdlog::info("account expiry: {} accounts expired", expired);
    return expired;
  };
  std::function<Result<int>()> ithc = [&s]() -> Result<int> {
    ASSIGN_OR_RETURN(auto alerted, s.gate.Round());
    return alerted ? 1 : 0;
  };
  auto here = [](std::function<Result<int>()> job) -> JobFn {
    return [job = std::move(job)]() -> Result<JobRun> {
      ASSIGN_OR_RETURN(int count, job());
      return JobRun{count, ""};
    };
  };
  // The purge, expiry and the certificates' check change what every node serves: one node does
  // each for them all. The go-live gate judges this node's own deployment (compliance/gate.h),
  // and the session activity is this node's to write.
  const std::chrono::minutes purge_every(config.records.purge_interval_minutes);
  const std::chrono::hours certificates_every(1);
  const std::chrono::minutes expiry_every(1);
  std::map<std::string, JobFn> jobs = {
      {"purge", maintenance.Leased("purge", purge_every, purge)},
      {"certificates",
       maintenance.Leased("supplier certificates", certificates_every, certificates)},
      {"expire-accounts", maintenance.Leased("account expiry", expiry_every, expiry)},
      {"ithc", here(ithc)}};
  maintenance.Every(purge_every, "purge", jobs["purge"]);
  maintenance.Every(certificates_every, "supplier certificates", jobs["certificates"]);
  maintenance.Every(expiry_every, "account expiry", jobs["expire-accounts"]);
  maintenance.Every(std::chrono::hours(1), "IT Health Check gate", jobs["ithc"]);
  maintenance.Every(identity::Sessions::kFlushEvery, "session activity", [&s]() -> Result<JobRun> {
    RETURN_IF_ERROR(s.auth.sessions.Flush());
    return JobRun{};
  });
  RegisterTestJobs(router, config, std::move(jobs));
}

// What the HTTP layer reports: the access log if configured, and every request it refuses
// before any handler (malformed, ambiguously framed, oversize), audited as an attempt. The answer
// does not wait for that event: nothing was read or changed.
http::ServerHooks HooksFor(const Config& config, audit::AuditLog& audit, http::Metrics& metrics,
                           http::Inspector* inspector, const web::Templates& templates) {
  http::ServerHooks hooks;
  hooks.inspector = inspector;
  // A browser refused before any page is reached gets a page, as the pages' own errors are.
  hooks.refusal_page = [&templates](const http::Request& r,
                                    const Error& e) -> std::optional<http::Response> {
    if (!web::IsPagePath(r.path)) return std::nullopt;
    return web::ErrorPage(templates, e);
  };
  hooks.failed = [](std::string_view request_id, const Error& e) {
    spdlog::error("request {} failed: {}", request_id, e.message);
  };
  hooks.access_log = [&metrics, log = config.log.access_log](const http::AccessRecord& r) {
    metrics.Observe(r);
    if (!log) return;
    spdlog::info("request method={} route={} status={} duration_us={} request_id={}", r.method,
                 r.route, r.status, r.duration.count(), r.request_id);
  };
  hooks.refused = [&audit, &metrics](const http::Refusal& r) {
    metrics.Refused(r);
    if (!r.audit) return;
    audit::Event e;
    e.actor = {"", "", "anonymous", ""};
    e.source = std::string(r.source);
    e.action = r.kind == http::Refusal::Kind::kProbe ? "security.probe" : "http.refused";
    e.target = {"request", "", ""};
    e.allowed = false;
    e.reason = std::string(r.reason);
    e.outcome = std::string(ErrorCodeName(r.code));
    e.detail["status"] = std::to_string(r.status);
    e.request_id = std::string(r.request_id);
    audit.RecordAsync(std::move(e), [](Result<int64_t>) {});
  };
  return hooks;
}

// An event about an attack or an attacker: from the source, refused or not.
audit::Event SecurityEvent(std::string action, std::string_view source, bool allowed,
                           std::string reason, std::string outcome) {
  audit::Event e;
  e.actor = {"", "", "anonymous", ""};
  e.source = std::string(source);
  e.action = std::move(action);
  e.target = {"source", std::string(source), ""};
  e.allowed = allowed;
  e.reason = std::move(reason);
  e.outcome = std::move(outcome);
  return e;
}

// The items, each once, in order, comma-separated.
std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  std::set<std::string_view> seen;
  for (const auto& i : items) {
    if (!seen.insert(i).second) continue;
    out += (out.empty() ? "" : ",") + i;
  }
  return out;
}

// Each finding, block and release, audited (the shipper sends security.* at alert severity). The
// answer to the request does not wait for the event.
defense::DetectorHooks DetectorHooksFor(audit::AuditLog& audit, const DefenseConfig& config) {
  defense::DetectorHooks hooks;
  hooks.detected = [&audit, threshold = config.inbound_threshold,
                    mode = config.mode](const defense::Detection& d) {
    std::vector<std::string> rules;
    std::vector<std::string> variables;
    std::vector<std::string> messages;
    for (const auto& m : d.finding.matches) {
      rules.push_back(std::to_string(m.rule_id));
      for (const auto& v : m.variables) variables.push_back(v);
      messages.push_back(m.message);
    }
    spdlog::warn("attack detected from {}: score {}, rules {}, in {} ({}; request id {})", d.source,
                 d.finding.score, Joined(rules), Joined(variables),
                 d.refused ? "refused" : "let through", d.request_id);
    auto e = SecurityEvent("security.attack", d.source, !d.refused,
                           fmt::format("OWASP CRS anomaly score {} (threshold {}) in a {}",
                                       d.finding.score, threshold, defense::ContextName(d.context)),
                           d.refused ? "permission_denied" : "ok");
    e.request_id = d.request_id;
    e.detail = {{"score", std::to_string(d.finding.score)},
                {"rules", Joined(rules)},
                {"variables", Joined(variables)},
                {"messages", Joined(messages).substr(0, 1000)},
                {"context", std::string(defense::ContextName(d.context))},
                {"mode", mode},
                {"method", d.method},
                {"path", d.path},
                {"source_score", fmt::format("{:.1f}", d.source_score)}};
    audit.RecordAsync(std::move(e), [](Result<int64_t>) {});
  };
  hooks.blocked = [&audit](std::string_view source, double score, TimePoint until) {
    spdlog::critical("blocking {} until {}: attacks detected (score {:.1f})", source,
                     FormatRfc3339(until), score);
    auto e = SecurityEvent("security.block", source, false,
                           "attacks detected from this source reached the block score", "ok");
    e.detail = {{"score", fmt::format("{:.1f}", score)}, {"until", FormatRfc3339(until)}};
    audit.RecordAsync(std::move(e), [](Result<int64_t>) {});
  };
  hooks.scanning = [&audit](std::string_view source, int distinct, double score) {
    spdlog::warn(
        "scanning detected from {}: {} different paths that nothing serves within a minute", source,
        distinct);
    auto e = SecurityEvent(
        "security.scan", source, true,
        fmt::format("{} different paths that nothing serves within a minute", distinct), "ok");
    e.detail = {{"source_score", fmt::format("{:.1f}", score)}};
    audit.RecordAsync(std::move(e), [](Result<int64_t>) {});
  };
  hooks.behaved = [&audit](const defense::Pattern& p, double score) {
    // (Not the subject: a username from a failed sign-in may be a mistyped password.)
    spdlog::warn("suspicious behaviour detected from {}: {} ({})", p.source,
                 defense::ActionOf(p.kind), p.count);
    auto e = SecurityEvent(std::string(defense::ActionOf(p.kind)), p.source, true,
                           "a pattern of behaviour in the audit log", "ok");
    e.detail = {{"count", std::to_string(p.count)},
                {"subject", p.subject},
                {"weight", std::to_string(p.weight)},
                {"source_score", fmt::format("{:.1f}", score)}};
    audit.RecordAsync(std::move(e), [](Result<int64_t>) {});
  };
  hooks.prefilter_missed = [](const http::Request& request, const defense::Finding& finding) {
    std::vector<std::string> rules;
    for (const auto& m : finding.matches) rules.push_back(std::to_string(m.rule_id));
    spdlog::error("the prefilter missed a request the rules match: rules {} (request id {})",
                  Joined(rules), request.request_id);
  };
  hooks.released = [&audit](std::string_view source) {
    spdlog::warn("block on {} ended", source);
    audit.RecordAsync(
        SecurityEvent("security.unblock", source, true, "the block's time is up", "ok"),
        [](Result<int64_t>) {});
  };
  return hooks;
}

// The detector, started; or why there is none (failing closed: without its rules the service
// does not start).
Result<std::unique_ptr<defense::Detector>> StartDetector(const Config& config,
                                                         audit::AuditLog& audit,
                                                         store::Store& store, const Clock& clock) {
  const auto& d = config.defense;
  if (!d.enabled) {
    spdlog::warn("defense.enabled = false: requests are not inspected for attacks");
    return nullptr;
  }
  auto crs = defense::Crs::Load({d.crs_rules, d.paranoia_level, d.inbound_threshold,
                                 d.prefilter != "off", PrefilterCachePath(config)});
  if (!crs) {
    return Fail(crs.error().code, "attack detection cannot start: " + crs.error().message);
  }
  if (d.prefilter != "off" && !(*crs)->prefiltered()) {
    spdlog::warn("attack detection: no prefilter, every request is inspected in full: {}",
                 (*crs)->prefilter_error());
  } else if ((*crs)->prefiltered()) {
    const auto& c = (*crs)->prefilter()->coverage();
    spdlog::info(
        "attack detection prefilter: {} rules can fire ({} screened by pattern, {} by exact "
        "evaluation, {} by the rules they follow; {}){}",
        c.live, c.patterns, c.exact, c.derived, c.cached ? "read from its cache" : "compiled",
        d.prefilter == "verify" ? "; verifying: every request is also inspected in full" : "");
  }
  defense::SourcePolicy policy{static_cast<double>(d.block_score), d.score_half_life, d.block_for,
                               d.allow};
  defense::DetectorOptions options;
  options.block = d.mode == "block";
  options.queue = static_cast<size_t>(d.queue);
  options.prefilter = (*crs)->prefiltered();
  options.verify_prefilter = d.prefilter == "verify";
  auto detector = std::make_unique<defense::Detector>(std::move(*crs), std::move(policy), clock,
                                                      options, DetectorHooksFor(audit, d));
  // Several nodes on one database: one score per source for them all (defense/shared_sources.h).
  if (config.store.shared()) {
    if (auto r = detector->ShareScores(store, AuditNodeName(config)); !r) {
      return Fail(r.error().code,
                  "attack detection cannot read the nodes' blocks: " + r.error().message);
    }
  }
  try {
    detector->Start();
  } catch (const std::system_error&) {
    return Fail(ErrorCode::kInternal, "attack detection cannot start its thread");
  }
  spdlog::info("attack detection: OWASP CRS, paranoia level {}, threshold {}, {} mode",
               d.paranoia_level, d.inbound_threshold, d.mode);
  return detector;
}

// Every route of the API and every page of the console, into one table.
void AddRoutes(api::RouteTable& routes, Services& s, store::Store& store, audit::AuditLog& audit,
               const Clock& clock, int depth, const web::Templates& templates) {
  api::AddHealthRoutes(
      routes,
      {{"store",
        [&store] { return store.Write([](store::Transaction&) -> Result<void> { return {}; }); }},
       {"audit", [&audit] { return audit.Probe(); }},
       {"ithc", [&s] { return s.gate.Ready(); }, true}});
  api::AddAuthRoutes(routes, s.auth, depth);
  api::AddRecordRoutes(routes, s.records, depth);
  api::AddExportRoutes(routes, s.exports, depth);
  api::AddAuditEventRoutes(routes, audit, clock);
  api::AddAdminRoutes(routes, s.lifecycle, depth);
  api::AddScimRoutes(routes, s.lifecycle, depth);
  api::AddRetentionRoutes(routes, s.retention, depth);
  api::AddComplianceRoutes(routes, s.ithc, s.gate, s.reporter, depth);
  web::AddConsolePages(
      routes, {s.auth, audit, s.records, s.exports, s.lifecycle, s.retention, clock, templates});
}

// Every route template the server can answer, for the metrics to count apart.
std::vector<std::string> RouteTemplates(const api::RouteTable& routes) {
  std::vector<std::string> names = {"/api/v1/openapi.json", "/metrics"};
  for (const auto& r : routes.routes()) names.push_back(r.path);
  return names;
}

// The gauges and counters read when /metrics is scraped.
std::function<void(std::string&)> GaugesOf(const http::Server& server, const store::Store& store,
                                           const identity::Sessions& sessions,
                                           audit::Shipper* shipper,
                                           const defense::Detector* detector) {
  return [&server, &store, &sessions, shipper, detector](std::string& out) {
    struct Value {
      std::string_view name;
      std::string_view type;
      std::string_view help;
      double value;
    };
    const auto stats = store.Stats();
    const auto load = server.load();
    std::vector<Value> values = {
        {"strongroom_store_commits_total", "counter",
         "Durable commits of the store's writer (one fsync each).",
         static_cast<double>(stats.commits)},
        {"strongroom_store_transactions_total", "counter",
         "Write transactions committed (many to a commit).",
         static_cast<double>(stats.transactions)},
        {"strongroom_store_commit_seconds_total", "counter",
         "Time spent making commits durable: over commits, the mean commit latency.",
         static_cast<double>(stats.commit_micros) / 1e6},
        {"strongroom_http_connections", "gauge", "TLS and redirect connections open.",
         static_cast<double>(load.connections)},
        {"strongroom_worker_queue_depth", "gauge", "Requests waiting for a worker thread.",
         static_cast<double>(load.queued)},
        {"strongroom_http_shed_total", "counter",
         "Requests shed by admission control (503), anonymous first.",
         static_cast<double>(load.shed)}};
    if (const auto live = sessions.Live()) {
      values.push_back({"strongroom_sessions", "gauge",
                        "Sessions alive as of their last recorded use.",
                        static_cast<double>(*live)});
    }
    if (shipper != nullptr) {
      const auto backlog = shipper->Backlog();
      values.push_back({"strongroom_audit_backlog", "gauge",
                        "Audit events not yet acknowledged by the remote collector (-1: unknown).",
                        backlog ? static_cast<double>(*backlog) : -1.0});
      values.push_back({"strongroom_audit_ship_failures_total", "counter",
                        "Failed attempts to ship audit events to the collector.",
                        static_cast<double>(shipper->FailedAttempts())});
    }
    if (detector != nullptr) {
      const auto d = detector->stats();
      values.push_back({"strongroom_security_inspected_total", "counter",
                        "Requests run through the attack detection rules.",
                        static_cast<double>(d.inspected)});
      values.push_back({"strongroom_security_screened_total", "counter",
                        "Requests the prefilter let through: no detection rule can match them.",
                        static_cast<double>(d.screened)});
      values.push_back({"strongroom_security_detections_total", "counter",
                        "Requests in which attack detection found something (each audited).",
                        static_cast<double>(d.detections)});
      values.push_back({"strongroom_security_refused_total", "counter",
                        "Requests refused as attacks (403).", static_cast<double>(d.refused)});
      values.push_back({"strongroom_security_blocked_requests_total", "counter",
                        "Requests refused because their source was blocked.",
                        static_cast<double>(d.blocked_requests)});
      values.push_back({"strongroom_security_patterns_total", "counter",
                        "Patterns of behaviour found in the audit log (credential stuffing, "
                        "TOTP guessing, enumeration, ...).",
                        static_cast<double>(d.patterns)});
      values.push_back({"strongroom_security_scans_total", "counter",
                        "Sources reported scanning (many different unknown paths).",
                        static_cast<double>(d.scans)});
      values.push_back({"strongroom_security_blocks_total", "counter",
                        "Sources blocked after attacks.", static_cast<double>(d.blocks)});
      values.push_back({"strongroom_security_blocked_sources", "gauge", "Sources blocked now.",
                        static_cast<double>(d.blocked_sources)});
      values.push_back({"strongroom_security_rationed_total", "counter",
                        "Requests refused (429) because their source used its share of "
                        "inspection time.",
                        static_cast<double>(d.rationed)});
      values.push_back({"strongroom_security_busy_total", "counter",
                        "Requests refused (503) because too many waited for inspection.",
                        static_cast<double>(d.busy)});
    }
    for (const auto& v : values) http::Metrics::AppendValue(out, v.name, v.type, v.help, v.value);
  };
}

std::unique_ptr<audit::Shipper> StartShipper(audit::AuditLog& audit, const Config& config) {
  if (config.audit.collector.empty()) {
    spdlog::warn(
        "no remote audit collector is configured: the audit log is kept on this machine only");
    return nullptr;
  }
  auto shipper = std::make_unique<audit::Shipper>(audit, ShipperOptionsFrom(config.audit));
  shipper->Start();
  return shipper;
}

// Where the deployment stands with its IT Health Checks, said where an operator cannot miss it
// when it is not fit to serve. Fails (closed) only if the register cannot be read.
Result<void> AssessGate(compliance::Gate& gate) {
  ASSIGN_OR_RETURN(auto a, gate.Refresh());
  if (gate.mode() == compliance::GateMode::kOff) return {};
  if (a.Fit()) {
    spdlog::info("IT Health Check: {}", a.reason);
    return {};
  }
  const bool enforce = gate.mode() == compliance::GateMode::kEnforce;
  spdlog::critical("IT Health Check: {}{}", a.reason,
                   enforce ? "; /readyz answers 503 until a passed check covers this deployment"
                           : " (compliance.gate = \"warn\": serving regardless)");
  fmt::print("strongroom: {}: {}\n", enforce ? "NOT LIVE" : "WARNING", a.reason);
  std::fflush(stdout);
  return {};
}

// One line that names every listener: "serving https://H:P (ENV environment); admin
// https://H:P; metrics https://H:P; redirecting http port N to https".
void AnnounceServing(const Config& config, const http::Server& server) {
  const auto& listeners = server.listeners();
  std::string line = fmt::format("serving {} ({} environment)",
                                 http::HttpsUrl(listeners.front().host, listeners.front().port),
                                 EnvironmentName(config.environment));
  for (size_t i = 1; i < listeners.size(); ++i) {
    line += fmt::format("; {} {}", SurfaceName(listeners[i].surfaces),
                        http::HttpsUrl(listeners[i].host, listeners[i].port));
  }
  if (server.redirect_port() != 0) {
    line += fmt::format("; redirecting http port {} to https", server.redirect_port());
  }
  fmt::print("strongroom: {}\n", line);
  std::fflush(stdout);
  spdlog::info("{}", line);
  if (config.environment == Environment::kProduction &&
      Reaches(listeners.front().surfaces, Surface::kAdmin | Surface::kMetrics)) {
    spdlog::warn(
        "the public listener also serves the {} surface: set server.admin_listen and "
        "server.metrics_listen to give each its own address (the allow-lists still apply)",
        SurfaceName(Without(listeners.front().surfaces, Surface::kPublic)));
  }
}

int Serve(const std::filesystem::path& config_path) {
  HardenProcess();
  auto config = LoadConfig(config_path);
  if (!config) return Fatal(config.error());
  // The listeners are bound first, with whatever privilege that takes; then it goes for good, and
  // everything in the instance is opened as its owner (common/privileges.h).
  auto server_options = ServerOptionsFrom(config->server);
  // Sign-ins and enrolments hash on the anonymous workers' share of the cores, however many
  // threads run them.
  crypto::LimitConcurrentHashes(server_options.anonymous_workers);
  if (auto r = http::Prebind(server_options); !r) return Fatal(r.error());
  auto dropped = DropPrivileges(*config);
  if (!dropped) return Fatal(dropped.error());
  SetUpLogging(config->log);
  if (dropped->warning) {
    spdlog::warn("{}", dropped->note);
  } else if (!dropped->note.empty()) {
    spdlog::info("{}", dropped->note);
  }
  auto lock = InstanceLock::Acquire(InstanceLockPath(*config));
  if (!lock) return Fatal(lock.error());
  auto opened = Open(*config, server_options);
  if (!opened) return Fatal(opened.error());
  UseOwnCertificates(server_options, *opened);
  if (const auto n = Secret::LockFailures(); n > 0) {
    spdlog::warn("{} key(s) could not be locked in memory (RLIMIT_MEMLOCK): they may be swapped",
                 n);
  }
  store::Store& store = *opened->store;
  OffsetClock* test_clock = nullptr;
  const auto clock_owner = MakeClock(*config, &test_clock);
  const Clock& clock = *clock_owner;
  auto audit_log = audit::AuditLog::Open(store, clock, opened->audit_key, config->environment,
                                         audit::OptionsFrom(*config, /*owner=*/true));
  if (!audit_log) return Fatal(audit_log.error());
  audit::AuditLog& audit = **audit_log;
  // The first event proves the audit log can be written; without it the service does not start.
  if (auto r = audit.Record(SystemEvent("system.start")); !r) return Fatal(r.error());
  const auto shipper = StartShipper(audit, *config);
  Maintenance maintenance(audit, store, clock, AuditNodeName(*config),
                          config->audit.checkpoint_interval, config->audit.retention_days);
  http::Router router;
  RegisterTestRoutes(router, *config, audit, test_clock);
  Services services(store, audit, opened->master, *config, clock, opened->common_passwords);
  if (auto r = AssessGate(services.gate); !r) return Fatal(r.error());
  ScheduleJobs(maintenance, router, services, *config);
  maintenance.Start();
  struct StopOnExit {  // the jobs use the services above: stop them before those go
    Maintenance& m;
    ~StopOnExit() { m.Stop(); }
  } stop_maintenance{maintenance};
  // The table and the metrics live as long as the server.
  const auto templates = web::Templates::Load();
  if (!templates) return Fatal(templates.error());
  api::RouteTable routes(services.auth, audit, {config->server.max_json_depth});
  AddRoutes(routes, services, store, audit, clock, config->server.max_json_depth, *templates);
  http::Metrics metrics(RouteTemplates(routes));
  auto detector = StartDetector(*config, audit, store, clock);
  if (!detector) return Fatal(detector.error());
  // Patterns in what people do, read from the audit log as it grows (defense/behaviour.h).
  std::unique_ptr<defense::AuditTail> tail;
  if (*detector) {
    // Several nodes on one database: one of them watches every node's events (audit_tail.h).
    std::optional<defense::AuditTail::Shared> shared;
    if (config->store.shared()) shared = {&store, AuditNodeName(*config), &clock};
    tail = std::make_unique<defense::AuditTail>(
        audit, defense::Behaviour(config->records.export_threshold),
        [d = detector->get()](const defense::Pattern& p) { d->Found(p); },
        std::chrono::milliseconds(250), std::move(shared));
    if (auto r = tail->Start(); !r) return Fatal(r.error());
  }
  http::Server server(server_options, *opened->tls, router,
                      HooksFor(*config, audit, metrics, detector->get(), *templates));
  api::AddMetricsRoute(
      routes, metrics,
      GaugesOf(server, store, services.auth.sessions, shipper.get(), detector->get()));
  routes.Install(router);
  if (auto r = server.Listen(); !r) return Fatal(r.error());
  // From here on the process does only what serving needs (app/sandbox.h).
  if (config->server.syscall_filter) {
    if (auto r = InstallSyscallFilter(); !r) return Fatal(r.error());
  } else {
    spdlog::warn("server.syscall_filter = false: serving without the system-call allow-list");
  }
  AnnounceServing(*config, server);

  server.Run();
  // Approvals answered from the bulk lane (exports/export_service.h) end while the server, whose
  // connections their answers go to, still exists: those waiting are refused, the one under way
  // stops between its parts.
  services.exports.RefuseApprovals();
  services.exports.FinishApprovals();
  if (tail) tail->Stop();
  if (*detector) (*detector)->Stop();
  maintenance.Stop();
  (void)audit.Record(SystemEvent("system.stop"));
  (void)audit.Checkpoint();
  (void)audit.CopyToStore();  // what the other nodes and commands beside search, to the last
  if (shipper) {
    (void)shipper->ShipOnce();  // a last attempt; the cursor makes the next start resume anyway
    shipper->Stop();
  }
  spdlog::info("shutting down: closing the store");
  store.Close();
  spdlog::info("stopped");
  spdlog::default_logger()->flush();
  return cli::kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("serve", "Run the HTTPS service");
  auto config = cli::AddConfigOption(cmd);
  cmd->callback([config, exit_code] { *exit_code = Serve(*config); });
}

}  // namespace strongroom::app
