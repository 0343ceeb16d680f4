// Audit log benchmarks, each printed as a ratio against a peer measured in the same run:
//
//   group-commit  durable appends/s through the store's group commit, against the same code with
//                 one commit (one fsync) per event. Target: >= 20x.
//   verify        `audit verify` throughput over the canonical bytes of the log, against
//                 `sha256sum` over a file holding the same bytes. Target: >= 50 %.
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

std::unique_ptr<store::SqliteStore> FreshStore(const std::filesystem::path& path, int max_batch) {
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  auto s = std::move(*store::SqliteStore::Open({path, 2, max_batch}));
  if (!store::Migrate(*s)) std::abort();
  return s;
}

// Events/s with `threads` recorders for `seconds`.
double AppendRate(const std::filesystem::path& path, int max_batch, int threads, double seconds) {
  auto s = FreshStore(path, max_batch);
  SystemClock clock;
  auto key = crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom());
  audit::AuditLog log(*s, clock, key, Environment::kTest);
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
double AsyncAppendRate(const std::filesystem::path& path, int max_batch, int in_flight,
                       double seconds) {
  auto s = FreshStore(path, max_batch);
  SystemClock clock;
  auto key = crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom());
  audit::AuditLog log(*s, clock, key, Environment::kTest);
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

  const double grouped = AppendRate(dir / "grouped.db", 512, threads, secs);
  const double single = AppendRate(dir / "single.db", 1, threads, secs);
  fmt::print("group-commit: {} recorders, {:.0f} s each, same disk\n", threads, secs);
  fmt::print("  group commit        : {:>9.0f} durable events/s\n", grouped);
  fmt::print("  one fsync per event : {:>9.0f} durable events/s\n", single);
  fmt::print("  ratio = {:.1f}x  (target >= 20x: {})\n", grouped / single,
             grouped / single >= 20 ? "met" : "NOT met");

  const double async_grouped = AsyncAppendRate(dir / "agrouped.db", 512, 256, secs);
  const double async_single = AsyncAppendRate(dir / "asingle.db", 1, 256, secs);
  fmt::print("group-commit, asynchronous appends: 256 in flight from one producer, same disk\n");
  fmt::print("  group commit        : {:>9.0f} durable events/s\n", async_grouped);
  fmt::print("  one fsync per event : {:>9.0f} durable events/s\n", async_single);
  fmt::print("  ratio = {:.1f}x  (target >= 20x: {})\n", async_grouped / async_single,
             async_grouped / async_single >= 20 ? "met" : "NOT met");

  // Build a log of verify_events events, then time verify against sha256sum of the same bytes.
  auto s = FreshStore(dir / "verify.db", 512);
  SystemClock clock;
  auto key = crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom());
  audit::AuditLog log(*s, clock, key, Environment::kTest);
  const int per_tx = 1000;
  for (int base = 0; base < verify_events; base += per_tx) {
    auto r = s->Write([&](store::Transaction& tx) -> Result<void> {
      for (int i = base; i < base + per_tx && i < verify_events; ++i) {
        ASSIGN_OR_RETURN(auto seq, log.Append(tx, SampleEvent(i)));
        (void)seq;
      }
      return {};
    });
    if (!r) std::abort();
  }
  const auto path = dir / "canonical.txt";
  {
    std::ofstream out(path, std::ios::binary);
    auto r = s->Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT canonical FROM audit_events ORDER BY seq"));
      for (const auto& row : rows) out << row.Text(0);
      return {};
    });
    if (!r) std::abort();
  }
  auto t0 = SteadyClock::now();
  auto report = audit::Verify(*s, key.public_key, Environment::kTest);
  const double verify_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  if (!report || !report->ok) std::abort();
  t0 = SteadyClock::now();
  const std::string cmd = "sha256sum " + path.string() + " > /dev/null";
  if (std::system(cmd.c_str()) != 0) std::abort();
  const double sha_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  const double bytes = static_cast<double>(report->bytes);
  fmt::print("verify: {} events, {:.1f} MB of canonical text\n", report->events, bytes / 1e6);
  fmt::print("  strongroom audit verify : {:>8.1f} MB/s ({:.3f} s)\n", bytes / verify_s / 1e6,
             verify_s);
  fmt::print("  sha256sum, same bytes   : {:>8.1f} MB/s ({:.3f} s)\n", bytes / sha_s / 1e6, sha_s);
  fmt::print("  ratio = {:.2f}  (target >= 0.50: {})\n", sha_s / verify_s,
             sha_s / verify_s >= 0.5 ? "met" : "NOT met");
  std::filesystem::remove_all(dir);
  return 0;
}
