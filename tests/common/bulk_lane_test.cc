// The bulk lane: jobs run on its own thread at its lower priority, one at a time and whole, and
// each caller gets its own job's outcome.

#include "common/bulk_lane.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace strongroom {
namespace {

TEST(BulkLaneTest, AJobRunsOnTheLanesThreadAtItsLowerPriority) {
  const int caller_nice = ::getpriority(PRIO_PROCESS, 0);
  BulkLane lane;
  std::thread::id ran_on;
  int nice = -100;
  lane.Run([&] {
    ran_on = std::this_thread::get_id();
    nice = ::getpriority(PRIO_PROCESS, 0);
  });
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_EQ(nice, std::max(caller_nice, BulkLane::kNice));
  EXPECT_EQ(::getpriority(PRIO_PROCESS, 0), caller_nice) << "the caller's own priority is kept";
}

TEST(BulkLaneTest, JobsFromManyCallersRunOneAtATimeAndEachCallerWaitsForItsOwn) {
  BulkLane lane;
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  std::vector<int> done(8, 0);
  std::vector<std::thread> callers;
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&, i] {
      for (int round = 0; round < 50; ++round) {
        lane.Run([&] {
          most = std::max(most.load(), ++running);
          std::this_thread::yield();
          --running;
          ++done[static_cast<size_t>(i)];
        });
        // Back from Run: this caller's job has run, every time.
        EXPECT_EQ(done[static_cast<size_t>(i)], round + 1);
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(most.load(), 1);
  for (int n : done) EXPECT_EQ(n, 50);
}

TEST(BulkLaneTest, AJobsExceptionReachesItsCallerAndTheLaneGoesOn) {
  BulkLane lane;
  EXPECT_THROW(lane.Run([] { throw std::runtime_error("bulk job failed"); }), std::runtime_error);
  bool ran = false;
  lane.Run([&] { ran = true; });
  EXPECT_TRUE(ran);
}

// Post returns before its job runs: the poster's thread is free at once, and the jobs run on the
// lane in the order they were posted, among those run by waiting callers.
TEST(BulkLaneTest, APostedJobRunsLaterOnTheLaneInOrderWhileThePosterGoesOn) {
  BulkLane lane;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::vector<int> order;
  // The lane is held by a first job until the poster has returned from both posts.
  lane.Post([&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    order.push_back(1);
  });
  std::thread::id ran_on;
  lane.Post([&] {
    std::lock_guard lock(mu);
    order.push_back(2);
    ran_on = std::this_thread::get_id();
  });
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(order.empty()) << "neither has run: Post did not wait";
    release = true;
  }
  cv.notify_all();
  lane.Run([&] {
    std::lock_guard lock(mu);
    order.push_back(3);
  });
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(BulkLaneTest, JobsStillQueuedRunBeforeTheLaneEnds) {
  std::atomic<int> ran{0};
  {
    BulkLane lane;
    for (int i = 0; i < 20; ++i) lane.Post([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 20);
}

}  // namespace
}  // namespace strongroom
