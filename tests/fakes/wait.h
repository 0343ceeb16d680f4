#pragma once
// Waiting for something another thread or process does (a listener hears, a node comes back),
// without a sleep standing in for it: `done` is polled every `poll` until it holds or `limit`
// has passed.

#include <chrono>
#include <functional>
#include <thread>

namespace strongroom::testing {

// Whether `done` came to hold within `limit`.
inline bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit,
                    std::chrono::milliseconds poll = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(poll);
  }
  return true;
}

}  // namespace strongroom::testing
