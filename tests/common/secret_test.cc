// Secrets: moved, never copied implicitly; long-lived ones locked in memory on pages of their own.

#include "common/secret.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace strongroom {
namespace {

// This process's locked memory, in kB, as the kernel counts it.
long LockedKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmLck:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(SecretTest, MovedNotCopied) {
  const uint8_t bytes[] = {1, 2, 3, 4};
  Secret a(bytes);
  Secret b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b.view()[3], 4);
  auto c = b.Clone();
  c.mutable_view()[0] = 9;
  EXPECT_EQ(b.view()[0], 1) << "a clone is its own bytes";
  EXPECT_FALSE(b.locked());
}

TEST(SecretTest, ALockedSecretHoldsItsOwnLockedPagesWhileItLives) {
  const long before = LockedKb();
  ASSERT_GE(before, 0) << "VmLck is read";
  const uint8_t bytes[32] = {7};
  const auto failures = Secret::LockFailures();
  {
    auto key = Secret::Locked(bytes);
    ASSERT_TRUE(key.locked());
    ASSERT_EQ(key.size(), 32u);
    EXPECT_EQ(key.view()[0], 7);
    auto second = key.Clone();
    EXPECT_TRUE(second.locked()) << "a clone of a locked secret is locked";
    if (Secret::LockFailures() == failures) {
      EXPECT_GE(LockedKb(), before + 8) << "two pages, one each";
      { auto third = Secret::Locked(bytes); }
      EXPECT_GE(LockedKb(), before + 8) << "ending one never unlocks another's page";
    }
    auto moved = std::move(key);
    EXPECT_TRUE(moved.locked());
  }
  EXPECT_EQ(LockedKb(), before) << "unlocked when they go";
}

}  // namespace
}  // namespace strongroom
