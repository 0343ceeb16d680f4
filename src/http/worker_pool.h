#pragma once
// A fixed set of threads running queued tasks: admission control for the handlers that may block.
//
// Each task comes with its priority (who is asking) and a way to refuse it (`shed`, which answers
// 503 with Retry-After). When the process is saturated, tasks are shed in priority order,
// anonymous first and signed-in reads last, on queueing delay rather than queue length alone:
//
// 1. Signed-in tasks run on `threads` workers, reads before writes. Anonymous tasks (sign-in,
//    enrolment: Argon2id at each, and anyone may send them) run only on their own
//    `anonymous_threads` workers, at the lowest CPU priority (nice 19): a flood of them, from
//    however many addresses, gets the cores only when signed-in users leave them idle.
// 2. The anonymous queue is managed as CoDel manages a packet queue: when the time its tasks
//    have waited has stayed above `target` for a whole `interval` (a standing queue, not a
//    burst), each anonymous task taken from it is shed instead of run, and new anonymous tasks
//    are refused at once, until a task is taken that waited less than `target` or the queue
//    drains.
// 3. The queue is bounded: a task arriving at a full queue takes the place of the newest queued
//    task of a lower priority (which is shed), or is refused.
//
// `TrySubmit` never blocks. A refused task is not run and its `shed` is not called: the caller
// answers it.
//
// Thread-safety: TrySubmit, Queued, Shed and Stop may be called from any thread. Stop drains the
// queue (running its tasks, or shedding them by the rules above) and joins.

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <latch>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/clock.h"

namespace strongroom::http {

enum class Priority : uint8_t {
  kSignedInRead = 0,
  kSignedInWrite = 1,
  kAnonymous = 2,
};

struct WorkerPoolOptions {
  int threads = 2;
  int max_queue = 1024;
  int anonymous_threads = 1;  // 0: anonymous tasks are refused
  // CoDel's: sized to the work (a sign-in is an Argon2id hash and two durable writes, 50-100 ms),
  // so that a few people signing in at once are served, and a flood is not.
  std::chrono::milliseconds target{250};
  std::chrono::milliseconds interval{1000};
};

class WorkerPool {
 public:
  // `clock` must outlive the pool.
  WorkerPool(const Clock& clock, WorkerPoolOptions options);
  // Every task equal (no anonymous workers): for callers that do not sort them.
  WorkerPool(int threads, int max_queue);
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  [[nodiscard]] bool TrySubmit(Priority priority, std::function<void()> run,
                               std::function<void()> shed);
  [[nodiscard]] bool TrySubmit(std::function<void()> run) {
    return TrySubmit(Priority::kSignedInRead, std::move(run), nullptr);
  }
  // Tasks waiting for a thread.
  size_t Queued();
  // Tasks shed (after queueing) or refused (at once) on delay or for room, so far.
  uint64_t Shed();
  void Stop();

 private:
  struct Task {
    std::function<void()> run;
    std::function<void()> shed;
    TimePoint queued;
  };
  void Loop(bool anonymous);
  // The next task for a signed-in or an anonymous worker, or nullopt to wait; sets `*shed` for an
  // anonymous one to shed instead of run.
  std::optional<Task> Next(bool anonymous, bool* shed);
  bool Runnable(bool anonymous) const;
  bool Dropping(TimePoint now) const;

  const Clock& clock_;
  const WorkerPoolOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;              // signed-in workers wait here
  std::condition_variable anonymous_cv_;    // and anonymous ones here
  std::array<std::deque<Task>, 3> queues_;  // by Priority; guarded by mu_
  size_t queued_ = 0;                       // guarded by mu_
  // CoDel's state for the anonymous queue: when its delay, above target since, has lasted an
  // interval (unset while below target).
  std::optional<TimePoint> above_target_until_;  // guarded by mu_
  uint64_t shed_ = 0;                            // guarded by mu_
  bool stopping_ = false;                        // guarded by mu_
  std::latch lowered_;  // counts the anonymous workers down to their priority
  std::vector<std::thread> threads_;
};

}  // namespace strongroom::http
