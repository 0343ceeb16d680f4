// Invalidation benchmark: how soon one node hears of a change another committed, the bound the
// session cache is held to across nodes (docs/operations.md, "Several nodes"; target: within
// 100 ms at p99). Printed against PostgreSQL's own LISTEN/NOTIFY between two bare libpq
// connections, measured in the same run on the same server:
//
//   nodes  from the start of a write on store A to store B's watcher being called, as each
//          node's session cache is (p50, p99, max); and how many were heard before the write
//          returned (an admin's request returns after its write does).
//   peer   from the start of a NOTIFY on one connection to the other reading it.
//
// Usage: invalidation_bench CONNINFO [rounds]   (an empty database; default 2,000 rounds)

#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/migrations.h"
#include "store/postgres/pg_store.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Stats {
  double p50_us = 0, p99_us = 0, max_us = 0;
};

Stats Summarise(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  const auto at = [&](double q) { return us[static_cast<size_t>(q * (us.size() - 1))]; };
  return {at(0.50), at(0.99), us.back()};
}

// Each time a listener was told, in order; WaitPast gives the first after the `seen`th.
struct Heard {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Clock::time_point> at;

  void Tell() {
    std::lock_guard lock(mu);
    at.push_back(Clock::now());
    cv.notify_all();
  }
  size_t Count() {
    std::lock_guard lock(mu);
    return at.size();
  }
  bool WaitPast(size_t seen, Clock::time_point& when) {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return at.size() > seen; })) {
      return false;
    }
    when = at[seen];
    return true;
  }
};

int Fail(const std::string& what) {
  fmt::print(stderr, "invalidation_bench: {}\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace strongroom;
  if (argc < 2) return Fail("usage: invalidation_bench CONNINFO [rounds]");
  const std::string conninfo = argv[1];
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 2000;

  // --- nodes: two stores, as two nodes hold them ---
  auto a = store::PgStore::Open({conninfo, 1, 64, store::Opener::kNode, "bench-a"});
  if (!a) return Fail(a.error().message);
  if (auto m = store::Migrate(**a); !m) return Fail(m.error().message);
  auto b = store::PgStore::Open({conninfo, 1, 64, store::Opener::kNode, "bench-b"});
  if (!b) return Fail(b.error().message);
  Heard heard;
  (*b)->WatchTables({"leases"}, [&heard] { heard.Tell(); });
  if (auto w = (*a)->Write([](store::Transaction& tx) -> Result<void> {
        RETURN_IF_ERROR(
            tx.Exec("INSERT INTO leases (name, holder, until_ms) VALUES ('bench', 'bench-a', 0)"));
        return {};
      });
      !w) {
    return Fail(w.error().message);
  }
  // B tells its watchers once more whenever its listener (re)starts: let that and the insert
  // settle, so that each round below is told of its own commit alone (counted at the end).
  Clock::time_point first;
  if (!heard.WaitPast(0, first)) return Fail("store b never heard a commit");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const size_t before = heard.Count();
  std::vector<double> nodes;
  int heard_first = 0;  // told before the write returned to its caller
  for (int i = 1; i <= rounds; ++i) {
    const size_t seen = heard.Count();
    const auto start = Clock::now();
    auto w = (*a)->Write([i](store::Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec("UPDATE leases SET until_ms = ? WHERE name = 'bench'",
                              {static_cast<int64_t>(i)}));
      return {};
    });
    const auto returned = Clock::now();
    if (!w) return Fail(w.error().message);
    Clock::time_point when;
    if (!heard.WaitPast(seen, when)) return Fail("store b never heard a commit");
    nodes.push_back(std::chrono::duration<double, std::micro>(when - start).count());
    if (when < returned) ++heard_first;
  }
  const size_t told = heard.Count() - before;
  (*b)->Close();
  (*a)->Close();

  // --- peer: LISTEN/NOTIFY between two bare connections ---
  PGconn* listener = PQconnectdb(conninfo.c_str());
  PGconn* notifier = PQconnectdb(conninfo.c_str());
  if (PQstatus(listener) != CONNECTION_OK || PQstatus(notifier) != CONNECTION_OK) {
    return Fail("cannot connect");
  }
  PQclear(PQexec(listener, "LISTEN bench_peer"));
  Heard peer_heard;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    pollfd p{PQsocket(listener), POLLIN, 0};
    while (!stop) {
      if (::poll(&p, 1, 100) <= 0) continue;
      PQconsumeInput(listener);
      while (PGnotify* n = PQnotifies(listener)) {
        PQfreemem(n);
        peer_heard.Tell();
      }
    }
  });
  std::vector<double> peer;
  bool lost = false;
  for (int i = 0; i < rounds && !lost; ++i) {
    const size_t seen = peer_heard.Count();
    const auto start = Clock::now();
    PQclear(PQexec(notifier, "NOTIFY bench_peer"));
    Clock::time_point when;
    lost = !peer_heard.WaitPast(seen, when);
    if (!lost) peer.push_back(std::chrono::duration<double, std::micro>(when - start).count());
  }
  stop = true;
  reader.join();
  if (lost) return Fail("the listener never heard a NOTIFY");
  PQfinish(listener);
  PQfinish(notifier);

  const auto n = Summarise(nodes);
  const auto p = Summarise(peer);
  fmt::print(
      "  invalidation across nodes, {} commits: from the start of the write to the other node's "
      "watcher; {} heard before the write returned; {} notices for {} commits\n",
      rounds, heard_first, told, rounds);
  fmt::print(
      "    nodes (store A -> store B)   : p50 {:>7.0f} us  p99 {:>7.0f} us  max {:>7.0f} us\n",
      n.p50_us, n.p99_us, n.max_us);
  fmt::print(
      "    peer (bare LISTEN/NOTIFY)    : p50 {:>7.0f} us  p99 {:>7.0f} us  max {:>7.0f} us\n",
      p.p50_us, p.p99_us, p.max_us);
  fmt::print("    nodes/peer p99 = {:.2f}; against the 100 ms target: p99 {:.1f} ms\n",
             n.p99_us / std::max(p.p99_us, 1.0), n.p99_us / 1000);
  return 0;
}
