#include "common/secret.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <new>

namespace strongroom {
namespace {

std::atomic<int64_t> lock_failures{0};

size_t PageSize() {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

}  // namespace

void SecureWipe(std::span<uint8_t> bytes) {
  volatile uint8_t* p = bytes.data();
  for (size_t i = 0; i < bytes.size(); ++i) p[i] = 0;
}

Secret::Secret(std::span<const uint8_t> bytes) {
  Allocate(bytes.size(), false);
  std::copy(bytes.begin(), bytes.end(), data_);
}

Secret Secret::Locked(std::span<const uint8_t> bytes) {
  Secret s;
  s.Allocate(bytes.size(), true);
  std::copy(bytes.begin(), bytes.end(), s.data_);
  return s;
}

int64_t Secret::LockFailures() { return lock_failures.load(); }

Secret Secret::Clone() const { return locked_ ? Locked(view()) : Secret(view()); }

void Secret::Allocate(size_t size, bool locked) {
  size_ = size;
  locked_ = false;
  if (size == 0) return;
  if (locked) {
    // Pages of its own, so that unlocking them when it goes never unlocks another secret.
    capacity_ = (size + PageSize() - 1) / PageSize() * PageSize();
    void* p =
        ::mmap(nullptr, capacity_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      data_ = static_cast<uint8_t*>(p);
      locked_ = true;
      (void)::madvise(p, capacity_, MADV_DONTDUMP);
      (void)::madvise(p, capacity_, MADV_DONTFORK);
      // The kernel's own call: the sanitizers' runtime replaces mlock() with a no-op.
      if (::syscall(SYS_mlock, p, capacity_) != 0) lock_failures.fetch_add(1);
      return;
    }
    lock_failures.fetch_add(1);  // no pages to be had: held as an ordinary secret
  }
  capacity_ = size;
  data_ = new uint8_t[size]();
}

void Secret::Release() {
  if (data_ == nullptr) return;
  SecureWipe({data_, capacity_});
  if (locked_) {
    (void)::syscall(SYS_munlock, data_, capacity_);
    (void)::munmap(data_, capacity_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
  size_ = capacity_ = 0;
  locked_ = false;
}

}  // namespace strongroom
