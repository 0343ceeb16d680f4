#pragma once
// A bound on how many callers are inside at once: the others wait until one leaves. For work that
// holds a scarce resource (a core, a large allocation) while the threads that ask for it may
// outnumber it. A limit of 0 lets everyone in.
//
// Thread-safety: all methods may be called from any thread.

#include <condition_variable>
#include <mutex>

namespace strongroom {

class Gate {
 public:
  explicit Gate(int limit = 0) : limit_(limit) {}
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  // Takes effect for callers entering from now on.
  void SetLimit(int limit) {
    std::lock_guard lock(mu_);
    limit_ = limit;
    changed_.notify_all();
  }

  // Inside for as long as the pass lives.
  class Pass {
   public:
    explicit Pass(Gate& gate) : gate_(gate) { gate_.Enter(); }
    ~Pass() { gate_.Leave(); }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;

   private:
    Gate& gate_;
  };

  void Enter() {
    std::unique_lock lock(mu_);
    ++waiting_;
    changed_.wait(lock, [&] { return limit_ <= 0 || inside_ < limit_; });
    --waiting_;
    ++inside_;
    if (inside_ > peak_) peak_ = inside_;
  }
  void Leave() {
    std::lock_guard lock(mu_);
    --inside_;
    changed_.notify_one();
  }

  // Callers inside now, waiting now, and the most ever inside at once.
  int Inside() const {
    std::lock_guard lock(mu_);
    return inside_;
  }
  int Waiting() const {
    std::lock_guard lock(mu_);
    return waiting_;
  }
  int Peak() const {
    std::lock_guard lock(mu_);
    return peak_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  int limit_;
  int inside_ = 0;
  int waiting_ = 0;
  int peak_ = 0;
};

}  // namespace strongroom
