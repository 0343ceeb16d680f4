// Raw Argon2id verification rate at Strongroom's parameters (crypto::VerifyPassword, as a sign-in
// calls it), on THREADS threads (default one per core): the peer that the end-to-end login
// benchmark is compared with.
//
// Usage: argon2_bench [seconds] [threads]

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "crypto/password.h"

int main(int argc, char** argv) {
  using namespace strongroom;
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5;
  const auto hash = crypto::HashPassword("a long and private passphrase");
  if (!hash) return 1;
  const unsigned threads = argc > 2 ? static_cast<unsigned>(std::max(1, std::atoi(argv[2])))
                                    : std::max(1u, std::thread::hardware_concurrency());
  std::atomic<bool> stop{false};
  std::atomic<long> done{0};
  std::vector<std::thread> workers;
  const auto start = std::chrono::steady_clock::now();
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (!stop) {
        if (!crypto::VerifyPassword(*hash, "a long and private passphrase")) std::abort();
        ++done;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // measuring, not testing
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("{:.1f}\n", static_cast<double>(done) / elapsed);
  return 0;
}
