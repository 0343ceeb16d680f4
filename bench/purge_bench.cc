// Purge benchmark: crypto-shredding N records past retention, and what it does to reads running
// at the same time. Printed against peers measured in the same run:
//
//   purge      records purged per second (each one deleted with its wrapped key and audited).
//   reads      p99 latency of audited record views by 4 threads while the purge runs, against
//              their p99 with no purge (target: report the ratio; lower is better).
//
// Usage: purge_bench DIR [records]   (default 1,000,000; DIR on the disk to measure; emptied)

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "crypto/master_key.h"
#include "crypto/signing.h"
#include "records/purge.h"
#include "records/record_service.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using namespace strongroom;
using SteadyClock = std::chrono::steady_clock;

struct Reads {
  double p99_ms = 0;
  int64_t count = 0;
};

// Audited views of random kept records by `threads` threads until `stop`.
Reads MeasureReads(records::RecordService& service, const identity::Principal& reader,
                   const std::vector<std::string>& ids, std::atomic<bool>& stop, int threads) {
  std::vector<std::vector<double>> latencies(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      size_t i = static_cast<size_t>(t) * 7919;
      while (!stop.load()) {
        const auto start = SteadyClock::now();
        auto r = service.Get(reader, ids[i++ % ids.size()], {"bench", ""});
        const auto ms =
            std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
        if (r) latencies[static_cast<size_t>(t)].push_back(ms);
      }
    });
  }
  for (auto& th : pool) th.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  Reads out;
  out.count = static_cast<int64_t>(all.size());
  if (all.empty()) return out;
  std::sort(all.begin(), all.end());
  out.p99_ms = all[all.size() * 99 / 100];
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: purge_bench DIR [records]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const int64_t n = argc > 2 ? std::atoll(argv[2]) : 1'000'000;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = std::move(*store::SqliteStore::Open({dir / "bench.db", 4, 512}));
  (void)store::Migrate(*store);
  ManualClock clock{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  const auto key = crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom());
  const auto master = crypto::GenerateMasterKey(Environment::kTest, crypto::DefaultRandom());
  auto audit_log = audit::AuditLog::Open(*store, clock, key, Environment::kTest,
                                         {dir / "audit", "bench", 1000, 64 << 20, true});
  if (!audit_log) return 1;
  auto& audit = **audit_log;
  store::KeyStore keys(master, Environment::kTest, crypto::DefaultRandom(), clock);
  records::RecordService service(*store, audit, keys, clock, crypto::DefaultRandom());
  records::Purge purge(*store, audit, clock);
  (void)store->Write([&](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO organisations (id, name, status, agreed_expiry_days, "
                "created_at) VALUES ('org-b', 'Bench', 'active', 90, ?)",
                {FormatRfc3339(clock.Now())}));
    return keys.CreateOrgKey(tx, "org-b");
  });
  identity::Principal reader;
  reader.account.id = "acc-r";
  reader.account.username = "bench.reader";
  reader.account.kind = identity::Kind::kStandard;
  reader.account.roles = {identity::Role::kReader, identity::Role::kEditor};
  reader.account.org_id = "org-b";
  reader.account.status = "active";
  reader.account.expires_at = *ParseRfc3339("2099-01-01T00:00:00Z");
  reader.account.remits = {"bench"};

  // N records that expire in an hour, sealed like any other, written in large batches; and
  // 10,000 kept ones to read.
  fmt::print("purge: writing {} expiring records and 10,000 kept ones...\n", n);
  std::fflush(stdout);
  const auto soon = FormatRfc3339(clock.Now() + std::chrono::hours(1));
  const auto later = FormatRfc3339(clock.Now() + std::chrono::days(3650));
  const std::string body = "{\"text\":\"" + std::string(900, 'x') + "\"}";
  std::vector<std::string> kept;
  int64_t written = 0;
  while (written < n + 10'000) {
    (void)store->Write([&](store::Transaction& tx) -> Result<void> {
      for (int i = 0; i < 5000 && written < n + 10'000; ++i, ++written) {
        const bool keep = written >= n;
        const auto id = fmt::format("rec-{:032x}", written);
        ASSIGN_OR_RETURN(auto k, keys.NewRecordKey(tx, "org-b", id));
        ASSIGN_OR_RETURN(auto title, keys.SealPart(k.key, "org-b", id, 1, "title",
                                                   AsBytes(std::string("bench record"))));
        ASSIGN_OR_RETURN(auto sealed, keys.SealPart(k.key, "org-b", id, 1, "body", AsBytes(body)));
        RETURN_IF_ERROR(tx.Exec(
            "INSERT INTO records (id, org_id, remit, classification, descriptors, version, "
            "wrapped_key, title, body, author_id, created_at, updated_at, retain_until) VALUES "
            "(?, 'org-b', 'bench', 'OFFICIAL', '', 1, ?, ?, ?, 'acc-r', ?, ?, ?)",
            {id, k.wrapped, title, sealed, soon, soon, keep ? later : soon}));
        if (keep) kept.push_back(id);
      }
      return {};
    });
  }
  clock.Advance(std::chrono::hours(2));

  std::atomic<bool> stop{false};
  std::thread timer([&] {
    std::this_thread::sleep_for(std::chrono::seconds(5));
    stop = true;
  });
  const auto quiet = MeasureReads(service, reader, kept, stop, 4);
  timer.join();

  stop = false;
  int64_t purged = 0;
  double seconds = 0;
  std::thread purger([&] {
    const auto start = SteadyClock::now();
    auto report = purge.Run(false);
    seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    purged = report ? report->records : -1;
    stop = true;
  });
  const auto busy = MeasureReads(service, reader, kept, stop, 4);
  purger.join();

  fmt::print(
      "  purge: {} records in {:.1f} s = {:.0f} records/s (each deleted with its key and "
      "audited)\n",
      purged, seconds, static_cast<double>(purged) / seconds);
  fmt::print(
      "  reads, 4 threads: p99 {:.2f} ms during the purge ({} views) vs {:.2f} ms without "
      "({} views): ratio {:.2f}\n",
      busy.p99_ms, busy.count, quiet.p99_ms, quiet.count, busy.p99_ms / quiet.p99_ms);
  store->Close();
  std::filesystem::remove_all(dir);
  return purged == n ? 0 : 1;
}
