#pragma once
// An exclusive advisory lock on a file (flock), held for the life of the object. `serve` holds the
// instance lock so that maintenance commands that must not run beside it (`keys rotate`) refuse
// instead of racing it. The kernel releases the lock if the process dies.

#include <filesystem>

#include "common/error.h"

namespace strongroom {

class InstanceLock {
 public:
  // kFailedPrecondition if another process holds it.
  static Result<InstanceLock> Acquire(const std::filesystem::path& path);
  ~InstanceLock();
  InstanceLock(InstanceLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  InstanceLock& operator=(InstanceLock&&) = delete;
  InstanceLock(const InstanceLock&) = delete;

 private:
  explicit InstanceLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace strongroom
