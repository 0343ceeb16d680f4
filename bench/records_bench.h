#pragma once
// What the purge and backup benchmarks share: an instance's store, audit journal and keys in a
// directory, records written in large batches, and audited views by several threads timed for
// their p99.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "crypto/master_key.h"
#include "crypto/signing.h"
#include "records/record_service.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::bench {

using SteadyClock = std::chrono::steady_clock;

struct Reads {
  double p99_ms = 0;
  int64_t count = 0;
  std::vector<double> latencies_ms;  // every view's, to pool rounds
};

// The p99 of `ms` (sorted here), 0 if empty.
inline double P99(std::vector<double>& ms) {
  if (ms.empty()) return 0;
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() * 99 / 100];
}

// Adds `more`'s views to `into`, its count and p99 made again over both.
inline void Pool(Reads& into, const Reads& more) {
  into.latencies_ms.insert(into.latencies_ms.end(), more.latencies_ms.begin(),
                           more.latencies_ms.end());
  into.count = static_cast<int64_t>(into.latencies_ms.size());
  into.p99_ms = P99(into.latencies_ms);
}

// Audited views of random records of `ids` by `threads` threads until `stop`.
inline Reads MeasureReads(records::RecordService& service, const identity::Principal& reader,
                          const std::vector<std::string>& ids, std::atomic<bool>& stop,
                          int threads) {
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
  Reads out;
  for (auto& l : latencies) out.latencies_ms.insert(out.latencies_ms.end(), l.begin(), l.end());
  out.count = static_cast<int64_t>(out.latencies_ms.size());
  out.p99_ms = P99(out.latencies_ms);
  return out;
}

// MeasureReads for `seconds`.
inline Reads MeasureReadsFor(records::RecordService& service, const identity::Principal& reader,
                             const std::vector<std::string>& ids, int seconds, int threads) {
  std::atomic<bool> stop{false};
  std::thread timer([&] {
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    stop = true;
  });
  auto reads = MeasureReads(service, reader, ids, stop, threads);
  timer.join();
  return reads;
}

// A store (bench.db), audit journal (audit/) and keys in `dir`, one organisation, and a reader
// and editor of its remit.
struct RecordsBench {
  explicit RecordsBench(const std::filesystem::path& dir)
      : clock{TimePoint(std::chrono::milliseconds(1'800'000'000'000))},
        signing(crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom())),
        master(crypto::GenerateMasterKey(Environment::kTest, crypto::DefaultRandom())) {
    spdlog::set_level(spdlog::level::warn);  // stdout carries the figures bench/run reads
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    store = std::move(*store::SqliteStore::Open({dir / "bench.db", 4, 512}));
    (void)store::Migrate(*store);
    audit = std::move(*audit::AuditLog::Open(*store, clock, signing, Environment::kTest,
                                             {dir / "audit", "bench", 1000, 64 << 20, true}));
    keys = std::make_unique<store::KeyStore>(master, Environment::kTest, crypto::DefaultRandom(),
                                             clock);
    service = std::make_unique<records::RecordService>(*store, *audit, *keys, clock,
                                                       crypto::DefaultRandom());
    (void)store->Write([&](store::Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(
          tx.Exec("INSERT INTO organisations (id, name, status, agreed_expiry_days, "
                  "created_at) VALUES ('org-b', 'Bench', 'active', 90, ?)",
                  {FormatRfc3339(clock.Now())}));
      return keys->CreateOrgKey(tx, "org-b");
    });
    reader.account.id = "acc-r";
    reader.account.username = "bench.reader";
    reader.account.kind = identity::Kind::kStandard;
    reader.account.roles = {identity::Role::kReader, identity::Role::kEditor};
    reader.account.org_id = "org-b";
    reader.account.status = "active";
    reader.account.expires_at = *ParseRfc3339("2099-01-01T00:00:00Z");
    reader.account.remits = {"bench"};
  }

  // `n` records with a 900-byte body, sealed like any other, written 5,000 to a transaction;
  // the first `expiring` expire in an hour, the rest in ten years. Returns the ids of the rest.
  std::vector<std::string> WriteRecords(int64_t n, int64_t expiring) {
    const auto soon = FormatRfc3339(clock.Now() + std::chrono::hours(1));
    const auto later = FormatRfc3339(clock.Now() + std::chrono::days(3650));
    const std::string body = "{\"text\":\"" + std::string(900, 'x') + "\"}";
    std::vector<std::string> kept;
    int64_t written = 0;
    while (written < n) {
      auto w = store->Write([&](store::Transaction& tx) -> Result<void> {
        for (int i = 0; i < 5000 && written < n; ++i, ++written) {
          const bool keep = written >= expiring;
          const auto id = fmt::format("rec-{:032x}", written);
          ASSIGN_OR_RETURN(auto k, keys->NewRecordKey(tx, "org-b", id));
          ASSIGN_OR_RETURN(auto title, keys->SealPart(k.key, "org-b", id, 1, "title",
                                                      AsBytes(std::string("bench record"))));
          ASSIGN_OR_RETURN(auto sealed,
                           keys->SealPart(k.key, "org-b", id, 1, "body", AsBytes(body)));
          RETURN_IF_ERROR(tx.Exec(
              "INSERT INTO records (id, org_id, remit, classification, descriptors, version, "
              "wrapped_key, title, body, author_id, created_at, updated_at, retain_until) VALUES "
              "(?, 'org-b', 'bench', 'OFFICIAL', '', 1, ?, ?, ?, 'acc-r', ?, ?, ?)",
              {id, k.wrapped, title, sealed, soon, soon, keep ? later : soon}));
          if (keep) kept.push_back(id);
        }
        return {};
      });
      if (!w) {
        // A figure from a failing store would be no figure at all.
        fmt::print(stderr, "writing bench records failed: {}\n", w.error().message);
        std::exit(1);
      }
    }
    return kept;
  }

  ManualClock clock;
  crypto::SigningKey signing;
  crypto::MasterKeyHandle master;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<store::KeyStore> keys;
  std::unique_ptr<records::RecordService> service;
  identity::Principal reader;
};

}  // namespace strongroom::bench
