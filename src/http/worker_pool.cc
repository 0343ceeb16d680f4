#include "http/worker_pool.h"

#include <sys/resource.h>
#include <unistd.h>

namespace strongroom::http {
namespace {

constexpr size_t kAnonymous = static_cast<size_t>(Priority::kAnonymous);

// The clock of the pools that do not sort their tasks (their delay is never looked at).
const Clock& PlainClock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace

WorkerPool::WorkerPool(const Clock& clock, WorkerPoolOptions options)
    : clock_(clock), options_(options), lowered_(std::max(0, options.anonymous_threads)) {
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Loop(false); });
  for (int i = 0; i < options_.anonymous_threads; ++i) {
    threads_.emplace_back([this] {
      // This thread only (on Linux, `who` 0 is the calling thread, which has its own nice value);
      // lowering priority needs no privilege. Should it fail, the thread serves at the ordinary
      // priority.
      (void)::setpriority(PRIO_PROCESS, 0, 19);
      lowered_.count_down();
      Loop(true);
    });
  }
  lowered_.wait();  // ready, its anonymous workers at their priority, once constructed
}

WorkerPool::WorkerPool(int threads, int max_queue)
    : WorkerPool(PlainClock(), {threads, max_queue, 0}) {}

WorkerPool::~WorkerPool() { Stop(); }

bool WorkerPool::Dropping(TimePoint now) const {
  return above_target_until_ && now >= *above_target_until_;
}

bool WorkerPool::TrySubmit(Priority priority, std::function<void()> run,
                           std::function<void()> shed) {
  const auto p = static_cast<size_t>(priority);
  std::function<void()> evicted;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || (p == kAnonymous && options_.anonymous_threads == 0)) return false;
    const auto now = clock_.Now();
    if (p == kAnonymous && Dropping(now) && !queues_[p].empty()) {
      ++shed_;
      return false;  // it would only stand in the queue
    }
    if (queued_ >= static_cast<size_t>(options_.max_queue)) {
      // Room is made by the newest task of the lowest priority below this one, if any.
      std::optional<size_t> victim;
      for (size_t q = queues_.size(); q-- > p + 1;) {
        if (!queues_[q].empty()) {
          victim = q;
          break;
        }
      }
      ++shed_;
      if (!victim) return false;
      evicted = std::move(queues_[*victim].back().shed);
      queues_[*victim].pop_back();
      --queued_;
    }
    queues_[p].push_back(Task{std::move(run), std::move(shed), now});
    ++queued_;
  }
  (p == kAnonymous ? anonymous_cv_ : cv_).notify_one();
  if (evicted) evicted();
  return true;
}

size_t WorkerPool::Queued() {
  std::lock_guard lock(mu_);
  return queued_;
}

uint64_t WorkerPool::Shed() {
  std::lock_guard lock(mu_);
  return shed_;
}

void WorkerPool::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  anonymous_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool WorkerPool::Runnable(bool anonymous) const {
  if (anonymous) return !queues_[kAnonymous].empty();
  return !queues_[0].empty() || !queues_[1].empty();
}

std::optional<WorkerPool::Task> WorkerPool::Next(bool anonymous, bool* shed) {
  const size_t first = anonymous ? kAnonymous : 0;
  const size_t last = anonymous ? kAnonymous : kAnonymous - 1;
  for (size_t p = first; p <= last; ++p) {
    if (queues_[p].empty()) continue;
    Task task = std::move(queues_[p].front());
    queues_[p].pop_front();
    --queued_;
    *shed = false;
    if (p == kAnonymous) {
      // CoDel: a delay above target for a whole interval is a standing queue; shed until a task
      // comes through that waited less than target, or the last one (a drained queue stands no
      // more: the next burst starts afresh).
      const auto now = clock_.Now();
      if (now - task.queued < options_.target || queues_[p].empty()) {
        above_target_until_.reset();
      } else if (!above_target_until_) {
        above_target_until_ = now + options_.interval;
      } else if (now >= *above_target_until_) {
        *shed = true;
        ++shed_;
      }
    }
    return task;
  }
  return std::nullopt;
}

void WorkerPool::Loop(bool anonymous) {
  for (;;) {
    bool shed = false;
    std::optional<Task> task;
    {
      std::unique_lock lock(mu_);
      (anonymous ? anonymous_cv_ : cv_).wait(lock, [&] {
        return stopping_ || Runnable(anonymous);
      });
      task = Next(anonymous, &shed);
      if (!task) return;  // stopping, and nothing left for this worker
    }
    if (shed) {
      if (task->shed) task->shed();
    } else {
      task->run();
    }
  }
}

}  // namespace strongroom::http
