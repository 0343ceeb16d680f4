// Purge benchmark: crypto-shredding N records past retention, and what it does to reads running
// at the same time. Printed against peers measured in the same run:
//
//   purge      records purged per second (each one deleted with its wrapped key and audited).
//   reads      p99 latency of audited record views by 4 threads while the purge runs, against
//              their p99 with no purge, 3 s before it and 3 s after it pooled (target: ratio
//              <= 2).
//
// Usage: purge_bench DIR [records]   (default 1,000,000; DIR on the disk to measure; emptied)

#include "records/purge.h"
#include "records_bench.h"

int main(int argc, char** argv) {
  using namespace strongroom;
  if (argc < 2) {
    fmt::print(stderr, "usage: purge_bench DIR [records]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const int64_t n = argc > 2 ? std::atoll(argv[2]) : 1'000'000;
  bench::RecordsBench b(dir);
  records::Purge purge(*b.store, *b.audit, b.clock);

  // N records that expire in an hour, and 10,000 kept ones to read.
  fmt::print("purge: writing {} expiring records and 10,000 kept ones...\n", n);
  std::fflush(stdout);
  const auto kept = b.WriteRecords(n + 10'000, n);
  b.clock.Advance(std::chrono::hours(2));

  // Views alone are timed before the purge and after it, and pooled: this shared machine's speed
  // drifts within a run, and one figure taken ahead of the rest drifts with it.
  auto quiet = bench::MeasureReadsFor(*b.service, b.reader, kept, 3, 4);
  std::atomic<bool> stop{false};
  int64_t purged = 0;
  double seconds = 0;
  std::thread purger([&] {
    const auto start = bench::SteadyClock::now();
    auto report = purge.Run(false);
    seconds = std::chrono::duration<double>(bench::SteadyClock::now() - start).count();
    purged = report ? report->records : -1;
    stop = true;
  });
  const auto busy = bench::MeasureReads(*b.service, b.reader, kept, stop, 4);
  purger.join();
  bench::Pool(quiet, bench::MeasureReadsFor(*b.service, b.reader, kept, 3, 4));

  fmt::print(
      "  purge: {} records in {:.1f} s = {:.0f} records/s (each deleted with its key and "
      "audited)\n",
      purged, seconds, static_cast<double>(purged) / seconds);
  fmt::print(
      "  reads, 4 threads: p99 {:.2f} ms during the purge ({} views) vs {:.2f} ms before and "
      "after it ({} views): ratio {:.2f}\n",
      busy.p99_ms, busy.count, quiet.p99_ms, quiet.count, busy.p99_ms / quiet.p99_ms);
  b.store->Close();
  std::filesystem::remove_all(dir);
  return purged == n ? 0 : 1;
}
