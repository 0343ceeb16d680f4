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

// One worker, held busy until released, so that what is queued behind it can be arranged.
struct Held {
  explicit Held(WorkerPool& pool, Priority p = Priority::kSignedInRead) {
    EXPECT_TRUE(pool.TrySubmit(
        p,
        [this] {
          running.count_down();
          release.wait();
          finished.count_down();
        },
        nullptr));
    running.wait();
  }
  // Not before the task is done with the latches.
  ~Held() {
    Release();
    finished.wait();
  }
  void Release() {
    if (!released) release.count_down();
    released = true;
  }
  std::latch running{1};
  std::latch release{1};
  std::latch finished{1};
  bool released = false;
};

constexpr auto kRead = Priority::kSignedInRead;
constexpr auto kWrite = Priority::kSignedInWrite;
constexpr auto kAnon = Priority::kAnonymous;

TEST(WorkerPoolTest, SignedInReadsGoBeforeWritesAndAnonymousTasksHaveTheirOwnWorkers) {
  ManualClock clock(TimePoint{});
  WorkerPool pool(clock, {1, 100, 1});
  std::mutex mu;
  std::string order;
  auto note = [&](char c) {
    return [&, c] {
      std::lock_guard lock(mu);
      order += c;
    };
  };
  {
    Held busy(pool);
    for (auto [p, c] : {std::pair{kWrite, 'w'}, {kRead, 'r'}, {kRead, 's'}, {kWrite, 'x'}}) {
      ASSERT_TRUE(pool.TrySubmit(p, note(c), nullptr));
    }
    // The signed-in worker is busy; an anonymous task runs on its own worker all the same.
    std::latch anonymous(1);
    ASSERT_TRUE(pool.TrySubmit(
        kAnon, [&] { anonymous.count_down(); }, nullptr));
    anonymous.wait();
    EXPECT_EQ(pool.Queued(), 4u);
  }
  pool.Stop();
  EXPECT_EQ(order, "rswx") << "reads first, first in first out within a priority";
}

TEST(WorkerPoolTest, AnonymousTasksNeverRunOnTheSignedInWorkers) {
  ManualClock clock(TimePoint{});
  WorkerPool pool(clock, {2, 100, 1});
  Held anonymous(pool, kAnon);  // the one anonymous worker is busy
  std::atomic<int> anonymous_ran{0};
  ASSERT_TRUE(pool.TrySubmit(
      kAnon, [&] { ++anonymous_ran; }, nullptr));
  // The two signed-in workers are idle, and stay for signed-in work, which runs at once.
  std::latch read(1), write(1);
  ASSERT_TRUE(pool.TrySubmit(
      kRead, [&] { read.count_down(); }, nullptr));
  ASSERT_TRUE(pool.TrySubmit(
      kWrite, [&] { write.count_down(); }, nullptr));
  read.wait();
  write.wait();
  EXPECT_EQ(anonymous_ran, 0) << "an anonymous task ran on a signed-in worker";
  EXPECT_EQ(pool.Queued(), 1u);
  anonymous.Release();
  pool.Stop();
  EXPECT_EQ(anonymous_ran, 1);
}

TEST(WorkerPoolTest, WithoutAnonymousWorkersAnonymousTasksAreRefused) {
  WorkerPool pool(2, 10);
  EXPECT_FALSE(pool.TrySubmit(
      kAnon, [] {}, nullptr));
  EXPECT_TRUE(pool.TrySubmit(
      kWrite, [] {}, nullptr));
}

// An anonymous task that blocks its worker until released, once it has started.
struct Blocking {
  std::function<void()> Task() {
    return [this] {
      started.count_down();
      release.wait();
    };
  }
  std::latch started{1};
  std::latch release{1};
};

// CoDel on the anonymous queue: a delay above target shorter than an interval is a burst, and
// nothing is shed; once it has lasted an interval, tasks are shed at dequeue and new ones refused,
// until one comes through that waited less than target.
TEST(WorkerPoolTest, ABurstAboveTargetIsNotShed) {
  ManualClock clock(TimePoint{});
  WorkerPool pool(clock,
                  {1, 100, 1, std::chrono::milliseconds(20), std::chrono::milliseconds(100)});
  std::atomic<int> ran{0}, shed{0};
  {
    Held busy(pool, kAnon);
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(pool.TrySubmit(
          kAnon, [&] { ++ran; }, [&] { ++shed; }));
    }
    clock.Advance(std::chrono::milliseconds(50));  // each has waited 50 ms: above target
  }
  // The first taken starts the interval; the rest are taken within it.
  pool.Stop();
  EXPECT_EQ(ran, 4);
  EXPECT_EQ(shed, 0);
  EXPECT_EQ(pool.Shed(), 0u);
}

TEST(WorkerPoolTest, PastAnIntervalAboveTargetAnonymousTasksAreShedAndRefused) {
  ManualClock clock(TimePoint{});
  WorkerPool pool(clock,
                  {1, 100, 1, std::chrono::milliseconds(20), std::chrono::milliseconds(100)});
  std::atomic<int> ran{0}, shed{0};
  std::latch last(1);
  auto anon = [&] {
    return pool.TrySubmit(
        kAnon,
        [&] {
          ++ran;
          last.count_down();
        },
        [&] { ++shed; });
  };
  // A task taken after waiting 50 ms, with another behind it: the standing queue is noticed. It
  // runs, and holds the anonymous worker while more queue and the interval passes.
  Blocking first;
  {
    Held busy(pool, kAnon);
    ASSERT_TRUE(pool.TrySubmit(kAnon, first.Task(), nullptr));
    ASSERT_TRUE(anon());
    clock.Advance(std::chrono::milliseconds(50));
  }
  first.started.wait();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(anon());
  clock.Advance(std::chrono::milliseconds(150));
  // Past the interval: a new anonymous task is refused at once; signed-in ones are not.
  EXPECT_FALSE(anon());
  std::latch read(1);
  ASSERT_TRUE(pool.TrySubmit(
      kRead, [&] { read.count_down(); }, nullptr));
  read.wait();
  // The four queued are taken 200 ms late: three are shed; the last, which drains the queue, runs.
  first.release.count_down();
  last.wait();
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(shed, 3);
  EXPECT_EQ(pool.Shed(), 4u) << "three shed at dequeue, one refused at the door";
  // A drained queue stands no more: the next anonymous task is taken, and runs.
  std::latch again(1);
  ASSERT_TRUE(pool.TrySubmit(
      kAnon, [&] { again.count_down(); }, [&] { ++shed; }));
  again.wait();
  EXPECT_EQ(shed, 3);
  pool.Stop();
}

TEST(WorkerPoolTest, AFullQueueMakesRoomForHigherPriorityByShedding) {
  ManualClock clock(TimePoint{});
  WorkerPool pool(clock, {1, 2, 1});
  std::atomic<int> shed_anon{0}, shed_write{0}, ran{0};
  Held busy(pool);
  Held anonymous_busy(pool, kAnon);
  ASSERT_TRUE(pool.TrySubmit(
      kAnon, [&] { ++ran; }, [&] { ++shed_anon; }));
  ASSERT_TRUE(pool.TrySubmit(
      kWrite, [&] { ++ran; }, [&] { ++shed_write; }));
  EXPECT_FALSE(pool.TrySubmit(
      kAnon, [&] { ++ran; }, nullptr))
      << "nothing lower to displace";
  ASSERT_TRUE(pool.TrySubmit(
      kRead, [&] { ++ran; }, nullptr));
  EXPECT_EQ(shed_anon, 1) << "the anonymous task gave up its place";
  ASSERT_TRUE(pool.TrySubmit(
      kRead, [&] { ++ran; }, nullptr));
  EXPECT_EQ(shed_write, 1) << "then the write";
  EXPECT_FALSE(pool.TrySubmit(
      kRead, [&] { ++ran; }, nullptr))
      << "full of reads";
  EXPECT_EQ(pool.Queued(), 2u);
  EXPECT_EQ(pool.Shed(), 4u);
  busy.Release();
  anonymous_busy.Release();
  pool.Stop();
  EXPECT_EQ(ran, 2) << "the two reads";
}

}  // namespace
}  // namespace strongroom::http
