// The gate that bounds concurrent Argon2id computations (common/gate.h, crypto/password.h): a
// caller beyond the limit waits until one inside leaves; no limit lets everyone in.

#include "common/gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "crypto/password.h"

namespace strongroom {
namespace {

// Until `done` holds (a state another thread reaches), yielding: no sleep stands for it.
template <typename Fn>
void Until(Fn done) {
  while (!done()) std::this_thread::yield();
}

TEST(GateTest, ACallerBeyondTheLimitWaitsUntilOneLeaves) {
  Gate gate(2);
  gate.Enter();
  gate.Enter();
  std::atomic<bool> in{false};
  std::thread third([&] {
    const Gate::Pass pass(gate);
    in = true;
  });
  Until([&] { return gate.Waiting() == 1; });
  EXPECT_FALSE(in.load()) << "two inside: the third waits";
  EXPECT_EQ(gate.Inside(), 2);
  gate.Leave();
  third.join();
  EXPECT_TRUE(in.load());
  gate.Leave();
  EXPECT_EQ(gate.Inside(), 0);
  EXPECT_EQ(gate.Peak(), 2);
}

TEST(GateTest, NoLimitLetsEveryoneInAndARaisedLimitLetsAWaiterIn) {
  Gate open;
  for (int i = 0; i < 5; ++i) open.Enter();
  EXPECT_EQ(open.Inside(), 5);
  for (int i = 0; i < 5; ++i) open.Leave();

  Gate gate(1);
  gate.Enter();
  std::thread second([&] { const Gate::Pass pass(gate); });
  Until([&] { return gate.Waiting() == 1; });
  gate.SetLimit(2);
  second.join();
  EXPECT_EQ(gate.Peak(), 2);
  gate.Leave();
}

// Password hashing goes through the process's gate: with a limit of one, four threads hashing at
// once never compute two at a time, and some had to wait (the test shows it looked).
TEST(GateTest, PasswordHashesComputeNoMoreAtOnceThanTheLimit) {
  crypto::LimitConcurrentHashes(1);
  const crypto::Argon2Params cheap{1, 1024 * 1024};
  std::atomic<int> most_waiting{0};
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    while (!stop) {
      most_waiting = std::max(most_waiting.load(), crypto::HashGate().Waiting());
      EXPECT_LE(crypto::HashGate().Inside(), 1);
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> hashers;
  for (int t = 0; t < 4; ++t) {
    hashers.emplace_back([&] {
      for (int i = 0; i < 8; ++i) {
        auto hash = crypto::HashPassword("a long and private passphrase", cheap);
        ASSERT_TRUE(hash);
        EXPECT_TRUE(crypto::VerifyPassword(*hash, "a long and private passphrase"));
      }
    });
  }
  for (auto& t : hashers) t.join();
  stop = true;
  watcher.join();
  crypto::LimitConcurrentHashes(0);
  EXPECT_GE(most_waiting.load(), 1) << "the hashers overlapped, and waited";
}

}  // namespace
}  // namespace strongroom
