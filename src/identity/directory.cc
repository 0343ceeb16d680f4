#include "identity/directory.h"

#include <fmt/format.h>

#include <algorithm>

#include "identity/bootstrap.h"
#include "identity/locks.h"
#include "identity/sessions.h"
#include "identity/username.h"

namespace strongroom::identity {
namespace {

constexpr const char* kOrgColumns =
    "id, name, status, agreed_expiry_days, COALESCE(iso27001_ref, ''), "
    "COALESCE(iso27001_expires_on, ''), COALESCE(cep_ref, ''), COALESCE(cep_expires_on, ''), "
    "created_at, idp_approves, second_factor, privileged_second_factor, "
    "webauthn_user_verification";

Org OrgOf(const store::Row& r) {
  Org o;
  o.id = r.Text(0);
  o.name = r.Text(1);
  o.status = r.Text(2);
  o.agreed_expiry_days = static_cast<int>(r.Int(3));
  o.iso27001 = {r.Text(4), r.Text(5)};
  o.cyber_essentials_plus = {r.Text(6), r.Text(7)};
  o.created_at = r.Text(8);
  o.identity_provider_approves = r.Int(9) != 0;
  o.factors = {*ParseSecondFactor(r.Text(10)), *ParseSecondFactor(r.Text(11)),
               ParseUserVerification(r.Text(12)).value_or(true)};
  return o;
}

// As kAccountColumns, with the account's own status.
constexpr const char* kStoredAccountColumns =
    "a.id, a.username, a.kind, a.roles, a.org_id, a.status, a.expires_at, a.remits, a.grants, "
    "a.person_id";

constexpr const char* kUserColumns =
    "a.id, a.username, a.org_id, a.kind, a.roles, a.remits, a.grants, a.status, a.expires_at, "
    "COALESCE(a.last_login_at, ''), COALESCE(a.moved_at, ''), COALESCE(a.left_at, ''), p.name, "
    "p.email";

UserRow UserOf(const store::Row& r) {
  return {r.Text(0), r.Text(1), r.Text(2), r.Text(3),  r.Text(4),  r.Text(5),  r.Text(6),
          r.Text(7), r.Text(8), r.Text(9), r.Text(10), r.Text(11), r.Text(12), r.Text(13)};
}

Result<void> Exec(store::Transaction& tx, std::string_view sql, const store::Params& params) {
  RETURN_IF_ERROR(tx.Exec(sql, params));
  return {};
}

Result<std::optional<Account>> OneAccount(store::Transaction& tx, const std::string& sql,
                                          const store::Params& params) {
  ASSIGN_OR_RETURN(auto rows, tx.Query(sql, params));
  if (rows.empty()) return std::optional<Account>();
  return AccountOf(rows.front());
}

}  // namespace

Result<Org> InsertOrg(store::Transaction& tx, store::KeyStore& keys, std::string_view id,
                      const OrgInput& input, TimePoint now) {
  Org org{std::string(id),          input.name,     "active",
          input.agreed_expiry_days, input.iso27001, input.cyber_essentials_plus,
          FormatRfc3339(now)};
  org.identity_provider_approves = input.identity_provider_approves;
  RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO organisations (id, name, status, agreed_expiry_days, created_at, "
      "iso27001_ref, iso27001_expires_on, cep_ref, cep_expires_on, idp_approves) "
      "VALUES (?, ?, 'active', ?, ?, ?, ?, ?, ?, ?)",
      {org.id, org.name, int64_t{org.agreed_expiry_days}, org.created_at, org.iso27001.reference,
       org.iso27001.expires_on, org.cyber_essentials_plus.reference,
       org.cyber_essentials_plus.expires_on, int64_t{org.identity_provider_approves ? 1 : 0}}));
  RETURN_IF_ERROR(keys.CreateOrgKey(tx, org.id));
  return org;
}

Result<std::optional<Org>> SetFactorPolicy(store::Transaction& tx, std::string_view id,
                                           const FactorPolicy& policy) {
  ASSIGN_OR_RETURN(
      auto n,
      tx.Exec("UPDATE organisations SET second_factor = ?, "
              "privileged_second_factor = ?, webauthn_user_verification = ? "
              "WHERE id = ?",
              {std::string(Name(policy.standard)), std::string(Name(policy.privileged)),
               std::string(UserVerificationName(policy.user_verification)), std::string(id)}));
  if (n == 0) return std::optional<Org>();
  return FindOrg(tx, id);
}

Result<std::optional<Org>> FindOrg(store::Transaction& tx, std::string_view id) {
  static const std::string sql =
      fmt::format("SELECT {} FROM organisations WHERE id = ?", kOrgColumns);
  ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {std::string(id)}));
  if (rows.empty()) return std::optional<Org>();
  return OrgOf(rows.front());
}

Result<FactorPolicy> FactorPolicyOf(store::Transaction& tx, std::string_view org_id) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT second_factor, privileged_second_factor, "
                                       "webauthn_user_verification FROM organisations WHERE id = ?",
                                       {std::string(org_id)}));
  if (rows.empty()) return FactorPolicy{};
  // A value the store should never hold reads as the stricter one.
  return FactorPolicy{ParseSecondFactor(rows.front().Text(0)).value_or(SecondFactor::kSecurityKey),
                      ParseSecondFactor(rows.front().Text(1)).value_or(SecondFactor::kSecurityKey),
                      ParseUserVerification(rows.front().Text(2)).value_or(true)};
}

Result<bool> OrgNameTaken(store::Transaction& tx, std::string_view name) {
  ASSIGN_OR_RETURN(auto rows,
                   tx.Query("SELECT 1 FROM organisations WHERE name = ?", {std::string(name)}));
  return !rows.empty();
}

Result<std::vector<Org>> ListOrgs(store::Transaction& tx, const OrgFilter& filter) {
  std::string sql = fmt::format("SELECT {} FROM organisations WHERE 1 = 1", kOrgColumns);
  store::Params params;
  if (!filter.id.empty()) {
    sql += " AND id = ?";
    params.emplace_back(filter.id);
  }
  if (!filter.lapsing_by.empty()) {
    sql += " AND (iso27001_expires_on <= ? OR cep_expires_on <= ?)";
    params.emplace_back(filter.lapsing_by);
    params.emplace_back(filter.lapsing_by);
  }
  ASSIGN_OR_RETURN(auto rows, tx.Query(sql + " ORDER BY name", params));
  std::vector<Org> out;
  for (const auto& r : rows) out.push_back(OrgOf(r));
  return out;
}

Result<std::optional<Org>> SetCertificates(store::Transaction& tx, std::string_view id,
                                           const Certificate& iso27001,
                                           const Certificate& cyber_essentials_plus) {
  ASSIGN_OR_RETURN(
      auto n, tx.Exec("UPDATE organisations SET iso27001_ref = ?, "
                      "iso27001_expires_on = ?, cep_ref = ?, cep_expires_on = ?, "
                      "status = CASE WHEN status = 'suspended' THEN 'active' ELSE "
                      "status END WHERE id = ?",
                      {iso27001.reference, iso27001.expires_on, cyber_essentials_plus.reference,
                       cyber_essentials_plus.expires_on, std::string(id)}));
  if (n == 0) return std::optional<Org>();
  return FindOrg(tx, id);
}

Result<std::vector<std::string>> LapsedOrgs(store::Transaction& tx, std::string_view today) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT id FROM organisations WHERE status = 'active' AND "
                                       "(iso27001_expires_on <= ? OR cep_expires_on <= ?)",
                                       {std::string(today), std::string(today)}));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.Text(0));
  return out;
}

Result<void> SuspendOrg(store::Transaction& tx, std::string_view id, TimePoint now) {
  RETURN_IF_ERROR(
      Exec(tx, "UPDATE organisations SET status = 'suspended' WHERE id = ?", {std::string(id)}));
  ASSIGN_OR_RETURN(auto accounts,
                   tx.Query("SELECT id FROM accounts WHERE org_id = ?", {std::string(id)}));
  for (const auto& a : accounts) RETURN_IF_ERROR(EndAccess(tx, a.Text(0), now));
  return {};
}

Result<MadeAccount> InsertAccount(store::Transaction& tx, crypto::Random& random, TimePoint now,
                                  const NewAccount& a, std::chrono::hours token_lifetime) {
  ASSIGN_OR_RETURN(auto taken, UsernameTaken(tx, a.username));
  if (taken) return Fail(ErrorCode::kAlreadyExists, "that username is taken");
  const std::string created = FormatRfc3339(now);
  ASSIGN_OR_RETURN(auto person, FindPerson(tx, a.person_email));
  std::string person_id = person ? person->id : "";
  if (person_id.empty()) {
    person_id = "per-" + random.RandomHex(8);
    RETURN_IF_ERROR(
        Exec(tx,
             "INSERT INTO people (id, org_id, name, email, bpss_verified_on, bpss_verified_by, "
             "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
             {person_id, a.org_id, a.person_name, a.person_email, a.bpss_verified_on,
              a.bpss_verified_by, created}));
  } else {
    // One live account of each kind per person; one that left does not count (a returner).
    ASSIGN_OR_RETURN(auto held, HoldsLiveAccount(tx, person_id, a.kind));
    if (held) {
      return Fail(ErrorCode::kAlreadyExists, "that person already holds an account of that kind");
    }
    RETURN_IF_ERROR(Exec(tx,
                         "UPDATE people SET bpss_verified_on = ?, bpss_verified_by = ? WHERE "
                         "id = ?",
                         {a.bpss_verified_on, a.bpss_verified_by, person_id}));
  }
  MadeAccount out;
  out.account_id = "acc-" + random.RandomHex(8);
  out.username = a.username;
  const auto days = std::clamp<int64_t>(a.expiry_days, 1, kMaxAgreedExpiryDays);
  out.account_expires_at = FormatRfc3339(now + std::chrono::days(days));
  // A service account signs in with API tokens only: it is active at once, with no password,
  // second factor or enrolment token.
  const bool service = ParseKind(a.kind) == Kind::kService;
  RETURN_IF_ERROR(Exec(
      tx,
      "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, grants, "
      "status, expires_at, created_at, external_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {out.account_id, person_id, a.org_id, a.username, a.kind, a.roles, a.remits, a.grants,
       std::string(service ? "active" : "pending_enrolment"), out.account_expires_at, created,
       a.external_id ? store::Value{*a.external_id} : store::Value{}}));
  if (!service && token_lifetime.count() > 0) {
    out.token_expires_at = now + token_lifetime;
    ASSIGN_OR_RETURN(out.enrolment_token,
                     IssueEnrolmentToken(tx, random, out.account_id, out.token_expires_at));
  }
  return out;
}

Result<std::optional<Person>> FindPerson(store::Transaction& tx, std::string_view email) {
  ASSIGN_OR_RETURN(auto rows,
                   tx.Query("SELECT id, org_id FROM people WHERE email = ?", {std::string(email)}));
  if (rows.empty()) return std::optional<Person>();
  return Person{rows.front().Text(0), rows.front().Text(1)};
}

Result<bool> UsernameTaken(store::Transaction& tx, std::string_view username) {
  ASSIGN_OR_RETURN(auto rows,
                   tx.Query("SELECT 1 FROM accounts WHERE username = ?", {std::string(username)}));
  return !rows.empty();
}

Result<bool> HoldsLiveAccount(store::Transaction& tx, std::string_view person_id,
                              std::string_view kind) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT 1 FROM accounts WHERE person_id = ? AND kind = ? "
                                       "AND kind <> 'service' AND status <> 'left'",
                                       {std::string(person_id), std::string(kind)}));
  return !rows.empty();
}

Result<std::optional<Account>> LoadStoredAccount(store::Transaction& tx, std::string_view id) {
  static const std::string sql =
      fmt::format("SELECT {} FROM accounts a WHERE a.id = ?", kStoredAccountColumns);
  return OneAccount(tx, sql, {std::string(id)});
}

Result<std::optional<Account>> FindAccountNamed(store::Transaction& tx, std::string_view name,
                                                bool by_email) {
  // A person who left and came back has a left account beside the live one: the live one is the
  // leaver now.
  static const std::string by_email_sql = fmt::format(
      "SELECT {} FROM accounts a JOIN people p ON p.id = a.person_id WHERE p.email = ? AND "
      "a.kind = 'standard' ORDER BY a.status = 'left', a.created_at DESC LIMIT 1",
      kStoredAccountColumns);
  static const std::string by_username_sql =
      fmt::format("SELECT {} FROM accounts a WHERE a.username = ?", kStoredAccountColumns);
  return OneAccount(tx, by_email ? by_email_sql : by_username_sql, {std::string(name)});
}

Result<void> EndAccess(store::Transaction& tx, std::string_view account_id, TimePoint now) {
  const std::string id(account_id);
  const auto at = FormatRfc3339(now);
  RETURN_IF_ERROR(EndSessions(tx, id));
  RETURN_IF_ERROR(Exec(tx, "DELETE FROM login_challenges WHERE account_id = ?", {id}));
  RETURN_IF_ERROR(Exec(tx, "DELETE FROM webauthn_challenges WHERE account_id = ?", {id}));
  RETURN_IF_ERROR(Exec(tx, "DELETE FROM known_devices WHERE account_id = ?", {id}));
  RETURN_IF_ERROR(Exec(tx,
                       "UPDATE enrolment_tokens SET used_at = ? WHERE account_id = ? AND "
                       "used_at IS NULL",
                       {at, id}));
  return Exec(tx,
              "UPDATE api_tokens SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
              {at, id});
}

Result<void> MarkLeft(store::Transaction& tx, std::string_view account_id, TimePoint now) {
  RETURN_IF_ERROR(Exec(tx, "UPDATE accounts SET status = 'left', left_at = ? WHERE id = ?",
                       {FormatRfc3339(now), std::string(account_id)}));
  return EndAccess(tx, account_id, now);
}

Result<std::optional<Holder>> HolderOf(store::Transaction& tx, std::string_view account_id) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT p.name, p.email, COALESCE(p.bpss_verified_on, ''), "
                                       "COALESCE(p.bpss_verified_by, '') FROM accounts a JOIN "
                                       "people p ON p.id = a.person_id WHERE a.id = ?",
                                       {std::string(account_id)}));
  if (rows.empty()) return std::optional<Holder>();
  const auto& r = rows.front();
  return Holder{r.Text(0), r.Text(1), r.Text(2), r.Text(3)};
}

std::string WhyNotReenrol(Kind kind, std::string_view status) {
  if (kind == Kind::kService) {
    return "a service account never enrols: issue it a new API token instead";
  }
  if (status == "active" || status == "locked" || status == "pending_enrolment") return "";
  if (status == "left") return "the account has left: a person who returns joins again";
  return "the account is " + std::string(status) + ": renew it first";
}

Result<MadeAccount> ReopenEnrolment(store::Transaction& tx, crypto::Random& random, TimePoint now,
                                    std::string_view account_id,
                                    std::chrono::hours token_lifetime) {
  ASSIGN_OR_RETURN(auto account, LoadStoredAccount(tx, account_id));
  if (!account) return Fail(ErrorCode::kNotFound, "no such user");
  if (auto why = WhyNotReenrol(account->kind, account->status); !why.empty()) {
    return Fail(ErrorCode::kFailedPrecondition, std::move(why));
  }
  const std::string id(account_id);
  RETURN_IF_ERROR(EndAccess(tx, id, now));
  RETURN_IF_ERROR(LiftLocks(tx, id));
  RETURN_IF_ERROR(Exec(tx,
                       "UPDATE accounts SET status = 'pending_enrolment', password_hash = NULL, "
                       "totp_key = NULL, totp_secret = NULL, totp_last_step = -1 WHERE id = ?",
                       {id}));
  // The factors of the enrolment that ends: enrolment's recovery codes, security keys' keys.
  RETURN_IF_ERROR(Exec(tx, "DELETE FROM recovery_codes WHERE account_id = ?", {id}));
  RETURN_IF_ERROR(Exec(tx, "DELETE FROM webauthn_credentials WHERE account_id = ?", {id}));
  MadeAccount out;
  out.account_id = id;
  out.username = account->username;
  out.account_expires_at = FormatRfc3339(account->expires_at);
  out.reopened = true;
  out.token_expires_at = now + token_lifetime;
  ASSIGN_OR_RETURN(out.enrolment_token, IssueEnrolmentToken(tx, random, id, out.token_expires_at));
  return out;
}

Result<void> Reassign(store::Transaction& tx, std::string_view account_id, std::string_view roles,
                      std::string_view remits, std::string_view grants, std::string_view previous,
                      TimePoint now) {
  RETURN_IF_ERROR(Exec(tx,
                       "UPDATE accounts SET roles = ?, remits = ?, grants = ?, moved_at = ?, "
                       "previous_assignment = ? WHERE id = ?",
                       {std::string(roles), std::string(remits), std::string(grants),
                        FormatRfc3339(now), std::string(previous), std::string(account_id)}));
  return EndSessions(tx, account_id);
}

Result<void> SetExpiry(store::Transaction& tx, std::string_view account_id, TimePoint when,
                       TimePoint now) {
  const std::string id(account_id);
  if (when > now) {
    return Exec(tx, "UPDATE accounts SET expires_at = ? WHERE id = ?", {FormatRfc3339(when), id});
  }
  RETURN_IF_ERROR(Exec(tx,
                       "UPDATE accounts SET expires_at = ?, status = CASE WHEN status = 'locked' "
                       "THEN 'locked' ELSE 'expired' END WHERE id = ?",
                       {FormatRfc3339(when), id}));
  return EndAccess(tx, id, now);
}

Result<void> Revalidate(store::Transaction& tx, std::string_view account_id, TimePoint until) {
  return Exec(tx,
              "UPDATE accounts SET expires_at = ?, status = CASE WHEN status = 'expired' THEN "
              "CASE WHEN password_hash IS NULL THEN 'pending_enrolment' ELSE 'active' END ELSE "
              "status END WHERE id = ?",
              {FormatRfc3339(until), std::string(account_id)});
}

Result<std::vector<std::pair<std::string, std::string>>> ExpireDue(store::Transaction& tx,
                                                                   TimePoint now, int limit) {
  ASSIGN_OR_RETURN(auto due, tx.Query("SELECT id, org_id FROM accounts WHERE status IN "
                                      "('active', 'pending_enrolment') AND expires_at <= ? "
                                      "LIMIT ?",
                                      {FormatRfc3339(now), int64_t{limit}}));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : due) {
    RETURN_IF_ERROR(Exec(tx, "UPDATE accounts SET status = 'expired' WHERE id = ?", {r.Text(0)}));
    RETURN_IF_ERROR(EndAccess(tx, r.Text(0), now));
    out.emplace_back(r.Text(0), r.Text(1));
  }
  return out;
}

Result<std::vector<UserRow>> ListUsers(store::Transaction& tx, std::string_view org_id,
                                       const UserFilter& filter, TimePoint now) {
  std::string sql = fmt::format(
      "SELECT {} FROM accounts a JOIN people p ON p.id = a.person_id WHERE 1 = 1", kUserColumns);
  store::Params params;
  if (!org_id.empty()) {
    sql += " AND a.org_id = ?";
    params.emplace_back(std::string(org_id));
  }
  if (!filter.status.empty()) {
    sql += " AND a.status = ?";
    params.emplace_back(filter.status);
  }
  if (filter.expiring_within_days >= 0) {
    sql += " AND a.status IN ('active', 'pending_enrolment', 'locked') AND a.expires_at <= ?";
    params.emplace_back(FormatRfc3339(now + std::chrono::days(filter.expiring_within_days)));
  }
  if (filter.moved_since) {
    sql += " AND (a.moved_at >= ? OR a.left_at >= ?)";
    params.emplace_back(FormatRfc3339(*filter.moved_since));
    params.emplace_back(FormatRfc3339(*filter.moved_since));
  }
  if (filter.dormant_days >= 0) {
    // Never signed in counts from when the account was made.
    sql += " AND a.status = 'active' AND COALESCE(a.last_login_at, a.created_at) <= ?";
    params.emplace_back(FormatRfc3339(now - std::chrono::days(filter.dormant_days)));
  }
  ASSIGN_OR_RETURN(auto rows, tx.Query(sql + " ORDER BY a.username", params));
  std::vector<UserRow> out;
  for (const auto& r : rows) out.push_back(UserOf(r));
  return out;
}

Result<void> SetPersonName(store::Transaction& tx, std::string_view account_id,
                           std::string_view name) {
  return Exec(tx,
              "UPDATE people SET name = ? WHERE id = (SELECT person_id FROM accounts WHERE id = ?)",
              {std::string(name), std::string(account_id)});
}

Result<void> SetExternalId(store::Transaction& tx, std::string_view account_id,
                           std::string_view external_id) {
  return Exec(tx, "UPDATE accounts SET external_id = ? WHERE id = ?",
              {std::string(external_id), std::string(account_id)});
}

Result<Census> TakeCensus(store::Transaction& tx, TimePoint now) {
  using std::chrono::days;
  const auto today = FormatRfc3339(now).substr(0, 10);
  const auto soon = FormatRfc3339(now + days(30)).substr(0, 10);
  Census c;
  ASSIGN_OR_RETURN(auto orgs, tx.Query("SELECT COALESCE(iso27001_expires_on, ''), "
                                       "COALESCE(cep_expires_on, '') FROM organisations WHERE "
                                       "status = 'active'"));
  for (const auto& r : orgs) {
    ++c.orgs_active;
    const std::string dates[] = {r.Text(0), r.Text(1)};
    bool missing = false, lapsed = false, lapsing = false;
    for (const auto& d : dates) {
      missing = missing || d.empty();
      lapsed = lapsed || (!d.empty() && d <= today);
      lapsing = lapsing || (!d.empty() && d <= soon);
    }
    c.orgs_uncertified += missing;
    c.orgs_lapsed += lapsed;
    c.orgs_lapsing += lapsing && !lapsed;
  }
  ASSIGN_OR_RETURN(auto stale, tx.Query("SELECT COUNT(*) FROM sessions WHERE last_seen_at < ?",
                                        {FormatRfc3339(now - days(1))}));
  c.stale_sessions = stale.front().Int(0);
  const auto now_text = FormatRfc3339(now);
  ASSIGN_OR_RETURN(
      auto rows,
      tx.Query("SELECT a.username, a.kind, ',' || a.roles || ',', a.expires_at, "
               "COALESCE(a.last_login_at, a.created_at), CASE WHEN a.totp_secret IS NOT NULL AND "
               "length(a.totp_secret) > 0 THEN 1 ELSE 0 END, CASE WHEN "
               "COALESCE(p.bpss_verified_on, '') <> '' THEN 1 ELSE 0 END, o.status "
               "FROM accounts a JOIN people p ON p.id = a.person_id "
               "JOIN organisations o ON o.id = a.org_id WHERE a.status = 'active'"));
  const auto cap = FormatRfc3339(now + days(kMaxAgreedExpiryDays + 1));
  const auto dormant_before = FormatRfc3339(now - days(90));
  for (const auto& r : rows) {
    ++c.accounts_active;
    const auto kind = r.Text(1);
    const auto roles = r.Text(2);
    const bool person = kind != "service";
    c.past_expiry += r.Text(3) <= now_text;
    c.beyond_cap += r.Text(3) > cap;
    c.without_mfa += person && r.Int(5) == 0;
    c.without_bpss += person && r.Int(6) == 0;
    c.dormant += person && r.Text(4) < dormant_before;
    c.in_inactive_org += r.Text(7) != "active";
    c.generic_names += !CanonicalUsername(r.Text(0));
    const bool reads =
        roles.find(",reader,") != std::string::npos || roles.find(",editor,") != std::string::npos;
    c.privileged_readers += kind == "privileged" && reads;
    c.standard += kind == "standard";
    c.editors += kind == "standard" && roles.find(",editor,") != std::string::npos;
  }
  return c;
}

}  // namespace strongroom::identity
