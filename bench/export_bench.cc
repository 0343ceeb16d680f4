// Export benchmark: approving exports of 10,000 records (each approval reads, decrypts and seals
// them into one archive, writes it in parts at its pace, then records it) and downloading each
// (its parts then deleted at the same pace), and what that does to reads running at the same
// time.
// Printed against a peer measured in the same run:
//
//   reads      p99 latency of audited record views by 4 threads while approvals and downloads
//              run back to back, against their p99 with none (target: ratio <= 2); three rounds of
//              each alternate (2 s without, a third of the time with) and each side's views are
//              pooled.
//   approvals  how long each took, and how many ran; and how long each download took.
//
// Usage: export_bench DIR [seconds]   (default 10 s of approvals; DIR emptied)

#include "exports/export_service.h"
#include "records_bench.h"

int main(int argc, char** argv) {
  using namespace strongroom;
  if (argc < 2) {
    fmt::print(stderr, "usage: export_bench DIR [seconds]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const double seconds = argc > 2 ? std::atof(argv[2]) : 10;
  bench::RecordsBench b(dir);
  const auto n = static_cast<int64_t>(exports::kMaxExportRecords);
  fmt::print("export: writing {} records...\n", n);
  std::fflush(stdout);
  const auto ids = b.WriteRecords(n, 0);

  // The requester and the approver: accounts of two people, as the approval reads them again.
  auto made = b.store->Write([&](store::Transaction& tx) -> Result<void> {
    for (auto [account, person, roles] : {std::tuple{"acc-q", "per-q", "reader"},
                                          std::tuple{"acc-a", "per-a", "reader,approver"}}) {
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO people (id, org_id, name, email, created_at) VALUES (?, 'org-b', 'P', ?, "
          "'2026-01-01T00:00:00Z')",
          {std::string(person), std::string(person) + "@bench.example"}));
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, status, "
          "expires_at, created_at) VALUES (?, ?, 'org-b', ?, 'standard', ?, 'bench', 'active', "
          "'2099-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
          {std::string(account), std::string(person), std::string(account), std::string(roles)}));
    }
    return {};
  });
  if (!made) {
    fmt::print(stderr, "export_bench: {}\n", made.error().message);
    return 1;
  }
  auto as = [&](const char* id, const char* person, identity::Roles roles) {
    auto p = b.reader;
    p.account.id = id;
    p.account.person_id = person;
    p.account.roles = roles;
    return p;
  };
  const auto requester = as("acc-q", "per-q", {identity::Role::kReader});
  const auto approver = as("acc-a", "per-a", {identity::Role::kReader, identity::Role::kApprover});
  exports::ExportService exports(*b.store, *b.audit, *b.keys, *b.service, b.clock,
                                 crypto::DefaultRandom());

  // Rounds alternate, views alone then views beside approvals, and each side's views are pooled:
  // this shared machine's speed drifts within a run, and a quiet figure taken once, before the
  // rest, drifts with it.
  constexpr int kRounds = 3;
  bench::Reads quiet, busy;
  std::vector<double> took, downloads;
  bool failed = false;
  for (int round = 0; round < kRounds && !failed; ++round) {
    bench::Pool(quiet, bench::MeasureReadsFor(*b.service, b.reader, ids, 2, 4));
    std::atomic<bool> stop{false};
    const size_t before = took.size();
    std::thread approvals([&] {
      const auto until =
          bench::SteadyClock::now() + std::chrono::duration<double>(seconds / kRounds);
      while (took.size() == before || bench::SteadyClock::now() < until) {
        auto req = exports.Request(requester, "bench", "benchmark", {"bench", ""});
        const auto start = bench::SteadyClock::now();
        auto ok = req ? exports.Approve(approver, req->id, {"bench", ""})
                      : Result<exports::ExportRequest>(std::unexpected(req.error()));
        if (!ok || ok->records != n) {
          fmt::print(stderr, "export_bench: {}\n", ok ? "short archive" : ok.error().message);
          failed = true;
          break;
        }
        took.push_back(std::chrono::duration<double>(bench::SteadyClock::now() - start).count());
        // The requester downloads it: the archive is read and its key taken away; its parts are
        // deleted behind the answer, on the lane the next approval waits for.
        const auto fetched = bench::SteadyClock::now();
        auto got = exports.Download(requester, req->id, {"bench", ""});
        if (!got || got->records != n) {
          fmt::print(stderr, "export_bench: download: {}\n",
                     got ? "short archive" : got.error().message);
          failed = true;
          break;
        }
        downloads.push_back(
            std::chrono::duration<double>(bench::SteadyClock::now() - fetched).count());
      }
      stop = true;
    });
    auto beside = bench::MeasureReads(*b.service, b.reader, ids, stop, 4);
    approvals.join();
    bench::Pool(busy, beside);
  }

  double total = 0, fetching = 0;
  for (double t : took) total += t;
  for (double t : downloads) fetching += t;
  const exports::ArchivePace pace;
  fmt::print(
      "  approvals: {} of {} records each, {:.2f} s each on average (archive written in parts of "
      "{} KiB, with a pause of {} times each part's write before the next)\n",
      took.size(), n, took.empty() ? 0.0 : total / static_cast<double>(took.size()),
      pace.part_bytes / 1024, pace.pause_factor);
  fmt::print(
      "  downloads: each approved archive once, {:.0f} ms each on average (its parts then deleted "
      "at the same pace, before the next approval)\n",
      downloads.empty() ? 0.0 : 1e3 * fetching / static_cast<double>(downloads.size()));
  fmt::print(
      "  reads, 4 threads, {} alternating rounds: p99 {:.2f} ms during the approvals and downloads "
      "({} views) "
      "vs {:.2f} ms without ({} views): ratio {:.2f}  (target <= 2.00: {})\n",
      kRounds, busy.p99_ms, busy.count, quiet.p99_ms, quiet.count,
      quiet.p99_ms > 0 ? busy.p99_ms / quiet.p99_ms : 0.0,
      busy.p99_ms <= 2 * quiet.p99_ms ? "met" : "NOT met");
  b.store->Close();
  std::filesystem::remove_all(dir);
  return failed ? 1 : 0;
}
