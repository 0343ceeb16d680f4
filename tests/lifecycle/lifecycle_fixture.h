#pragma once
// The lifecycle's workflows on an AuthFixture, with principals made by hand (Admin) or from real
// accounts of the store (Real).

#include <gtest/gtest.h>

#include "identity/auth_fixture.h"
#include "lifecycle/lifecycle.h"

namespace strongroom::lifecycle {

class LifecycleTest : public ::testing::Test {
 protected:
  identity::AuthFixture f_;
  Lifecycle service_{*f_.store,        *f_.audit, *f_.keys, f_.clock, crypto::DefaultRandom(),
                     f_.auth->sessions};

  // A principal as Authenticate gives it, with a fresh second factor.
  identity::Principal Admin(const std::string& id, const std::string& org,
                            const std::string& roles) {
    identity::Principal p;
    p.account.id = id;
    p.account.username = id + ".admin";
    p.account.kind = identity::Kind::kPrivileged;
    p.account.roles = identity::Roles::Parse(roles).value_or(identity::Roles{});
    p.account.org_id = org;
    p.account.person_id = "per-" + id;
    p.account.status = "active";
    p.account.expires_at = f_.clock.Now() + std::chrono::days(30);
    p.session_id = "sess-" + id;
    p.mfa_at = FormatRfc3339(f_.clock.Now());
    return p;
  }

  // A real, active account of the store (made as an approved join request makes it, with its
  // own person), as its session would authenticate it, with a fresh second factor.
  identity::Principal Real(const std::string& username, const std::string& kind,
                           const std::string& roles) {
    // A service account is active at once, and never enrols.
    const auto id = kind == "service" ? f_.Pending(username, kind, roles).account_id
                                      : f_.Person(username, kind, roles);
    auto account = store::ReadValue<std::optional<identity::Account>>(
        *f_.store, [&](store::Transaction& tx) { return identity::LoadAccount(tx, id); });
    EXPECT_TRUE(account && *account);
    identity::Principal p;
    if (account && *account) p.account = **account;
    p.session_id = "sess-" + username;
    p.mfa_at = FormatRfc3339(f_.clock.Now());
    return p;
  }
};

}  // namespace strongroom::lifecycle
