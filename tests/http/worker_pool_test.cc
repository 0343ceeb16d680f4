#include "http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>

namespace strongroom::http {
namespace {

TEST(WorkerPoolTest, RefusesWhenTheQueueIsFullInsteadOfGrowing) {
  WorkerPool pool(1, 2);
  std::latch running(1), release(1);
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TrySubmit([&] {
    running.count_down();
    release.wait();
    ++ran;
  }));
  running.wait();  // the only worker is busy; the queue holds two more
  EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_FALSE(pool.TrySubmit([&] { ++ran; }));
  release.count_down();
  pool.Stop();  // drains what was accepted
  EXPECT_EQ(ran, 3);
  EXPECT_FALSE(pool.TrySubmit([] {}));
}

}  // namespace
}  // namespace strongroom::http
