#pragma once
// Secret bytes: key material, passwords, tokens. A `Secret` owns its bytes, wipes them when it is
// destroyed or overwritten, never copies implicitly, and has no operator<< or formatter, so a
// secret cannot reach a log line by accident. Use `view()` only at the call that needs the bytes.

#include <cstddef>
#include <cstdint>
#include <span>

namespace strongroom {

// Overwrites `bytes` with zeros in a way the optimiser may not remove.
void SecureWipe(std::span<uint8_t> bytes);

class Secret {
 public:
  Secret() = default;
  explicit Secret(size_t size) { Allocate(size, false); }
  explicit Secret(std::span<const uint8_t> bytes);
  ~Secret() { Release(); }

  // Long-lived key material: on pages of its own, locked against swapping (mlock), left out of
  // core dumps (MADV_DONTDUMP) and of any child process (MADV_DONTFORK). If the lock is refused
  // (RLIMIT_MEMLOCK) or no pages can be had, the secret is still made and LockFailures() counts
  // it.
  static Secret Locked(std::span<const uint8_t> bytes);
  static int64_t LockFailures();

  Secret(Secret&& other) noexcept { Take(other); }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      Release();
      Take(other);
    }
    return *this;
  }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  // An explicit copy, for the rare place that must hold the secret twice (locked if this is).
  Secret Clone() const;

  std::span<const uint8_t> view() const { return {data_, size_}; }
  std::span<uint8_t> mutable_view() { return {data_, size_}; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool locked() const { return locked_; }

 private:
  void Allocate(size_t size, bool locked);
  void Release();
  void Take(Secret& other) {
    data_ = other.data_;
    size_ = other.size_;
    capacity_ = other.capacity_;
    locked_ = other.locked_;
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
    other.locked_ = false;
  }

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;  // bytes allocated (whole pages when locked)
  bool locked_ = false;
};

}  // namespace strongroom
