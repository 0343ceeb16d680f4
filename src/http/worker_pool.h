#pragma once
// A fixed set of threads running queued tasks, with a bounded queue. `TrySubmit` never blocks:
// when the queue is full it refuses, and the caller answers 503 with Retry-After (load shedding)
// instead of letting work pile up without bound.
//
// Thread-safety: TrySubmit may be called from any thread. Stop drains queued tasks and joins.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace strongroom::http {

class WorkerPool {
 public:
  WorkerPool(int threads, int max_queue);
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  [[nodiscard]] bool TrySubmit(std::function<void()> task);
  // Tasks waiting for a thread.
  size_t Queued();
  void Stop();

 private:
  void Loop();

  const size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace strongroom::http
