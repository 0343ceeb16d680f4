#pragma once
// A migrated store (seen through a CountingStore), the audit log, the key store and Auth on
// a clock moved by hand, with cheap Argon2id parameters; people are made through the same writers
// as an approved join request and enrolled through Auth itself, so their TOTP codes are
// computed here from the secret the service hands out.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>

#include "audit/audit_log.h"
#include "crypto/master_key.h"
#include "crypto/signing.h"
#include "crypto/totp.h"
#include "fakes/audit_journal.h"
#include "fakes/counting_store.h"
#include "fakes/temp_dir.h"
#include "identity/auth.h"
#include "identity/directory.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::identity {

inline constexpr const char* kPassword = "a long and private passphrase";

class AuthFixture {
 public:
  AuthFixture()
      : signing(crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom())),
        master(crypto::GenerateMasterKey(Environment::kTest, crypto::DefaultRandom())) {
    sqlite = std::move(*store::SqliteStore::Open({dir / "db", 2, 256}));
    (void)store::Migrate(*sqlite);
    store = std::make_unique<testing::CountingStore>(*sqlite);
    // No checkpoint inside a test: each path's statements stay comparable.
    audit = testing::OpenAuditLog(*store, clock, signing, dir / "audit", 1'000'000);
    keys = std::make_unique<store::KeyStore>(master, Environment::kTest, crypto::DefaultRandom(),
                                             clock);
    AuthOptions options;
    options.argon2 = {1, 64 * 1024};
    auth = std::make_unique<Auth>(*store, *audit, *keys, clock, crypto::DefaultRandom(), common,
                                  options);
    (void)store->Write([&](store::Transaction& tx) -> Result<void> {
      OrgInput org{"Acme", 90, {"ISO-1", "2099-01-01"}, {"CEP-1", "2099-01-01"}};
      ASSIGN_OR_RETURN(auto made, identity::InsertOrg(tx, *keys, "org-a", org, clock.Now()));
      (void)made;
      return {};
    });
  }

  // A new account waiting for its owner to enrol, as an approved join request leaves it.
  MadeAccount Pending(const std::string& username, const std::string& kind = "standard",
                      const std::string& roles = "reader") {
    identity::NewAccount a;
    a.org_id = "org-a";
    a.username = username;
    a.person_name = "Person " + username;
    a.person_email = username + "@example.org";
    a.kind = kind;
    a.roles = roles;
    a.remits = kind == "standard" ? "north" : "";
    a.bpss_verified_on = "2026-01-01";
    a.bpss_verified_by = "HR";
    MadeAccount approved;
    EXPECT_TRUE(store->Write([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(approved, identity::InsertAccount(tx, crypto::DefaultRandom(), clock.Now(),
                                                         a, std::chrono::hours(72)));
      return {};
    }));
    return approved;
  }

  // Keeps the TOTP secret the service handed `username` at enrolment, to compute its codes.
  void KeepSecret(const std::string& username, const EnrolmentStart& start) {
    const auto& uri = start.totp_uri;
    const auto at = uri.find("secret=") + 7;
    secrets[username] = *Base32Decode(uri.substr(at, uri.find('&', at) - at));
  }

  // An active account, enrolled with kPassword; returns its id.
  std::string Person(const std::string& username, const std::string& kind = "standard",
                     const std::string& roles = "reader") {
    const auto approved = Pending(username, kind, roles);
    auto start = auth->enrolment.Begin(approved.enrolment_token, kPassword, ctx);
    EXPECT_TRUE(start) << (start ? "" : start.error().message);
    KeepSecret(username, *start);
    auto codes = auth->enrolment.Confirm(approved.enrolment_token, Code(username), ctx);
    EXPECT_TRUE(codes);
    if (codes) recovery[username] = *codes;
    NextStep();
    return approved.account_id;
  }

  // The TOTP code of `username` now.
  std::string Code(const std::string& username) {
    return crypto::HotpCode(secrets.at(username), crypto::TotpCounter(clock.Now()));
  }
  // Each code works once: the next sign-in needs the next step.
  void NextStep() { clock.Advance(crypto::kTotpStep); }

  Result<NewSession> SignIn(const std::string& username, const std::string& device = "",
                            const RequestContext& from = {"192.0.2.7", "req-test"}) {
    ASSIGN_OR_RETURN(auto challenge, auth->sign_in.Login(username, kPassword, device, from));
    return auth->sign_in.CompleteMfa(challenge.challenge, Code(username), from);
  }

  std::string Status(const std::string& account_id) {
    std::string status;
    (void)sqlite->Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto rows,
                       tx.Query("SELECT status FROM accounts WHERE id = ?", {account_id}));
      if (!rows.empty()) status = rows.front().Text(0);
      return {};
    });
    return status;
  }

  // A principal as Authenticate gives it, made by hand (its account is not in the store), active
  // for 30 days, with a fresh second factor.
  Principal ByHand(const std::string& id, const std::string& org, Kind kind,
                   const std::string& roles) {
    Principal p;
    p.account.id = id;
    p.account.username = id + ".user";
    p.account.kind = kind;
    p.account.roles = Roles::Parse(roles).value_or(Roles{});
    p.account.org_id = org;
    p.account.person_id = "per-" + id;
    p.account.status = "active";
    p.account.expires_at = clock.Now() + std::chrono::days(30);
    p.session_id = "sess-" + id;
    p.mfa_at = FormatRfc3339(clock.Now());
    return p;
  }

  // A real, active account of the store (made as an approved join request makes it, with its own
  // person), as its session would authenticate it, with a fresh second factor.
  Principal Real(const std::string& username, const std::string& kind, const std::string& roles) {
    // A service account is active at once, and never enrols.
    const auto id = kind == "service" ? Pending(username, kind, roles).account_id
                                      : Person(username, kind, roles);
    auto account = store::ReadValue<std::optional<Account>>(
        *store, [&](store::Transaction& tx) { return LoadAccount(tx, id); });
    EXPECT_TRUE(account && *account);
    Principal p;
    if (account && *account) p.account = **account;
    p.session_id = "sess-" + username;
    p.mfa_at = FormatRfc3339(clock.Now());
    return p;
  }

  // The audit events with `action`, oldest first, parsed.
  std::vector<boost::json::object> Events(const std::string& action) {
    return testing::JournalEvents(dir / "audit", action);
  }

  const RequestContext ctx{"192.0.2.7", "req-test"};
  testing::TempDir dir;
  ManualClock clock{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  crypto::SigningKey signing;
  crypto::MasterKeyHandle master;
  CommonPasswords common;
  std::unique_ptr<store::SqliteStore> sqlite;
  std::unique_ptr<testing::CountingStore> store;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<store::KeyStore> keys;
  std::unique_ptr<Auth> auth;
  std::map<std::string, Bytes> secrets;
  std::map<std::string, std::vector<std::string>> recovery;  // each enrolled person's codes
};

// A request from the n-th address of a documentation range.
inline RequestContext From(int n) {
  return {"198.51.100." + std::to_string(n), "req-" + std::to_string(n)};
}

// Service-level tests of authentication's parts, on an AuthFixture.
class AuthTest : public ::testing::Test {
 protected:
  AuthFixture f_;

  // Waits out (on the test clock) every 429 of `attempt` until it answers something else.
  template <typename Fn>
  auto Patiently(Fn attempt) {
    for (;;) {
      auto r = attempt();
      if (r || r.error().code != ErrorCode::kResourceExhausted) return r;
      EXPECT_GT(r.error().retry_after_s, 0);
      f_.clock.Advance(std::chrono::seconds(r.error().retry_after_s));
    }
  }
};

}  // namespace strongroom::identity
