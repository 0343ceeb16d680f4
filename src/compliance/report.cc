#include "compliance/report.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <boost/json.hpp>

#include "common/file_util.h"
#include "common/names.h"
#include "store/meta.h"

namespace strongroom::compliance {
namespace {

using std::chrono::days;
using std::chrono::hours;

std::string N(int64_t n) { return std::to_string(n); }

std::string AllowList(const CidrList& list) {
  std::string out;
  for (const auto& r : list.ranges()) out += (out.empty() ? "" : ", ") + r.ToString();
  return out.empty() ? "nobody" : out;
}

bool AllowsEveryone(const CidrList& list) {
  for (const auto& r : list.ranges()) {
    const auto text = r.ToString();
    if (text.ends_with("/0")) return true;
  }
  return false;
}

// Builds one entry: the first rule that holds decides its status and reason, else it is met.
struct Rule {
  bool holds;
  Status status;
  std::string reason;
};

ControlEntry Entry(std::string id, std::string control, std::string mechanism,
                   std::vector<std::pair<std::string, std::string>> settings,
                   std::vector<std::pair<std::string, std::string>> state, std::vector<Rule> rules,
                   std::string met) {
  ControlEntry e{std::move(id),    std::move(control), std::move(mechanism), std::move(settings),
                 std::move(state), Status::kMet,       std::move(met)};
  for (auto& r : rules) {
    if (!r.holds) continue;
    e.status = r.status;
    e.reason = std::move(r.reason);
    break;
  }
  return e;
}

std::string Seconds(std::chrono::milliseconds ms) {
  return fmt::format("{} s", std::chrono::duration_cast<std::chrono::seconds>(ms).count());
}

// Hours between an RFC 3339 time and `now`; 0 if it does not parse or is later.
int64_t HoursSince(std::string_view time, TimePoint now) {
  const auto t =
      ParseRfc3339(time.size() == 10 ? std::string(time) + "T00:00:00Z" : std::string(time));
  if (!t || *t > now) return 0;
  return std::chrono::duration_cast<hours>(now - *t).count();
}

}  // namespace

std::string_view Name(Status status) {
  static constexpr std::pair<Status, std::string_view> kNames[] = {
      {Status::kMet, "met"}, {Status::kAtRisk, "at risk"}, {Status::kNotMet, "not met"}};
  return NameIn<Status>(kNames, status);
}

int Report::Count(Status status) const {
  int n = 0;
  for (const auto& c : controls) n += c.status == status;
  return n;
}

FileFacts ReadFileFacts(const Config& config) {
  FileFacts f;
  if (auto pem = ReadSmallFile(config.tls.certificate, 1024 * 1024)) {
    if (auto facts = crypto::InspectCertificate(*pem)) f.certificate = *facts;
  }
  struct stat st {};
  if (::stat(config.keys.master_key_file.c_str(), &st) == 0) f.master_key_mode = st.st_mode & 0777;
  return f;
}

Result<ReportFacts> GatherFacts(store::Transaction& tx, const Config& config,
                                const Fingerprint& deployment, const audit::Standing& audit,
                                TimePoint now) {
  ReportFacts f;
  f.now = now;
  ASSIGN_OR_RETURN(auto env, store::GetMeta(tx, "environment"));
  f.store_environment = env.value_or("");
  ASSIGN_OR_RETURN(f.people, identity::TakeCensus(tx, now));
  ASSIGN_OR_RETURN(f.records, records::TakeRecordCensus(tx, now));
  f.audit = audit;
  ASSIGN_OR_RETURN(auto gate, ReadGateFacts(tx));
  f.gate = Assess(deployment, gate.went_live, gate.passed, now);
  for (const auto& p : gate.passed) f.last_check_on = std::max(f.last_check_on, p.performed_on);
  ASSIGN_OR_RETURN(auto checks, IthcRegister::ReadAll(tx));
  const auto blocking = ParseSeverity(config.compliance.blocking_severity);
  for (const auto& c : checks) {
    if (c.status != "open") continue;
    for (const auto& finding : c.findings) {
      f.blocking_open += finding.state == "open" && ParseSeverity(finding.severity) >= blocking;
    }
  }
  return f;
}

Report Evaluate(const Config& config, const Fingerprint& deployment, const ReportFacts& f) {
  const auto& s = config.server;
  const auto& d = config.defense;
  const auto& p = f.people;
  const bool production = config.environment == Environment::kProduction;
  Report report{FormatRfc3339(f.now),
                std::string(EnvironmentName(config.environment)),
                deployment.Digest(),
                {}};
  auto& out = report.controls;

  out.push_back(Entry(
      "supplier-certification", "Suppliers hold ISO 27001 and Cyber Essentials Plus",
      "each organisation's certificates and their expiry (src/identity/directory.h); the hourly "
      "check suspends an organisation whose certificate lapses (src/lifecycle/organisations.h)",
      {{"accounts.certificate_lapse", config.accounts.certificate_lapse}},
      {{"active organisations", N(p.orgs_active)},
       {"with a lapsed certificate", N(p.orgs_lapsed)},
       {"with a certificate not recorded", N(p.orgs_uncertified)},
       {"with a certificate expiring within 30 days", N(p.orgs_lapsing)}},
      {{p.orgs_lapsed > 0, Status::kNotMet,
        N(p.orgs_lapsed) + " active organisation(s) hold a lapsed certificate"},
       {p.orgs_uncertified > 0, Status::kAtRisk,
        N(p.orgs_uncertified) + " active organisation(s) have a certificate not recorded"},
       {p.orgs_lapsing > 0, Status::kAtRisk,
        N(p.orgs_lapsing) + " organisation(s) have a certificate expiring within 30 days"}},
      "every active organisation's certificates are current"));

  out.push_back(
      Entry("joiners-movers-leavers",
            "Joiners, movers and leavers; admins manage their own users; accounts expire",
            "join requests approved by a second admin, movers, leavers and bulk leavers, lists for "
            "admins (src/lifecycle/); every account has a capped expiry, enforced every minute "
            "(src/identity/directory.h, ExpireDue)",
            {{"account expiry cap", N(identity::kMaxAgreedExpiryDays) + " days"}},
            {{"active accounts", N(p.accounts_active)},
             {"active past their expiry", N(p.past_expiry)},
             {"expiring beyond the cap", N(p.beyond_cap)},
             {"dormant (no sign-in for 90 days)", N(p.dormant)}},
            {{p.past_expiry > 0, Status::kNotMet,
              N(p.past_expiry) + " account(s) are still active past their expiry"},
             {p.beyond_cap > 0, Status::kNotMet,
              N(p.beyond_cap) + " account(s) expire further off than the cap allows"},
             {p.dormant > 0, Status::kAtRisk,
              N(p.dormant) + " active account(s) have not signed in for 90 days: review them"}},
            "no active account is past or beyond its expiry, and none is dormant"));

  out.push_back(
      Entry("separation-of-duties", "No export of a full copy of data without another's approval",
            "exports approved by a second person holding approver (src/exports/, "
            "src/approvals/two_person.h); listing more than the threshold in 24 hours needs an "
            "approved export (src/records/)",
            {{"records.export_threshold", N(config.records.export_threshold)}},
            {{"records of the largest organisation", N(f.records.largest_org)}},
            {{f.records.largest_org > 0 && config.records.export_threshold >= f.records.largest_org,
              Status::kAtRisk,
              "the export threshold is not below the largest organisation's records: one account "
              "could list all of them without an approved export"}},
            f.records.largest_org == 0 ? "no organisation holds records yet"
                                       : "the export threshold is below the largest organisation's "
                                         "records"));

  out.push_back(
      Entry("bpss", "Staff with access hold BPSS clearance",
            "a join request records the BPSS verification date and verifier; no account without it "
            "(src/lifecycle/joiners.h)",
            {}, {{"active accounts of people without a BPSS date", N(p.without_bpss)}},
            {{p.without_bpss > 0, Status::kNotMet,
              N(p.without_bpss) + " active account(s) belong to a person with no BPSS date"}},
            "every active person's account has a BPSS date"));

  out.push_back(Entry(
      "privileged-accounts", "Privileged actions only from separate privileged accounts",
      "account kinds privileged and standard, never both; privileged accounts never read record "
      "content (src/authz/authz.h, rule 2)",
      {}, {{"privileged accounts holding reader or editor", N(p.privileged_readers)}},
      {{p.privileged_readers > 0, Status::kNotMet,
        N(p.privileged_readers) + " privileged account(s) hold a record role"}},
      "no privileged account holds a record role"));

  out.push_back(Entry(
      "admin-takeover", "The risk of unauthorised administrator access is minimised",
      "privileged sign-in only on the admin listener and its allow-list (src/common/surface.h); "
      "a fresh second factor before sensitive actions (src/authz/admin.h); one session per "
      "privileged account",
      {{"server.admin_listen",
        s.admin_listen.empty() ? "shared with the public listener" : s.admin_listen},
       {"server.admin_allow", AllowList(s.admin_allow)}},
      {},
      {{AllowsEveryone(s.admin_allow), Status::kNotMet,
        "the admin surface's allow-list admits every address"},
       {production && s.admin_listen.empty(), Status::kAtRisk,
        "the admin surface shares the public listener"}},
      "the admin surface has its own listener and a narrow allow-list"));

  out.push_back(Entry(
      "unique-accounts", "Unique per-user accounts",
      "case-folded unique usernames bound to one person, generic names refused, one live account "
      "of each kind per person (src/identity/username.h)",
      {}, {{"active accounts with a name the rules refuse", N(p.generic_names)}},
      {{p.generic_names > 0, Status::kNotMet,
        N(p.generic_names) + " active account(s) have a generic or malformed name"}},
      "every active account names one person"));

  out.push_back(
      Entry("mfa", "Multi-factor authentication",
            "password and TOTP for every person, with replay protection and recovery codes "
            "(src/identity/sign_in.h), and security keys or passkeys (WebAuthn: phishing-"
            "resistant, required per organisation if it chooses: src/identity/security_keys.h, "
            "factor_policy.h); no sign-in without enrolment",
            {}, {{"active accounts of people without a second factor", N(p.without_mfa)}},
            {{p.without_mfa > 0, Status::kNotMet,
              N(p.without_mfa) + " active account(s) have no second factor"}},
            "every active person's account has a second factor"));

  out.push_back(Entry(
      "login-rate-limit", "The rate of login attempts is restricted",
      "escalating delays per (account, source), a lock after 10 failures for unknown devices, "
      "second factors counted the same way (src/identity/throttle.h); a per-source request limit "
      "(src/http/server.h)",
      {{"server.requests_per_second_per_source", N(s.limits.requests_per_second_per_source)}}, {},
      {{s.limits.requests_per_second_per_source == 0, Status::kAtRisk,
        "no per-source request limit: only the sign-in throttles slow a guesser"}},
      "sign-in throttles and a per-source request limit"));

  const auto& cert = f.files.certificate;
  const bool cert_expired = !cert || cert->not_after <= f.now;
  out.push_back(
      Entry("https-only", "Access over HTTPS only",
            "TLS 1.2+ with AEAD suites and HSTS on every listener; plain HTTP only ever redirects "
            "(src/http/tls_context.h, src/http/redirect.cc)",
            {{"tls.min_version", config.tls.min_version},
             {"server.redirect_listen", s.redirect_listen.empty() ? "off" : s.redirect_listen}},
            {{"certificate expires", cert ? FormatRfc3339(cert->not_after) : "unreadable"},
             {"certificate self-signed", cert ? (cert->self_signed ? "yes" : "no") : "unknown"}},
            {{cert_expired, Status::kNotMet, "the TLS certificate is unreadable or expired"},
             {!cert_expired && cert->not_after <= f.now + days(30), Status::kAtRisk,
              "the TLS certificate expires within 30 days"},
             {production && cert && cert->self_signed, Status::kAtRisk,
              "production serves a self-signed certificate"}},
            "TLS only, with a current certificate"));

  out.push_back(Entry(
      "least-privilege", "Least privilege by content; read-only by default",
      "one decision over organisation, remit, classification and descriptor grants, reader by "
      "default (src/authz/authz.h)",
      {}, {{"active standard accounts", N(p.standard)}, {"of which editors", N(p.editors)}},
      {{p.standard > 0 && 2 * p.editors > p.standard, Status::kAtRisk,
        "more than half the standard accounts can change records: read-only is not the norm"}},
      "most standard accounts are read-only"));

  out.push_back(
      Entry("tenant-isolation", "Users see only their organisation's and remit's data",
            "every query scoped by organisation and remit; other tenants' records answer 404 "
            "(src/authz/authz.h, ScopeForList)",
            {}, {{"active accounts of a suspended or pending organisation", N(p.in_inactive_org)}},
            {{p.in_inactive_org > 0, Status::kNotMet,
              N(p.in_inactive_org) + " account(s) are active in an organisation that is not"}},
            "no account is active outside an active organisation"));

  const bool key_private = f.files.master_key_mode && (*f.files.master_key_mode & 077) == 0;
  out.push_back(Entry(
      "encryption", "Data encrypted at rest and in transit",
      "envelope encryption (master key, organisation keys, record keys; AES-256-GCM with the "
      "environment, organisation, record and version as associated data; src/crypto/envelope.h, "
      "src/store/key_store.h); TLS in transit",
      {{"keys.master_key_file", config.keys.master_key_file.string()},
       {"keys.provider", config.keys.provider},
       {"tls.min_version", config.tls.min_version}},
      {{"master key file mode",
        f.files.master_key_mode ? fmt::format("{:04o}", *f.files.master_key_mode) : "unreadable"}},
      {{!key_private, Status::kNotMet, "the master key file is unreadable or readable by others"}},
      config.keys.provider == "pkcs11"
          ? "records are sealed under keys wrapped by a master key that never leaves its "
            "PKCS#11 token (its file, which only names it, only its owner can read)"
          : "records are sealed under keys wrapped by a master key only its owner can read"));

  const int64_t unsigned_events = f.audit.head - f.audit.checkpointed;
  const auto checkpoint_age = f.audit.checkpointed_at.empty()
                                  ? std::chrono::milliseconds::max()
                                  : f.now - ParseRfc3339(f.audit.checkpointed_at).value_or(f.now);
  out.push_back(Entry(
      "audit-per-user", "Every action on data logged and audited per user",
      "one event per view, change, export, sign-in and admin action, allowed or denied, durable "
      "before the answer, hash-chained with signed checkpoints (src/audit/audit_log.h)",
      {{"audit.checkpoint_every", N(config.audit.checkpoint_every)},
       {"audit.retention_days", N(config.audit.retention_days)}},
      {{"events", N(f.audit.head)},
       {"events after the last signed checkpoint", N(unsigned_events)},
       {"last checkpoint", f.audit.checkpointed_at.empty() ? "none" : f.audit.checkpointed_at}},
      {{unsigned_events > 0 &&
            checkpoint_age > 3 * config.audit.checkpoint_interval + std::chrono::minutes(1),
        Status::kAtRisk, "events are waiting for a signed checkpoint longer than they should"}},
      "every event is chained, and checkpoints keep up"));

  out.push_back(Entry("ithc",
                      "IT Health Checks passed before go-live, yearly, and before major changes",
                      "the register and the go-live gate (src/compliance/ithc_register.h, "
                      "src/compliance/gate.h)",
                      {{"compliance.gate", config.compliance.gate}},
                      {{"standing", std::string(Name(f.gate.standing))},
                       {"last passed check", f.last_check_on.empty() ? "none" : f.last_check_on},
                       {"due again", f.gate.due_on.empty() ? "-" : f.gate.due_on}},
                      {{!f.gate.Fit(), Status::kNotMet, f.gate.reason},
                       {f.gate.standing == Standing::kDue, Status::kAtRisk, f.gate.reason}},
                      f.gate.reason));

  out.push_back(
      Entry("ithc-findings", "Issues found are mitigated or accepted before changes go live",
            "a check is signed off only with no finding at or above the blocking severity open "
            "(src/compliance/ithc_register.h)",
            {{"compliance.blocking_severity", config.compliance.blocking_severity}},
            {{"blocking findings open in checks not yet signed off", N(f.blocking_open)}},
            {{f.blocking_open > 0, Status::kAtRisk,
              N(f.blocking_open) + " blocking finding(s) are open in a check not yet signed off"}},
            "no blocking finding is open"));

  const bool detecting = d.enabled && d.mode == "block";
  out.push_back(
      Entry("input-validation", "User data validated against injection and cross-site scripting",
            "strict JSON schemas (unknown fields refused), parameterised SQL only, JSON-only API "
            "(src/http/json.h, src/store/store.h); the OWASP CRS refuses attacks (src/defense/)",
            {{"server.max_json_depth", N(s.max_json_depth)},
             {"server.max_body_bytes", N(s.limits.max_body_bytes)},
             {"defense.mode", d.enabled ? d.mode : "disabled"}},
            {},
            {{!d.enabled, Status::kNotMet, "attack detection is disabled"},
             {s.max_json_depth > 64 || s.limits.max_body_bytes > 1024 * 1024, Status::kAtRisk,
              "request limits are looser than the hardened defaults (depth 64, 1 MiB)"}},
            "strict schemas, and the CRS in front of them"));

  out.push_back(
      Entry("idle-timeout", "An idle timeout closes inactive sessions",
            "server-side sessions with an idle and an absolute limit (src/identity/sessions.h); "
            "the purge removes those unused for a day (src/records/purge.h)",
            {},
            {{"idle timeout", Seconds(f.idle_timeout)},
             {"sessions unused for a day still held", N(p.stale_sessions)}},
            {{f.idle_timeout > std::chrono::minutes(15), Status::kNotMet,
              "sessions idle longer than 15 minutes stay open"},
             {p.stale_sessions > 0, Status::kAtRisk,
              "sessions unused for a day are still held: the purge is behind"}},
            "idle sessions close after " + Seconds(f.idle_timeout)));

  out.push_back(
      Entry("attack-detection", "Best-of-breed detection of malicious attacks at all times",
            "ModSecurity v3 with the OWASP CRS on every request, detectors of scanning, credential "
            "stuffing, enumeration and bulk reading, attacking sources blocked (src/defense/)",
            {{"defense.enabled", d.enabled ? "true" : "false"},
             {"defense.mode", d.mode},
             {"defense.paranoia_level", N(d.paranoia_level)},
             {"defense.inbound_threshold", N(d.inbound_threshold)}},
            {},
            {{!d.enabled, Status::kNotMet, "attack detection is disabled"},
             {!detecting, Status::kAtRisk, "attacks are reported but not refused (detect mode)"}},
            "attacks are detected, refused and their sources blocked"));

  const auto unshipped = f.audit.head - f.audit.shipped;
  const auto unshipped_hours = HoursSince(f.audit.oldest_unshipped_at, f.now);
  out.push_back(Entry(
      "remote-logs", "Logs stored remotely for forensic diagnosis",
      "audit events shipped over RELP/TLS to rsyslog, at least once, the cursor moved only on "
      "acknowledgement (src/audit/shipper.h)",
      {{"audit.collector", config.audit.collector.empty() ? "none" : config.audit.collector},
       {"audit.local_only", config.audit.local_only ? "true" : "false"}},
      {{"events not yet acknowledged by the collector",
        config.audit.collector.empty() ? "-" : N(unshipped)}},
      {{config.audit.collector.empty(), Status::kNotMet,
        config.audit.local_only
            ? "no remote collector: the risk of a local-only audit log is accepted in writing"
            : "no remote collector"},
       {unshipped_hours >= 1, Status::kAtRisk,
        "events have waited over an hour for the collector"}},
      "the collector acknowledges the audit log as it grows"));

  out.push_back(Entry(
      "dos-resilience", "Resilient to denial of service; scalable to spikes",
      "bounded connections, headers, bodies and queues; per-source limits; anonymous work shed "
      "first on queueing delay (src/http/server.h, src/http/worker_pool.h)",
      {{"server.limits.max_connections", N(s.limits.max_connections)},
       {"server.limits.max_connections_per_source", N(s.limits.max_connections_per_source)},
       {"server.requests_per_second_per_source", N(s.limits.requests_per_second_per_source)},
       {"server.worker_queue", N(s.worker_queue)}},
      {},
      {{s.limits.requests_per_second_per_source == 0, Status::kAtRisk,
        "no per-source request limit"},
       {s.limits.max_connections_per_source > s.limits.max_connections / 2, Status::kAtRisk,
        "one source may hold half the connections"}},
      "everything is bounded, and one source cannot hold the service"));

  const bool env_bound = f.store_environment == EnvironmentName(config.environment);
  out.push_back(Entry(
      "no-live-data-in-test", "No live data in development or test environments",
      "the environment is fixed at init and bound into the store, the key files and every "
      "ciphertext's associated data; non-production refuses production stores and keys, and "
      "demo data is refused in production (src/common/environment.h)",
      {{"environment", std::string(EnvironmentName(config.environment))}},
      {{"store's environment", f.store_environment.empty() ? "unknown" : f.store_environment}},
      {{!env_bound, Status::kNotMet, "the store's environment is not the configuration's"}},
      "the store, keys and data are bound to this environment"));

  out.push_back(Entry(
      "patching-hardening", "Infrastructure patched and hardened without delay",
      "Debian packages only, a hardened build, no core dumps, no new privileges, root given up, "
      "a system-call allow-list (src/app/sandbox.h); `strongroom doctor` checks packages and "
      "updates",
      {{"server.syscall_filter", s.syscall_filter ? "true" : "false"},
       {"version", deployment.Value("version")}},
      {}, {{!s.syscall_filter, Status::kNotMet, "the system-call allow-list is off"}},
      "the process is confined; run `strongroom doctor` for the host's packages"));

  out.push_back(
      Entry("segmentation", "Networks segmented",
            "public, admin and metrics surfaces, each on its own listener with its own allow-list "
            "(src/common/surface.h)",
            {{"server.listen", s.listen},
             {"server.admin_listen", s.admin_listen.empty() ? "shared" : s.admin_listen},
             {"server.metrics_listen", s.metrics_listen.empty() ? "shared" : s.metrics_listen},
             {"server.metrics_allow", AllowList(s.metrics_allow)}},
            {},
            {{AllowsEveryone(s.metrics_allow), Status::kAtRisk,
              "the metrics surface admits every address"},
             {s.admin_listen.empty() || s.metrics_listen.empty(), Status::kAtRisk,
              "a surface shares the public listener"}},
            "each surface has its own listener"));

  const auto purge_hours = HoursSince(f.records.oldest_due, f.now);
  const auto interval_hours = (config.records.purge_interval_minutes + 59) / 60;
  out.push_back(Entry(
      "purge", "Past-expiry data purged as soon as possible unless a Retention Order holds it",
      "the purge job crypto-shreds records past retention, expired sessions, exports and caches "
      "unless an order holds them (src/records/purge.h, src/retention/holds.h); a backup keeps "
      "what it held until it expires, restore refuses it after, and a restore purges before it "
      "serves (src/backup/backup.h)",
      {{"records.purge_interval_minutes", N(config.records.purge_interval_minutes)},
       {"backup.retention_days", N(config.backup.retention_days)}},
      {{"records past retention, not held", N(f.records.due)},
       {"records held by Retention Orders", N(f.records.held)},
       {"oldest due since", f.records.oldest_due.empty() ? "-" : f.records.oldest_due}},
      {{f.records.due > 0 && purge_hours >= 2 * interval_hours + 24, Status::kNotMet,
        "records past retention have waited a day beyond two purge intervals"},
       {f.records.due > 0 && purge_hours >= 2 * interval_hours, Status::kAtRisk,
        "the purge is behind its interval"}},
      "nothing past retention waits longer than the purge interval"));
  return report;
}

std::string ReportJson(const Report& r) {
  boost::json::array controls;
  for (const auto& c : r.controls) {
    boost::json::object settings;
    for (const auto& [k, v] : c.settings) settings[k] = v;
    boost::json::object state;
    for (const auto& [k, v] : c.state) state[k] = v;
    controls.push_back({{"id", c.id},
                        {"control", c.control},
                        {"mechanism", c.mechanism},
                        {"settings", std::move(settings)},
                        {"state", std::move(state)},
                        {"status", Name(c.status)},
                        {"reason", c.reason}});
  }
  boost::json::object out{{"generated_at", r.generated_at},
                          {"environment", r.environment},
                          {"fingerprint", r.fingerprint},
                          {"summary",
                           {{"met", r.Count(Status::kMet)},
                            {"at_risk", r.Count(Status::kAtRisk)},
                            {"not_met", r.Count(Status::kNotMet)}}},
                          {"controls", std::move(controls)}};
  return boost::json::serialize(out);
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string ReportHtml(const Report& r) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Strongroom compliance report</title><style>body{{font-family:sans-serif;"
      "margin:2em}}table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #888;"
      "padding:4px;vertical-align:top;text-align:left}}.met{{background:#cce2d8}}"
      ".at-risk{{background:#fff7bf}}.not-met{{background:#f4cdc6}}</style></head><body>\n"
      "<h1>Compliance report</h1>\n<p>{} environment, generated {}; deployment fingerprint "
      "<code>{}</code>. {} met, {} at risk, {} not met.</p>\n<table><thead><tr><th>Control</th>"
      "<th>Status</th><th>Mechanism</th><th>Settings</th><th>State</th></tr></thead><tbody>\n",
      HtmlEscape(r.environment), HtmlEscape(r.generated_at), HtmlEscape(r.fingerprint),
      r.Count(Status::kMet), r.Count(Status::kAtRisk), r.Count(Status::kNotMet));
  auto pairs = [](const std::vector<std::pair<std::string, std::string>>& items) {
    std::string list;
    for (const auto& [k, v] : items) {
      list += "<div>" + HtmlEscape(k) + ": <b>" + HtmlEscape(v) + "</b></div>";
    }
    return list;
  };
  for (const auto& c : r.controls) {
    std::string css(Name(c.status));
    for (auto& ch : css) ch = ch == ' ' ? '-' : ch;
    out += fmt::format(
        "<tr id=\"{}\"><td>{}</td><td class=\"{}\"><b>{}</b><br>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td></tr>\n",
        HtmlEscape(c.id), HtmlEscape(c.control), css, HtmlEscape(Name(c.status)),
        HtmlEscape(c.reason), HtmlEscape(c.mechanism), pairs(c.settings), pairs(c.state));
  }
  out += "</tbody></table></body></html>\n";
  return out;
}

Reporter::Reporter(store::Store& store, audit::AuditLog& audit, const Clock& clock,
                   const Config& config, Fingerprint deployment, FileFacts files,
                   std::chrono::milliseconds idle_timeout)
    : store_(store),
      audit_(audit),
      clock_(clock),
      config_(config),
      deployment_(std::move(deployment)),
      files_(std::move(files)),
      idle_timeout_(idle_timeout) {}

Result<Report> Reporter::Run(const identity::Principal& officer,
                             const identity::RequestContext& ctx) {
  auto event = identity::EventFor(officer, "compliance.read", "report", "", ctx);
  const auto d =
      authz::DecideAdmin(officer.account, authz::AdminAction::kComplianceRead, {}, clock_.Now());
  if (!d.allow) {
    event.reason = d.reason;
    return audit_.Refuse(event, {ErrorCode::kPermissionDenied, "not permitted: " + d.reason});
  }
  event.allowed = true;
  event.reason = d.reason;
  return audit_.Observe<Report>(event, [&](store::Transaction& tx) -> Result<Report> {
    ASSIGN_OR_RETURN(auto standing, audit_.ReadStanding());
    ASSIGN_OR_RETURN(auto facts, GatherFacts(tx, config_, deployment_, standing, clock_.Now()));
    facts.files = files_;
    facts.idle_timeout = idle_timeout_;
    return Evaluate(config_, deployment_, facts);
  });
}

}  // namespace strongroom::compliance
