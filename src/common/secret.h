#pragma once
// Secret bytes: key material, passwords, tokens. A `Secret` owns its bytes, wipes them when it is
// destroyed or overwritten, never copies implicitly, and has no operator<< or formatter, so a
// secret cannot reach a log line by accident. Use `view()` only at the call that needs the bytes.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace strongroom {

// Overwrites `bytes` with zeros in a way the optimiser may not remove.
void SecureWipe(std::span<uint8_t> bytes);

class Secret {
 public:
  Secret() = default;
  explicit Secret(size_t size) : bytes_(size) {}
  explicit Secret(std::span<const uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
  ~Secret() { SecureWipe(bytes_); }

  Secret(Secret&& other) noexcept : bytes_(std::move(other.bytes_)) { other.bytes_.clear(); }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      SecureWipe(bytes_);
      bytes_ = std::move(other.bytes_);
      other.bytes_.clear();
    }
    return *this;
  }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  // An explicit copy, for the rare place that must hold the secret twice.
  Secret Clone() const { return Secret(std::span<const uint8_t>(bytes_)); }

  std::span<const uint8_t> view() const { return bytes_; }
  std::span<uint8_t> mutable_view() { return bytes_; }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace strongroom
