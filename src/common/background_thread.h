#pragma once
// A background thread that runs rounds of work until stopped: each round says how long to wait
// before the next, Wake ends that wait early (the next round runs at once), and Stop wakes it and
// joins the thread.
//
// Start and Stop are called by the owner's thread, Wake and Stopping by any; the rounds run on the
// background thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace strongroom {

class BackgroundThread {
 public:
  // A round of work; returns how long to wait before the next.
  using Round = std::function<std::chrono::milliseconds()>;

  BackgroundThread() = default;
  BackgroundThread(const BackgroundThread&) = delete;
  BackgroundThread& operator=(const BackgroundThread&) = delete;
  ~BackgroundThread() { Stop(); }

  // Waits `first_wait`, then runs `round` until stopped.
  void Start(std::chrono::milliseconds first_wait, Round round) {
    thread_ = std::thread([this, first_wait, round = std::move(round)] {
      for (auto wait = first_wait; !WaitFor(wait);) wait = round();
    });
  }

  // Runs the next round now (or, if one is running, as soon as it ends).
  void Wake() {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
    }
    cv_.notify_all();
  }

  // True once Stop has been called: a long round asks, to end early.
  bool Stopping() {
    std::lock_guard lock(mu_);
    return stopping_;
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  // True once stopping.
  bool WaitFor(std::chrono::milliseconds wait) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return stopping_ || woken_; });
    woken_ = false;
    return stopping_;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  bool woken_ = false;     // guarded by mu_
  std::thread thread_;
};

}  // namespace strongroom
