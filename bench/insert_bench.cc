// The ceiling for record creates: SQLite's own batched inserts of the same rows (each record
// sealed under its own key, as a create seals it), 5,000 to a transaction, with no HTTP, no
// policy and no audit. bench/run prints it beside the end-to-end create rate.
//
// Usage: insert_bench DIR [records]   (default 100,000; DIR emptied)

#include "records_bench.h"

int main(int argc, char** argv) {
  using namespace strongroom;
  if (argc < 2) {
    fmt::print(stderr, "usage: insert_bench DIR [records]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const int64_t n = argc > 2 ? std::atoll(argv[2]) : 100'000;
  bench::RecordsBench b(dir);
  const auto start = bench::SteadyClock::now();
  const auto ids = b.WriteRecords(n, 0);
  const double seconds = std::chrono::duration<double>(bench::SteadyClock::now() - start).count();
  fmt::print("{:.0f}\n", static_cast<double>(ids.size()) / seconds);
  b.store->Close();
  std::filesystem::remove_all(dir);
  return static_cast<int64_t>(ids.size()) == n ? 0 : 1;
}
