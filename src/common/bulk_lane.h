#pragma once
// Bulk work that people are not waiting on as they wait on a view (building a 10,000-record export
// archive, say) runs here so that it does not slow what they are: one thread at a low CPU priority
// (nice 10), running one job at a time, in order, for callers who wait for their job (Run) or who
// leave it to answer for them (Post). When the
// cores are busy with ordinary work, a job gets about a tenth of an ordinary thread's share and
// views keep their latency; when they are idle, it runs at full speed.
//
// The anonymous workers sit lower still (nice 19, http/worker_pool.h): a bulk job is asked for by
// a signed-in, privileged user, and should finish while they wait.
//
// Thread-safety: Run and Post may be called from any thread, also while other calls wait.
// Destruction runs every job queued, then ends: it must not race with Run or Post.

#include <sys/resource.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace strongroom {

class BulkLane {
 public:
  // Its thread's nice value (the process's seccomp filter allows exactly this, app/sandbox.cc).
  static constexpr int kNice = 10;

  BulkLane()
      : thread_([this] {
          // This thread only (`who` 0: on Linux each thread has its own nice value); lowering
          // needs no privilege. Should it fail, jobs run at the ordinary priority.
          (void)::setpriority(PRIO_PROCESS, 0, kNice);
          Loop();
        }) {}
  BulkLane(const BulkLane&) = delete;
  BulkLane& operator=(const BulkLane&) = delete;
  ~BulkLane() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // Runs `job` on the lane's thread and returns once it has run (an exception it throws is
  // rethrown here).
  void Run(const std::function<void()>& job) {
    auto p = std::make_shared<Pending>(Pending{job, true});
    std::unique_lock lock(mu_);
    queue_.push_back(p);
    cv_.notify_all();
    cv_.wait(lock, [&] { return p->done; });
    if (p->thrown) std::rethrow_exception(p->thrown);
  }

  // Queues `job` to run on the lane's thread and returns at once: for a caller that must not hold
  // its own thread meanwhile (a worker that answers a request when the job is done). The job
  // reports its own outcome and must not throw: one that does ends the process, as an exception
  // leaving a thread's function does.
  void Post(std::function<void()> job) {
    auto p = std::make_shared<Pending>(Pending{std::move(job), false});
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(p));
    cv_.notify_all();
  }

 private:
  struct Pending {
    std::function<void()> job;
    bool waited;  // by Run's caller, who is handed what it throws
    bool done = false;
    std::exception_ptr thrown;
  };

  void Loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto p = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      std::exception_ptr thrown;
      if (p->waited) {
        try {
          p->job();
        } catch (...) {
          thrown = std::current_exception();
        }
      } else {
        p->job();  // noexcept in effect: see Post
      }
      lock.lock();
      p->thrown = thrown;
      p->done = true;
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Pending>> queue_;  // guarded by mu_
  bool stopping_ = false;                       // guarded by mu_
  std::thread thread_;                          // last: its loop uses the members above
};

}  // namespace strongroom
