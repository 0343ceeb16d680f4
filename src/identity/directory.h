#pragma once
// The directory: organisations, the people in them and their accounts, as the workflows that
// change them (lifecycle: joiners, movers, leavers, expiry, certificates, SCIM) see them. Identity
// owns the organisations, people and accounts tables; nothing else writes them or reads their
// columns, and this is where every change to them is made.
//
// Each function runs inside the caller's transaction; the caller decides (authz) and audits.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "crypto/random.h"
#include "identity/account.h"
#include "identity/factor_policy.h"
#include "store/key_store.h"
#include "store/store.h"

namespace strongroom::identity {

inline constexpr int kMaxAgreedExpiryDays = 365;

struct Certificate {
  std::string reference;
  std::string expires_on;  // YYYY-MM-DD
};

struct OrgInput {
  std::string name;
  int agreed_expiry_days = 90;
  Certificate iso27001;
  Certificate cyber_essentials_plus;
  bool identity_provider_approves = false;
};

struct Org {
  std::string id;
  std::string name;
  std::string status;
  int agreed_expiry_days = 0;
  Certificate iso27001;
  Certificate cyber_essentials_plus;
  std::string created_at;
  bool identity_provider_approves = false;
  FactorPolicy factors;  // which second factors its people may sign in with (factor_policy.h)
};

// Sets which second factors the organisation's people may sign in with; nullopt if there is no
// such organisation.
Result<std::optional<Org>> SetFactorPolicy(store::Transaction& tx, std::string_view id,
                                           const FactorPolicy& policy);

// Makes an active organisation and its key.
Result<Org> InsertOrg(store::Transaction& tx, store::KeyStore& keys, std::string_view id,
                      const OrgInput& input, TimePoint now);
Result<std::optional<Org>> FindOrg(store::Transaction& tx, std::string_view id);
// The organisation's second-factor policy (the default for one that is not there).
Result<FactorPolicy> FactorPolicyOf(store::Transaction& tx, std::string_view org_id);
Result<bool> OrgNameTaken(store::Transaction& tx, std::string_view name);

struct OrgFilter {
  std::string id;          // "" = every organisation
  std::string lapsing_by;  // YYYY-MM-DD: a certificate expiring by then; "" = any
};
Result<std::vector<Org>> ListOrgs(store::Transaction& tx, const OrgFilter& filter);

// Records renewed certificates (an organisation suspended for lapsed ones is active again);
// nullopt if there is no such organisation.
Result<std::optional<Org>> SetCertificates(store::Transaction& tx, std::string_view id,
                                           const Certificate& iso27001,
                                           const Certificate& cyber_essentials_plus);
// The active organisations with a certificate expired by `today` (YYYY-MM-DD).
Result<std::vector<std::string>> LapsedOrgs(store::Transaction& tx, std::string_view today);
// Suspends an organisation: its people cannot sign in, and all their access ends now.
Result<void> SuspendOrg(store::Transaction& tx, std::string_view id, TimePoint now);

struct NewAccount {
  std::string org_id;
  std::string username;
  std::string person_name;
  std::string person_email;
  std::string kind;
  std::string roles;  // comma-separated lists, already checked
  std::string remits;
  std::string grants;
  std::string bpss_verified_on;
  std::string bpss_verified_by;
  std::optional<std::string> external_id;
  int64_t expiry_days = 90;  // the organisation's agreed period (at most 365)
};

struct MadeAccount {
  std::string account_id;
  std::string username;
  std::string enrolment_token;  // shown once, to the approver, to pass to the person
  TimePoint token_expires_at{};
  std::string account_expires_at;
  bool reopened = false;  // an account that was there, reopened for enrolment (ReopenEnrolment)
};

// Makes the account, and its person unless one has the email already; with an enrolment token
// valid for `token_lifetime` unless that is zero (service accounts are active at once and never
// enrol). kAlreadyExists if the username is taken or the person holds a live account of the kind.
Result<MadeAccount> InsertAccount(store::Transaction& tx, crypto::Random& random, TimePoint now,
                                  const NewAccount& account, std::chrono::hours token_lifetime);

struct Person {
  std::string id;
  std::string org_id;
};
Result<std::optional<Person>> FindPerson(store::Transaction& tx, std::string_view email);
// Whether an account, even one that left, has the username: usernames are never reassigned.
Result<bool> UsernameTaken(store::Transaction& tx, std::string_view username);
// Whether the person holds a live (not left) account of `kind`; service accounts never count.
Result<bool> HoldsLiveAccount(store::Transaction& tx, std::string_view person_id,
                              std::string_view kind);
// The account with its own status (an account of a suspended organisation is not shown as
// "suspended", as LoadAccount shows it), or nullopt.
Result<std::optional<Account>> LoadStoredAccount(store::Transaction& tx, std::string_view id);
// The account a username names, or a person's email (their live standard
// account, else the one that left), with its own status; nullopt if none.
Result<std::optional<Account>> FindAccountNamed(store::Transaction& tx, std::string_view name,
                                                bool by_email);

// Ends every way the account signs in or acts: sessions, login challenges, known devices,
// unused enrolment tokens and API tokens.
Result<void> EndAccess(store::Transaction& tx, std::string_view account_id, TimePoint now);
// A leaver: status `left` for good, and its access ended.
Result<void> MarkLeft(store::Transaction& tx, std::string_view account_id, TimePoint now);
// The person an account belongs to, as a join request names them; nullopt if no such account.
struct Holder {
  std::string name;
  std::string email;
  std::string bpss_verified_on;
  std::string bpss_verified_by;
};
Result<std::optional<Holder>> HolderOf(store::Transaction& tx, std::string_view account_id);
// Why the account's owner may not enrol again (an account that left, expired or is disabled, a
// service account, which never enrols); "" if they may.
std::string WhyNotReenrol(Kind kind, std::string_view status);
// Re-enrolment (lost security keys, authenticator and recovery codes): the account's password,
// second factors, security keys and recovery codes are forgotten, its access ended (EndAccess)
// and every lock lifted, and it waits for enrolment, as a new account does, with a new token
// valid for `token_lifetime`. kNotFound for no such account; kFailedPrecondition with
// WhyNotReenrol's reason.
Result<MadeAccount> ReopenEnrolment(store::Transaction& tx, crypto::Random& random, TimePoint now,
                                    std::string_view account_id, std::chrono::hours token_lifetime);
// A mover: the assignment replaced (the previous one kept for the record), sessions ended.
Result<void> Reassign(store::Transaction& tx, std::string_view account_id, std::string_view roles,
                      std::string_view remits, std::string_view grants, std::string_view previous,
                      TimePoint now);
// Moves the account's expiry to `when`; at `now` or before, it expires now (a locked account
// stays locked) and its access ends.
Result<void> SetExpiry(store::Transaction& tx, std::string_view account_id, TimePoint when,
                       TimePoint now);
// Re-validated until `until`: an expired account is back as it was (active, or still to enrol).
Result<void> Revalidate(store::Transaction& tx, std::string_view account_id, TimePoint until);
// Expires up to `limit` active or pending accounts past their date; their ids and organisations.
// A locked account stays locked past its date: expiring it would let a renewal make it active.
Result<std::vector<std::pair<std::string, std::string>>> ExpireDue(store::Transaction& tx,
                                                                   TimePoint now, int limit);

struct UserFilter {
  std::string status;                    // "" = any
  int expiring_within_days = -1;         // -1 = no filter: else active accounts expiring that soon
  std::optional<TimePoint> moved_since;  // moved or left since
  int dormant_days = -1;                 // -1 = no filter: else no login for that many days
};

struct UserRow {
  std::string id;
  std::string username;
  std::string org_id;
  std::string kind;
  std::string roles;
  std::string remits;
  std::string grants;
  std::string status;
  std::string expires_at;
  std::string last_login_at;
  std::string moved_at;
  std::string left_at;
  std::string person_name;
  std::string person_email;
};

// Accounts with their people, by username; `org_id` "" = every organisation.
Result<std::vector<UserRow>> ListUsers(store::Transaction& tx, std::string_view org_id,
                                       const UserFilter& filter, TimePoint now);

// The standard accounts of organisation ?1 as a SQL query with named columns (account_id,
// username, external_id, name, email, status, created), for SCIM's view of users.
inline constexpr std::string_view kStandardAccountsSql = R"sql(
  SELECT a.id AS account_id, a.username AS username, a.external_id AS external_id,
         p.name AS name, p.email AS email, a.status AS status, a.created_at AS created
  FROM accounts a JOIN people p ON p.id = a.person_id
  WHERE a.org_id = ?1 AND a.kind = 'standard'
)sql";
// Changes a person's name, and an account's external id (from an identity provider).
Result<void> SetPersonName(store::Transaction& tx, std::string_view account_id,
                           std::string_view name);
Result<void> SetExternalId(store::Transaction& tx, std::string_view account_id,
                           std::string_view external_id);

// What the compliance report (compliance/report.h) counts of the directory at `now`. Active
// accounts only, and of people (service accounts have no second factor, BPSS or sign-in).
struct Census {
  int64_t orgs_active = 0;
  int64_t orgs_lapsed = 0;       // active, with a supplier certificate past its expiry
  int64_t orgs_lapsing = 0;      // active, with one expiring within 30 days (none lapsed)
  int64_t orgs_uncertified = 0;  // active, with a certificate not recorded at all
  int64_t accounts_active = 0;
  int64_t past_expiry = 0;         // still active past expires_at
  int64_t beyond_cap = 0;          // expiring further off than kMaxAgreedExpiryDays
  int64_t without_mfa = 0;         // a person's account with no second factor
  int64_t without_bpss = 0;        // a person's account whose person has no BPSS date
  int64_t privileged_readers = 0;  // privileged accounts holding reader or editor
  int64_t dormant = 0;             // no sign-in for 90 days (or never, made 90 days ago)
  int64_t generic_names = 0;       // usernames the username rules now refuse
  int64_t in_inactive_org = 0;     // active accounts of a suspended or pending organisation
  int64_t standard = 0;
  int64_t editors = 0;         // standard accounts holding editor
  int64_t stale_sessions = 0;  // sessions unused for a day, which the purge should have ended
};
Result<Census> TakeCensus(store::Transaction& tx, TimePoint now);

}  // namespace strongroom::identity
