// Audit journal benchmarks, each printed as a ratio against a peer measured in the same run:
//
//   group-commit  durable appends/s with many recorders sharing each write and fdatasync, against
//                 the same journal with one recorder (one fdatasync per event). Target: >= 20x.
//   verify        `audit verify` throughput over the journal's bytes, against `sha256sum` over
//                 the same segment files. Target: >= 50 %.
//   search        a search by actor over the whole journal's index (newest 100 events), in ms.
//                 Target: <= 5 ms at 1,000,000 events.
//
// Usage: audit_bench DIR [events-for-verify]   (DIR on the disk to measure; it is emptied)

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "audit/audit_log.h"
#include "audit/verifier.h"
#include "crypto/signing.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using namespace strongroom;
using SteadyClock = std::chrono::steady_clock;

audit::Event SampleEvent(int i) {
  audit::Event e;
  e.actor = {"acc-" + std::to_string(i % 97), "user.name", "standard", "sess-1"};
  e.source = "192.0.2.10";
  e.action = "record.view";
  e.target = {"record", "rec-" + std::to_string(i), "org-1"};
  e.allowed = true;
  e.reason = "reader in remit, OFFICIAL";
  e.request_id = "0123456789abcdef";
  return e;
}

struct Fresh {
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<audit::AuditLog> log;
};

// A new store and audit journal under `dir`.
Fresh FreshLog(const std::filesystem::path& dir, const Clock& clock,
               const crypto::SigningKey& key) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Fresh f;
  f.store = std::move(*store::SqliteStore::Open({dir / "db", 2, 512}));
  if (!store::Migrate(*f.store)) std::abort();
  auto log = audit::AuditLog::Open(*f.store, clock, key, Environment::kTest,
                                   {dir / "audit", "bench", 1000, 64 << 20, true});
  if (!log) std::abort();
  f.log = std::move(*log);
  return f;
}

// Events/s with `threads` recorders for `seconds`.
double AppendRate(const std::filesystem::path& dir, int threads, double seconds) {
  SystemClock clock;
  auto key = crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom());
  auto f = FreshLog(dir, clock, key);
  auto& log = *f.log;
  std::atomic<int64_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  const auto start = SteadyClock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        if (!log.Record(SampleEvent(t * 1'000'000 + i))) std::abort();
        ++done;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // measuring, not testing
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return static_cast<double>(done) / elapsed;
}

// Events/s with `in_flight` appends kept outstanding by one producer (no thread per append).
double AsyncAppendRate(const std::filesystem::path& dir, int in_flight, double seconds) {
  SystemClock clock;
  auto key = crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom());
  auto f = FreshLog(dir, clock, key);
  auto& log = *f.log;
  std::mutex mu;
  std::condition_variable cv;
  int outstanding = 0;
  int64_t done = 0;
  const auto start = SteadyClock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  for (int i = 0; SteadyClock::now() < end; ++i) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return outstanding < in_flight; });
      ++outstanding;
    }
    log.RecordAsync(SampleEvent(i), [&](Result<int64_t> r) {
      if (!r) std::abort();
      std::lock_guard lock(mu);
      --outstanding;
      ++done;
      cv.notify_one();
    });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return outstanding == 0; });
  const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return static_cast<double>(done) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: audit_bench DIR [events-for-verify]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const int verify_events = argc > 2 ? std::atoi(argv[2]) : 200'000;
  std::filesystem::create_directories(dir);
  const int threads =
      std::getenv("AUDIT_BENCH_THREADS") ? std::atoi(std::getenv("AUDIT_BENCH_THREADS")) : 64;
  const double secs = 5;

  const double grouped = AppendRate(dir / "grouped", threads, secs);
  const double single = AppendRate(dir / "single", 1, secs);
  fmt::print("group-commit: {:.0f} s each, same disk\n", secs);
  fmt::print("  {:>3} recorders       : {:>9.0f} durable events/s\n", threads, grouped);
  fmt::print("    1 recorder        : {:>9.0f} durable events/s (one fdatasync each)\n", single);
  fmt::print("  ratio = {:.1f}x  (target >= 20x: {})\n", grouped / single,
             grouped / single >= 20 ? "met" : "NOT met");

  const double async_grouped = AsyncAppendRate(dir / "agrouped", 256, secs);
  fmt::print("group-commit, asynchronous appends: 256 in flight from one producer\n");
  fmt::print("  {:>9.0f} durable events/s ({:.1f}x one recorder)\n", async_grouped,
             async_grouped / single);

  // A journal of verify_events events, then verify against sha256sum of the same segment files.
  SystemClock clock;
  auto key = crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom());
  auto f = FreshLog(dir / "verify", clock, key);
  {
    std::mutex mu;
    std::condition_variable cv;
    int outstanding = 0;
    for (int i = 0; i < verify_events; ++i) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return outstanding < 4096; });
        ++outstanding;
      }
      f.log->RecordAsync(SampleEvent(i), [&](Result<int64_t> r) {
        if (!r) std::abort();
        std::lock_guard lock(mu);
        --outstanding;
        cv.notify_one();
      });
    }
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return outstanding == 0; });
  }
  auto t0 = SteadyClock::now();
  if (!f.log->Search({.actor = "acc-1", .limit = 1})) std::abort();  // indexes everything
  const double index_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  t0 = SteadyClock::now();
  const int searches = 200;
  for (int i = 0; i < searches; ++i) {
    auto page = f.log->Search({.actor = "acc-" + std::to_string(i % 97), .limit = 100});
    if (!page || page->events.size() != 100) std::abort();
  }
  const double search_ms =
      std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count() / searches;
  t0 = SteadyClock::now();
  auto report =
      audit::Verify(f.log->journal().dir(), f.log->index(), key.public_key, Environment::kTest);
  const double verify_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  if (!report || !report->ok) std::abort();
  t0 = SteadyClock::now();
  const std::string cmd =
      "sha256sum " + (f.log->journal().dir() / "*.seg").string() + " > /dev/null";
  if (std::system(cmd.c_str()) != 0) std::abort();
  const double sha_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  const double bytes = static_cast<double>(report->bytes);
  fmt::print("verify: {} events, {:.1f} MB of journal\n", report->events, bytes / 1e6);
  fmt::print("  strongroom audit verify : {:>8.1f} MB/s ({:.3f} s)\n", bytes / verify_s / 1e6,
             verify_s);
  fmt::print("  sha256sum, same files   : {:>8.1f} MB/s ({:.3f} s)\n", bytes / sha_s / 1e6, sha_s);
  fmt::print("  ratio = {:.2f}  (target >= 0.50: {})\n", sha_s / verify_s,
             sha_s / verify_s >= 0.5 ? "met" : "NOT met");
  fmt::print(
      "search: by actor, newest 100 of {} events: {:.2f} ms each (indexing it all first: "
      "{:.2f} s)  (target <= 5 ms at 1,000,000 events)\n",
      report->events, search_ms, index_s);
  f.log.reset();
  f.store->Close();
  std::filesystem::remove_all(dir);
  return 0;
}
