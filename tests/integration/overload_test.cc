// The public listener under attack while a signed-in person keeps reading a record: slowloris and
// slow-body connections from slowhttptest, and a flood of anonymous sign-ins from many source
// addresses (127.0.0.0/8). The reader never sees an error and its p99 stays under a second; each
// attack is shown to have happened (connections held, then closed by the server; sign-ins shed).

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "integration/org_fixture.h"
#include "integration/process.h"

namespace strongroom::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Reads again and again over a keep-alive connection from 127.0.0.2, as a person signed in would,
// taking each of `requests` in turn, until stopped or `goal` reads are done; every answer's
// status and time are kept.
class Reader {
 public:
  Reader(uint16_t port, std::vector<std::string> requests, size_t goal = SIZE_MAX)
      : port_(port), requests_(std::move(requests)), goal_(goal) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Reader() { Stop(); }

  void Stop() {
    stop_ = true;
    Wait();
  }
  // Until its goal is reached.
  void Wait() {
    if (thread_.joinable()) thread_.join();
  }
  const std::vector<int>& statuses() const { return statuses_; }
  size_t done() const { return done_; }
  // The 99th percentile of the answers' times.
  std::chrono::milliseconds P99() const {
    auto sorted = latencies_;
    if (sorted.empty()) return std::chrono::milliseconds::max();
    std::sort(sorted.begin(), sorted.end());
    return sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
  }

 private:
  void Run() {
    TlsOptions options;
    options.source_address = "127.0.0.2";
    std::unique_ptr<TlsClient> c;
    while (!stop_ && statuses_.size() < goal_) {
      const auto start = Clock::now();
      if (!c) c = TlsClient::Connect(port_, options);
      const auto r =
          c ? c->Request(requests_[statuses_.size() % requests_.size()]) : HttpResponse{};
      latencies_.push_back(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start));
      statuses_.push_back(r.status);
      ++done_;
      if (r.status == 0 || r.headers.contains("connection")) c.reset();
    }
  }

  const uint16_t port_;
  const std::vector<std::string> requests_;
  const size_t goal_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> done_{0};
  std::vector<int> statuses_;
  std::vector<std::chrono::milliseconds> latencies_;
  std::thread thread_;
};

class OverloadTest : public OrgFixture {
 protected:
  void SetUp() override {
    // Short enough that slow clients are cut off within the test; one worker for sign-ins.
    inst_.SetServer(
        {{"header_timeout_ms", "2000"}, {"body_timeout_ms", "3000"}, {"anonymous_workers", "1"}});
    OrgFixture::SetUp();
    auto made = CreateRecord("ann.editor", "read under attack");
    ASSERT_EQ(made.status, 201) << made.body;
    // One record (served on the I/O thread), then the session (on a signed-in worker), in turn.
    // (Not a list: lists count towards the export threshold.)
    const std::string headers =
        " HTTP/1.1\r\nHost: x\r\nCookie: " + sessions_["ann.editor"].cookie + "\r\n\r\n";
    reads_ = {"GET /api/v1/records/" + std::string(JsonOf(made).at("id").as_string()) + headers,
              "GET /api/v1/auth/session" + headers};
  }

  // The reader's answers, all 200, enough of them, and quick enough.
  void ExpectServed(const Reader& reader) {
    const auto& statuses = reader.statuses();
    EXPECT_GE(statuses.size(), 10u) << "the reader hardly read";
    const auto failed =
        std::count_if(statuses.begin(), statuses.end(), [](int s) { return s != 200; });
    EXPECT_EQ(failed, 0) << "of " << statuses.size() << " reads";
    EXPECT_LT(reader.P99(), std::chrono::seconds(1));
  }

  std::vector<std::string> reads_;
};

// slowhttptest's per-second counts (-g): the most connections it held at once, and how many the
// server had closed (or refused) by the end; and whether it ended because the server had closed
// every one of them, before its time was up.
struct SlowStats {
  int max_connected = 0;
  int closed = 0;
  bool all_closed = false;
};

SlowStats RunSlowHttpTest(const std::string& mode, uint16_t port, const std::string& path,
                          const std::filesystem::path& prefix) {
  const auto r = RunProgram("/usr/bin/slowhttptest",
                            {mode,
                             "-c",
                             "300",
                             "-r",
                             "150",
                             "-i",
                             "1",
                             "-l",
                             "6",
                             "-p",
                             "2",
                             "-x",
                             "10",
                             "-s",
                             "100000",
                             "-u",
                             "https://127.0.0.1:" + std::to_string(port) + path,
                             "-g",
                             "-o",
                             prefix.string()},
                            std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  SlowStats stats;
  stats.all_closed = (r.out + r.err).find("No open connections left") != std::string::npos;
  std::ifstream csv(prefix.string() + ".csv");
  std::string line;
  std::getline(csv, line);  // Seconds,Closed,Pending,Connected,Service Available
  while (std::getline(csv, line)) {
    std::stringstream fields(line);
    std::string seconds, closed, pending, connected;
    std::getline(fields, seconds, ',');
    std::getline(fields, closed, ',');
    std::getline(fields, pending, ',');
    std::getline(fields, connected, ',');
    stats.closed = std::max(stats.closed, std::stoi(closed));
    stats.max_connected = std::max(stats.max_connected, std::stoi(connected));
  }
  return stats;
}

TEST_F(OverloadTest, SlowHeadersAndSlowBodiesDoNotStopSignedInReads) {
  // slowhttptest is an attack tool: now and then what it sends is cut off mid-line and inspected
  // as a malformed request, which is rightly reported.
  inst_.ExpectAttacks();
  TempDir out;
  for (const auto& [mode, path] : {std::pair{"-H", "/healthz"}, {"-B", "/api/v1/auth/login"}}) {
    Reader reader(inst_.port(), reads_);
    const auto stats = RunSlowHttpTest(mode, inst_.port(), path, out.path() / (mode + 1));
    reader.Stop();
    // The attack held connections (up to the per-source cap) and the server cut them all off
    // (its time limits) before the attack's 8 seconds were up.
    EXPECT_GE(stats.max_connected, 50) << mode;
    EXPECT_TRUE(stats.all_closed) << mode;
    ExpectServed(reader);
    std::cout << mode << ": held " << stats.max_connected << ", closed " << stats.closed
              << "; reader: " << reader.statuses().size() << " reads, p99 " << reader.P99().count()
              << " ms\n";
  }
}

// Sign-ins from ever new addresses, as a botnet would send them: no per-address allowance holds
// them back, so only admission control stands between them and the workers.
TEST_F(OverloadTest, AnAnonymousSignInFloodFromManyAddressesIsShedFirst) {
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::atomic<int> shed{0};
  std::mutex mu;
  std::map<int, int> flood;  // status -> count
  std::vector<std::thread> flooders;
  for (int t = 0; t < 16; ++t) {
    flooders.emplace_back([&, t] {
      std::map<int, int> seen;
      for (int n = 0; !stop; ++n) {
        TlsOptions options;
        options.source_address = fmt::format("127.{}.{}.{}", 10 + t, n / 250 % 250, 1 + n % 250);
        auto c = TlsClient::Connect(inst_.port(), options);
        if (!c) {
          ++seen[0];
          continue;
        }
        const std::string body = fmt::format(
            R"({{"username":"nobody.{}.{}","password":"not a password anyone has"}})", t, n);
        for (int i = 0; i < 3 && !stop; ++i) {
          const auto r = c->Request(
              "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Content-Length: " +
              std::to_string(body.size()) + "\r\n\r\n" + body);
          ++seen[r.status];
          ++answered;
          if (r.status == 503) ++shed;
          if (r.status == 0 || r.headers.contains("connection")) break;
        }
      }
      std::lock_guard lock(mu);
      for (auto [status, count] : seen) flood[status] += count;
    });
  }
  // The reader starts once the flood is being shed (a queue has stood past CoDel's interval), and
  // reads at least 300 times, and while at least five more sign-ins are shed.
  for (int i = 0; i < 3000 && (answered < 20 || shed == 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GE(shed, 1) << "the flood was never shed: it never saturated the workers (" << answered
                     << " answered)";
  const int before = answered;
  const int shed_before = shed;
  Reader reader(inst_.port(), reads_);
  for (int i = 0; i < 3000 && (reader.done() < 300 || shed < shed_before + 5); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  reader.Stop();
  stop = true;
  for (auto& f : flooders) f.join();

  ExpectServed(reader);
  EXPECT_GE(answered - before, 10) << "the flood went on while the reader read";
  std::string seen;
  for (auto [status, count] : flood) seen += fmt::format(" {}x{}", status, count);
  std::cout << "reader: " << reader.statuses().size() << " reads, p99 " << reader.P99().count()
            << " ms; flood answered:" << seen << "\n";
  // The flood was real: sign-ins were checked (401) and, past what one worker takes, shed (503).
  EXPECT_GE(flood[401], 5) << "sign-ins that reached a worker";
  EXPECT_GE(flood[503], shed_before + 5) << "the flood went on being shed while the reader read";
  EXPECT_GE(ScrapeMetric(inst_.port(), "strongroom_http_shed_total"), flood[503]);
  for (auto [status, count] : flood) {
    EXPECT_TRUE(status == 401 || status == 503 || status == 429) << status << " x" << count;
  }
}

}  // namespace
}  // namespace strongroom::testing
