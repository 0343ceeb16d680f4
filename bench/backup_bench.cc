// Backup benchmark: `strongroom backup`'s work (backup/backup.h) over an instance of N records
// while 4 threads view records, audited, as the service would serve them. Printed against peers
// measured in the same run:
//
//   reads      p99 latency of the views while the backup runs, against their p99 without it
//              (lower is better; the backup holds one read transaction and writes one event).
//              The backup runs in this process, on the instance's own log; `strongroom backup`
//              runs beside the service and shares the journal's lock with it (the same work).
//   backup     seconds and MB/s of the archive written, against reading the same store and
//              journal bytes with read(2) (the floor for any copy).
//
// Usage: backup_bench DIR [records]   (default 200,000; DIR on the disk to measure; emptied)

#include <fcntl.h>
#include <unistd.h>

#include "backup/backup.h"
#include "common/file_util.h"
#include "records_bench.h"

namespace {

using namespace strongroom;

// Reads every byte of the files (to /dev/null, in effect); returns how many.
int64_t ReadAll(const std::vector<std::filesystem::path>& files) {
  int64_t total = 0;
  std::string buf(1 << 20, '\0');
  for (const auto& f : files) {
    const int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) > 0;) total += n;
    ::close(fd);
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: backup_bench DIR [records]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const int64_t n = argc > 2 ? std::atoll(argv[2]) : 200'000;
  bench::RecordsBench b(dir);
  fmt::print("backup: writing {} records...\n", n);
  std::fflush(stdout);
  const auto ids = b.WriteRecords(n, 0);
  (void)b.audit->Checkpoint();

  // What TakeBackup reads of an instance: its configuration file, store, journal, backup key.
  Config config;
  config.path = dir / "strongroom.toml";
  config.environment = Environment::kTest;
  config.store.path = dir / "bench.db";
  config.backup.key_file = dir / "backup.key";
  config.keys.master_key_file = dir / "master.key";  // named only: a backup leaves it out
  config.accounts.common_passwords_file.clear();
  (void)WriteNewFile(config.path, AsBytes(std::string("environment = \"test\"\n")), 0600);
  (void)crypto::WriteBackupKeyFile(
      config.backup.key_file,
      crypto::GenerateBackupKey(Environment::kTest, crypto::DefaultRandom()));

  const auto quiet = bench::MeasureReadsFor(*b.service, b.reader, ids, 5, 4);
  std::atomic<bool> stop{false};
  double seconds = 0;
  int64_t bytes = -1;
  std::thread taker([&] {
    audit::Event e;
    e.actor = {"", "bench", "cli", ""};
    e.source = "cli";
    const auto start = bench::SteadyClock::now();
    auto report = backup::TakeBackup({config,
                                      *b.audit,
                                      b.signing,
                                      e,
                                      dir / "bench.backup",
                                      b.clock,
                                      crypto::DefaultRandom(),
                                      {}});
    seconds = std::chrono::duration<double>(bench::SteadyClock::now() - start).count();
    if (report) {
      bytes = report->bytes;
    } else {
      fmt::print(stderr, "backup failed: {}\n", report.error().message);
    }
    stop = true;
  });
  const auto busy = bench::MeasureReads(*b.service, b.reader, ids, stop, 4);
  taker.join();

  std::vector<std::filesystem::path> sources = {config.store.path};
  for (const auto& e : std::filesystem::directory_iterator(dir / "audit")) {
    if (e.path().extension() == ".seg") sources.push_back(e.path());
  }
  const auto start = bench::SteadyClock::now();
  const int64_t plain = ReadAll(sources);
  const double plain_s = std::chrono::duration<double>(bench::SteadyClock::now() - start).count();
  const double mb = static_cast<double>(bytes) / 1e6;
  fmt::print(
      "  backup: {:.1f} MB archive in {:.2f} s = {:.0f} MB/s; reading the store and journal "
      "({:.1f} MB) alone: {:.0f} MB/s; ratio {:.2f}\n",
      mb, seconds, mb / seconds, static_cast<double>(plain) / 1e6,
      static_cast<double>(plain) / 1e6 / plain_s,
      (mb / seconds) / (static_cast<double>(plain) / 1e6 / plain_s));
  fmt::print(
      "  reads, 4 threads: p99 {:.2f} ms during the backup ({} views) vs {:.2f} ms without "
      "({} views): ratio {:.2f}\n",
      busy.p99_ms, busy.count, quiet.p99_ms, quiet.count, busy.p99_ms / quiet.p99_ms);
  b.store->Close();
  std::filesystem::remove_all(dir);
  return bytes > 0 ? 0 : 1;
}
