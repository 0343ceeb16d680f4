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

  // A privileged principal made by hand, with a fresh second factor.
  identity::Principal Admin(const std::string& id, const std::string& org,
                            const std::string& roles) {
    return f_.ByHand(id, org, identity::Kind::kPrivileged, roles);
  }

  identity::Principal Real(const std::string& username, const std::string& kind,
                           const std::string& roles) {
    return f_.Real(username, kind, roles);
  }
};

}  // namespace strongroom::lifecycle
