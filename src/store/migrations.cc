#include "store/migrations.h"

#include <fmt/format.h>

#include <charconv>
#include <span>
#include <string>

#include "store/meta.h"

namespace strongroom::store {
namespace {

struct Migration {
  int version;
  const char* description;
  std::vector<const char*> statements;
  // On PostgreSQL, these instead, where SQLite's cannot run there (column types are translated
  // by the connection and need no variant).
  std::vector<const char*> postgres = {};
};

// The `meta` table itself is created by each backend when it opens a store.
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "organisation keys, wrapped by the master key", {R"sql(
CREATE TABLE org_keys (
  org_id        TEXT PRIMARY KEY,
  master_key_id TEXT NOT NULL,
  wrapped_key   BLOB NOT NULL,
  created_at    TEXT NOT NULL
))sql"}},
      {2,
       "the hash-chained audit log and its signed checkpoints",
       {R"sql(
CREATE TABLE audit_events (
  seq        INTEGER PRIMARY KEY,
  time       TEXT NOT NULL,
  actor_id   TEXT NOT NULL,
  action     TEXT NOT NULL,
  target_id  TEXT NOT NULL,
  canonical  TEXT NOT NULL,
  hash       BLOB NOT NULL
))sql",
        "CREATE INDEX audit_events_actor ON audit_events (actor_id, seq)",
        "CREATE INDEX audit_events_action ON audit_events (action, seq)",
        "CREATE INDEX audit_events_target ON audit_events (target_id, seq)",
        "CREATE INDEX audit_events_time ON audit_events (time, seq)",
        R"sql(
CREATE TABLE audit_checkpoints (
  seq        INTEGER PRIMARY KEY,
  head_hash  BLOB NOT NULL,
  time       TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  signature  BLOB NOT NULL
))sql"}},
      {3,
       "organisations, people and their accounts, enrolment tokens",
       {R"sql(
CREATE TABLE organisations (
  id                 TEXT PRIMARY KEY,
  name               TEXT NOT NULL UNIQUE,
  status             TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'pending')),
  agreed_expiry_days INTEGER NOT NULL CHECK (agreed_expiry_days BETWEEN 1 AND 365),
  created_at         TEXT NOT NULL
))sql",
        R"sql(
CREATE TABLE people (
  id               TEXT PRIMARY KEY,
  org_id           TEXT NOT NULL REFERENCES organisations (id),
  name             TEXT NOT NULL,
  email            TEXT NOT NULL UNIQUE,
  bpss_verified_on TEXT,
  bpss_verified_by TEXT,
  created_at       TEXT NOT NULL
))sql",
        R"sql(
CREATE TABLE accounts (
  id             TEXT PRIMARY KEY,
  person_id      TEXT NOT NULL REFERENCES people (id),
  org_id         TEXT NOT NULL REFERENCES organisations (id),
  username       TEXT NOT NULL UNIQUE,
  kind           TEXT NOT NULL CHECK (kind IN ('standard', 'privileged', 'service')),
  roles          TEXT NOT NULL,
  remits         TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('pending_enrolment', 'active', 'locked',
                                                 'expired', 'left', 'disabled')),
  expires_at     TEXT NOT NULL,
  password_hash  TEXT,
  totp_secret    BLOB,
  totp_last_step INTEGER NOT NULL DEFAULT -1,
  created_at     TEXT NOT NULL,
  last_login_at  TEXT,
  UNIQUE (person_id, kind)
))sql",
        R"sql(
CREATE TABLE enrolment_tokens (
  token_hash BLOB PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  expires_at TEXT NOT NULL,
  used_at    TEXT
))sql"}},
      {4,
       "login challenges, sessions, recovery codes, sealed TOTP secrets",
       {"ALTER TABLE accounts ADD COLUMN totp_key BLOB",
        "ALTER TABLE accounts ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0",
        R"sql(
CREATE TABLE login_challenges (
  challenge_hash BLOB PRIMARY KEY,
  account_id     TEXT NOT NULL REFERENCES accounts (id),
  expires_at     TEXT NOT NULL,
  failures       INTEGER NOT NULL DEFAULT 0
))sql",
        R"sql(
CREATE TABLE sessions (
  token_hash   BLOB PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts (id),
  csrf_hash    BLOB NOT NULL,
  source       TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  last_seen_at TEXT NOT NULL
))sql",
        "CREATE INDEX sessions_account ON sessions (account_id, created_at)",
        R"sql(
CREATE TABLE recovery_codes (
  account_id TEXT NOT NULL REFERENCES accounts (id),
  code_hash  BLOB NOT NULL,
  used_at    TEXT,
  PRIMARY KEY (account_id, code_hash)
))sql"}},
      {5, "login throttling per (username, source)", {R"sql(
CREATE TABLE login_throttle (
  username        TEXT NOT NULL,
  source          TEXT NOT NULL,
  failures        INTEGER NOT NULL,
  next_allowed_at TEXT NOT NULL,
  PRIMARY KEY (username, source)
))sql"}},
      {6,
       "when each session last proved its second factor",
       {"ALTER TABLE sessions ADD COLUMN mfa_at TEXT"}},
      {7,
       "remits, access grants, join requests, supplier certificates, encrypted records",
       {"ALTER TABLE accounts ADD COLUMN grants TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE accounts ADD COLUMN moved_at TEXT",
        "ALTER TABLE accounts ADD COLUMN previous_assignment TEXT",
        "ALTER TABLE accounts ADD COLUMN left_at TEXT",
        "ALTER TABLE organisations ADD COLUMN iso27001_ref TEXT",
        "ALTER TABLE organisations ADD COLUMN iso27001_expires_on TEXT",
        "ALTER TABLE organisations ADD COLUMN cep_ref TEXT",
        "ALTER TABLE organisations ADD COLUMN cep_expires_on TEXT",
        R"sql(
CREATE TABLE remits (
  org_id     TEXT NOT NULL REFERENCES organisations (id),
  name       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (org_id, name)
))sql",
        R"sql(
CREATE TABLE join_requests (
  id               TEXT PRIMARY KEY,
  org_id           TEXT NOT NULL REFERENCES organisations (id),
  username         TEXT NOT NULL,
  person_name      TEXT NOT NULL,
  person_email     TEXT NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('standard', 'privileged')),
  roles            TEXT NOT NULL,
  remits           TEXT NOT NULL,
  grants           TEXT NOT NULL,
  bpss_verified_on TEXT NOT NULL,
  bpss_verified_by TEXT NOT NULL,
  requested_by     TEXT NOT NULL REFERENCES accounts (id),
  requested_at     TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  decided_by       TEXT REFERENCES accounts (id),
  decided_at       TEXT,
  reason           TEXT,
  account_id       TEXT REFERENCES accounts (id)
))sql",
        "CREATE INDEX join_requests_org ON join_requests (org_id, status, requested_at)",
        R"sql(
CREATE TABLE records (
  id             TEXT PRIMARY KEY,
  org_id         TEXT NOT NULL REFERENCES organisations (id),
  remit          TEXT NOT NULL,
  classification TEXT NOT NULL CHECK (classification IN ('OFFICIAL', 'OFFICIAL-SENSITIVE')),
  descriptors    TEXT NOT NULL,
  version        INTEGER NOT NULL,
  wrapped_key    BLOB NOT NULL,
  title          BLOB NOT NULL,
  body           BLOB NOT NULL,
  author_id      TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  retain_until   TEXT NOT NULL
))sql",
        "CREATE INDEX records_scope ON records (org_id, remit, id)",
        "CREATE INDEX records_retention ON records (retain_until)",
        R"sql(
CREATE TABLE record_descriptors (
  record_id  TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
  descriptor TEXT NOT NULL,
  PRIMARY KEY (record_id, descriptor)
))sql"}},
      {8,
       "service accounts and their API tokens, SCIM provisioning, identity-provider approval",
       {R"sql(
CREATE TABLE join_requests_v8 (
  id               TEXT PRIMARY KEY,
  org_id           TEXT NOT NULL REFERENCES organisations (id),
  username         TEXT NOT NULL,
  person_name      TEXT NOT NULL,
  person_email     TEXT NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('standard', 'privileged', 'service')),
  roles            TEXT NOT NULL,
  remits           TEXT NOT NULL,
  grants           TEXT NOT NULL,
  bpss_verified_on TEXT NOT NULL,
  bpss_verified_by TEXT NOT NULL,
  requested_by     TEXT NOT NULL REFERENCES accounts (id),
  requested_at     TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  decided_by       TEXT REFERENCES accounts (id),
  decided_at       TEXT,
  reason           TEXT,
  account_id       TEXT REFERENCES accounts (id),
  source           TEXT NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'scim')),
  external_id      TEXT
))sql",
        "INSERT INTO join_requests_v8 (id, org_id, username, person_name, person_email, kind, "
        "roles, remits, grants, bpss_verified_on, bpss_verified_by, requested_by, requested_at, "
        "status, decided_by, decided_at, reason, account_id) SELECT id, org_id, username, "
        "person_name, person_email, kind, roles, remits, grants, bpss_verified_on, "
        "bpss_verified_by, requested_by, requested_at, status, decided_by, decided_at, reason, "
        "account_id FROM join_requests",
        "DROP TABLE join_requests", "ALTER TABLE join_requests_v8 RENAME TO join_requests",
        "CREATE INDEX join_requests_org ON join_requests (org_id, status, requested_at)",
        "ALTER TABLE accounts ADD COLUMN external_id TEXT",
        "ALTER TABLE organisations ADD COLUMN idp_approves INTEGER NOT NULL DEFAULT 0",
        R"sql(
CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  token_hash   BLOB NOT NULL UNIQUE,
  account_id   TEXT NOT NULL REFERENCES accounts (id),
  org_id       TEXT NOT NULL REFERENCES organisations (id),
  role         TEXT NOT NULL,
  created_by   TEXT NOT NULL REFERENCES accounts (id),
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  revoked_at   TEXT
))sql",
        "CREATE INDEX api_tokens_account ON api_tokens (account_id)"}},
      {9,
       "Retention Orders (legal holds)",
       {R"sql(
CREATE TABLE retention_orders (
  id          TEXT PRIMARY KEY,
  reference   TEXT NOT NULL,
  reason      TEXT NOT NULL,
  org_id      TEXT NOT NULL REFERENCES organisations (id),
  remit       TEXT NOT NULL,
  record_ids  TEXT NOT NULL,
  descriptors TEXT NOT NULL,
  review_on   TEXT NOT NULL,
  created_by  TEXT NOT NULL REFERENCES accounts (id),
  created_at  TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('active', 'lifted')),
  lifted_by   TEXT REFERENCES accounts (id),
  lifted_at   TEXT,
  lift_reason TEXT
))sql",
        "CREATE INDEX retention_orders_org ON retention_orders (org_id, status)"}},
      {10,
       "exports with a second person's approval, and records listed per account",
       {R"sql(
CREATE TABLE exports (
  id                 TEXT PRIMARY KEY,
  org_id             TEXT NOT NULL REFERENCES organisations (id),
  requester_id       TEXT NOT NULL REFERENCES accounts (id),
  remit              TEXT NOT NULL,
  reason             TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'downloaded',
                                                     'expired')),
  created_at         TEXT NOT NULL,
  expires_at         TEXT NOT NULL,
  approved_by        TEXT REFERENCES accounts (id),
  approved_at        TEXT,
  archive_expires_at TEXT,
  record_count       INTEGER,
  wrapped_key        BLOB,
  archive            BLOB
))sql",
        "CREATE INDEX exports_requester ON exports (requester_id, status)",
        R"sql(
CREATE TABLE list_reads (
  account_id TEXT NOT NULL,
  at         TEXT NOT NULL,
  count      INTEGER NOT NULL
))sql",
        "CREATE INDEX list_reads_account ON list_reads (account_id, at)"}},
      {11,
       "one live account per person and kind: a leaver who returns may be given a new account "
       "(a new username, through a join request); the one that left stays as it was",
       // The table is rebuilt (SQLite cannot drop a constraint). Foreign keys into it are checked
       // at commit: dropping the old table orphans its children for a moment, and copying the
       // rows back re-parents every one of them, or the whole migration is rolled back.
       {"PRAGMA defer_foreign_keys = ON", "CREATE TABLE accounts_v10 AS SELECT * FROM accounts",
        "DROP TABLE accounts",
        R"sql(
CREATE TABLE accounts (
  id                  TEXT PRIMARY KEY,
  person_id           TEXT NOT NULL REFERENCES people (id),
  org_id              TEXT NOT NULL REFERENCES organisations (id),
  username            TEXT NOT NULL UNIQUE,
  kind                TEXT NOT NULL CHECK (kind IN ('standard', 'privileged', 'service')),
  roles               TEXT NOT NULL,
  remits              TEXT NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('pending_enrolment', 'active', 'locked',
                                                      'expired', 'left', 'disabled')),
  expires_at          TEXT NOT NULL,
  password_hash       TEXT,
  totp_secret         BLOB,
  totp_last_step      INTEGER NOT NULL DEFAULT -1,
  created_at          TEXT NOT NULL,
  last_login_at       TEXT,
  totp_key            BLOB,
  failed_logins       INTEGER NOT NULL DEFAULT 0,
  grants              TEXT NOT NULL DEFAULT '',
  moved_at            TEXT,
  previous_assignment TEXT,
  left_at             TEXT,
  external_id         TEXT
))sql",
        "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, status, "
        "expires_at, password_hash, totp_secret, totp_last_step, created_at, last_login_at, "
        "totp_key, failed_logins, grants, moved_at, previous_assignment, left_at, external_id) "
        "SELECT id, person_id, org_id, username, kind, roles, remits, status, expires_at, "
        "password_hash, totp_secret, totp_last_step, created_at, last_login_at, totp_key, "
        "failed_logins, grants, moved_at, previous_assignment, left_at, external_id FROM "
        "accounts_v10",
        "DROP TABLE accounts_v10",
        // A left account is never reactivated, so this holds for ever once it holds.
        "CREATE UNIQUE INDEX accounts_person_kind_live ON accounts (person_id, kind) WHERE "
        "status <> 'left'"},
       // PostgreSQL drops the constraint in place.
       {"ALTER TABLE accounts DROP CONSTRAINT accounts_person_id_kind_key",
        "CREATE UNIQUE INDEX accounts_person_kind_live ON accounts (person_id, kind) WHERE "
        "status <> 'left'"}},
      {12,
       "second factors throttled per account; unknown devices locked for a time, known devices "
       "(device cookies) with their own allowance; failed attempts shown to the owner",
       {// Consecutive wrong second factors (sign-in, re-authentication), across challenges and
        // sessions, and when the next may be tried.
        "ALTER TABLE accounts ADD COLUMN mfa_failures INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE accounts ADD COLUMN mfa_next_allowed_at TEXT NOT NULL DEFAULT ''",
        // `failed_logins` now counts consecutive wrong passwords from unknown devices; past the
        // limit unknown devices are locked until `unknown_locked_until`, for longer each time.
        "ALTER TABLE accounts ADD COLUMN unknown_locked_until TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE accounts ADD COLUMN unknown_locks INTEGER NOT NULL DEFAULT 0",
        // Failed attempts of any kind since the owner last signed in, shown at the next sign-in.
        "ALTER TABLE accounts ADD COLUMN failures_unseen INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE accounts ADD COLUMN last_failure_at TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE sessions ADD COLUMN reauth_failures INTEGER NOT NULL DEFAULT 0",
        // The device that passed the password step, if it was a known one.
        "ALTER TABLE login_challenges ADD COLUMN device_hash BLOB",
        R"sql(
CREATE TABLE known_devices (
  device_hash  BLOB PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts (id),
  created_at   TEXT NOT NULL,
  last_used_at TEXT NOT NULL,
  failures     INTEGER NOT NULL DEFAULT 0,
  locked_until TEXT NOT NULL DEFAULT ''
))sql",
        "CREATE INDEX known_devices_account ON known_devices (account_id, last_used_at)"}},
      {13,
       "the IT Health Check register: each check, the deployment it covered, its findings and "
       "their states, and its sign-off by a second security officer",
       {R"sql(
CREATE TABLE ithc_checks (
  id                 TEXT PRIMARY KEY,
  performed_on       TEXT NOT NULL,
  organisation       TEXT NOT NULL,
  tester             TEXT NOT NULL,
  scope              TEXT NOT NULL,
  report_sha256      TEXT NOT NULL,
  fingerprint        TEXT NOT NULL,
  fingerprint_digest TEXT NOT NULL,
  recorded_by        TEXT NOT NULL REFERENCES accounts (id),
  recorded_at        TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('open', 'passed')),
  signed_off_by      TEXT REFERENCES accounts (id),
  signed_off_at      TEXT
))sql",
        "CREATE INDEX ithc_checks_status ON ithc_checks (status, fingerprint_digest)",
        R"sql(
CREATE TABLE ithc_findings (
  id          TEXT PRIMARY KEY,
  check_id    TEXT NOT NULL REFERENCES ithc_checks (id),
  title       TEXT NOT NULL,
  severity    TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
  detail      TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('open', 'mitigated', 'accepted')),
  resolution  TEXT NOT NULL DEFAULT '',
  resolved_by TEXT REFERENCES accounts (id),
  resolved_at TEXT
))sql",
        "CREATE INDEX ithc_findings_check ON ithc_findings (check_id)"}},
      {14,
       "ITHC findings keep the order they were recorded in without SQLite's rowid; on "
       "PostgreSQL, SQLite's instr() for the Retention Order condition (retention/holds.h)",
       {"ALTER TABLE ithc_findings ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0",
        "UPDATE ithc_findings SET ordinal = rowid"},
       {"ALTER TABLE ithc_findings ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0",
        "CREATE FUNCTION instr(text, text) RETURNS integer LANGUAGE sql IMMUTABLE STRICT "
        "PARALLEL SAFE AS 'SELECT strpos($1, $2)'"}},
      {15,
       "records listed, counted per account and hour (one row each, the oldest removed as the "
       "account lists), where one row per listing made every listing slower than the last",
       {R"sql(
CREATE TABLE list_counts (
  account_id TEXT NOT NULL,
  hour       TEXT NOT NULL,
  count      INTEGER NOT NULL,
  PRIMARY KEY (account_id, hour)
))sql",
        "INSERT INTO list_counts (account_id, hour, count) SELECT account_id, substr(at, 1, 13), "
        "SUM(count) FROM list_reads GROUP BY account_id, substr(at, 1, 13)",
        "DROP TABLE list_reads"}},
      {16,
       "leases on the work one node of several does for them all (store/leases.h): who holds "
       "each, and until when (milliseconds since the epoch, on the holder's clock)",
       {R"sql(
CREATE TABLE leases (
  name     TEXT PRIMARY KEY,
  holder   TEXT NOT NULL,
  until_ms INTEGER NOT NULL
))sql"}},
      {17,
       "every node's audit journal copied into a database the nodes share, for search and "
       "verification across nodes (audit/audit_copy.h); empty on the embedded store",
       {R"sql(
CREATE TABLE audit_copy (
  node      TEXT NOT NULL,
  sequence  INTEGER NOT NULL,
  kind      INTEGER NOT NULL,
  hash      BLOB NOT NULL,
  text      TEXT NOT NULL,
  time      TEXT NOT NULL,
  actor_id  TEXT NOT NULL,
  action    TEXT NOT NULL,
  target_id TEXT NOT NULL,
  PRIMARY KEY (node, sequence, kind)
))sql",
        "CREATE INDEX audit_copy_time ON audit_copy (time, node, sequence)",
        "CREATE INDEX audit_copy_actor ON audit_copy (actor_id, time, node, sequence)",
        "CREATE INDEX audit_copy_target ON audit_copy (target_id, time, node, sequence)",
        "CREATE INDEX audit_copy_action ON audit_copy (action, time, node, sequence)"}},
      {18,
       "one attack score per source for the nodes sharing a database (defense/shared_sources.h): "
       "the score, when it was scored, the block it reached (milliseconds since the epoch) and "
       "the node whose raise reached it; empty on the embedded store",
       {R"sql(
CREATE TABLE attack_sources (
  source           TEXT PRIMARY KEY,
  score            REAL NOT NULL,
  scored_ms        INTEGER NOT NULL,
  blocked_until_ms INTEGER,
  blocked_by       TEXT NOT NULL
))sql",
        "CREATE INDEX attack_sources_blocked ON attack_sources (blocked_until_ms)",
        "CREATE INDEX attack_sources_scored ON attack_sources (scored_ms)"}},
      {19,
       "WebAuthn security keys and passkeys as second factors (identity/security_keys.h): each "
       "account's registered credentials, the ceremonies begun for them, and the sign-in "
       "ceremony carried by the login challenge",
       {R"sql(
CREATE TABLE webauthn_credentials (
  id              TEXT PRIMARY KEY,
  account_id      TEXT NOT NULL REFERENCES accounts (id),
  credential_id   BLOB NOT NULL UNIQUE,
  public_key      BLOB NOT NULL,
  sign_count      INTEGER NOT NULL,
  format          TEXT NOT NULL,
  attestation     TEXT NOT NULL,
  aaguid          TEXT NOT NULL,
  backup_eligible INTEGER NOT NULL,
  backed_up       INTEGER NOT NULL,
  user_verified   INTEGER NOT NULL,
  name            TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  last_used_at    TEXT,
  locked_at       TEXT,
  lock_reason     TEXT
))sql",
        "CREATE INDEX webauthn_credentials_account ON webauthn_credentials (account_id)",
        R"sql(
CREATE TABLE webauthn_challenges (
  bound_to          BLOB NOT NULL,
  purpose           TEXT NOT NULL CHECK (purpose IN ('register', 'enrol', 'reauth')),
  account_id        TEXT NOT NULL REFERENCES accounts (id),
  challenge         BLOB NOT NULL,
  user_verification INTEGER NOT NULL,
  expires_at        TEXT NOT NULL,
  PRIMARY KEY (bound_to, purpose)
))sql",
        "ALTER TABLE login_challenges ADD COLUMN webauthn_challenge BLOB",
        "ALTER TABLE login_challenges ADD COLUMN webauthn_expires_at TEXT"}},
      {20,
       "which second factors an organisation's people may sign in with (identity/"
       "factor_policy.h): any (a TOTP code or a security key) or a security key only, for its "
       "standard and its privileged accounts",
       {"ALTER TABLE organisations ADD COLUMN second_factor TEXT NOT NULL DEFAULT "
        "'totp-or-webauthn' CHECK (second_factor IN ('totp-or-webauthn', 'webauthn'))",
        "ALTER TABLE organisations ADD COLUMN privileged_second_factor TEXT NOT NULL DEFAULT "
        "'totp-or-webauthn' CHECK (privileged_second_factor IN ('totp-or-webauthn', "
        "'webauthn'))"}},
      {21,
       "re-enrolment through the join-approval rules (lifecycle/joiners.h): a join request may "
       "name an existing account whose owner is to enrol again",
       {"ALTER TABLE join_requests ADD COLUMN purpose TEXT NOT NULL DEFAULT 'join' CHECK "
        "(purpose IN ('join', 'reenrol'))",
        "CREATE INDEX join_requests_account ON join_requests (account_id, status)"}},
      {22,
       "an organisation may require its people's security keys to verify their user (a PIN or "
       "a biometric), not only their presence (identity/factor_policy.h)",
       {"ALTER TABLE organisations ADD COLUMN webauthn_user_verification TEXT NOT NULL DEFAULT "
        "'discouraged' CHECK (webauthn_user_verification IN ('discouraged', 'required'))"}},
      {23,
       "an approved export's archive is kept in parts (exports/export_service.h), written one "
       "at a time at a pace that leaves the disk to the audit journal; an archive already made "
       "becomes one part",
       {R"sql(
CREATE TABLE export_parts (
  export_id TEXT NOT NULL REFERENCES exports (id),
  build     TEXT NOT NULL,
  part      INTEGER NOT NULL,
  data      BLOB NOT NULL,
  PRIMARY KEY (export_id, build, part)
))sql",
        "ALTER TABLE exports ADD COLUMN archive_build TEXT",
        "INSERT INTO export_parts (export_id, build, part, data) SELECT id, 'whole', 0, archive "
        "FROM exports WHERE archive IS NOT NULL",
        "UPDATE exports SET archive_build = 'whole' WHERE archive IS NOT NULL",
        "ALTER TABLE exports DROP COLUMN archive"}},
  };
  return kMigrations;
}

Result<int> ReadVersion(Transaction& tx) {
  ASSIGN_OR_RETURN(auto v, GetMeta(tx, "schema_version"));
  if (!v) return 0;
  int n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n < 0) {
    return Fail(ErrorCode::kDataLoss, "the store's schema version is unreadable");
  }
  return n;
}

}  // namespace

int LatestSchemaVersion() { return Migrations().back().version; }

Result<int> SchemaVersion(Store& store) {
  int version = 0;
  RETURN_IF_ERROR(store.Read([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(version, ReadVersion(tx));
    return {};
  }));
  return version;
}

Result<void> Migrate(Store& store, int up_to) {
  ASSIGN_OR_RETURN(int current, SchemaVersion(store));
  if (current > LatestSchemaVersion()) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the store has schema version {}, newer than this build knows ({}): "
                            "run the newer Strongroom or restore a backup",
                            current, LatestSchemaVersion()));
  }
  for (const auto& m : Migrations()) {
    if (m.version <= current || m.version > up_to) continue;
    RETURN_IF_ERROR(store.Write([&](Transaction& tx) -> Result<void> {
      // Re-check inside the transaction: another node may have migrated meanwhile.
      ASSIGN_OR_RETURN(int now, ReadVersion(tx));
      if (now >= m.version) return {};
      const auto& statements =
          tx.dialect() == Dialect::kPostgres && !m.postgres.empty() ? m.postgres : m.statements;
      for (const char* sql : statements) RETURN_IF_ERROR(tx.Exec(sql));
      return SetMeta(tx, "schema_version", std::to_string(m.version));
    }));
  }
  return {};
}

}  // namespace strongroom::store
