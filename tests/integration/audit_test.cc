// The audit trail of the real server: fail-closed writes and reads, the CLI's verify and search,
// log injection, and shipping to a real rsyslog collector across an outage.

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <sstream>

#include "audit/journal.h"
#include "fakes/temp_dir.h"
#include "integration/api_client.h"
#include "integration/collector.h"
#include "integration/instance.h"
#include "integration/tls_client.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::testing {
namespace {

HttpResponse Post(uint16_t port, const std::string& path, const std::string& body) {
  auto c = TlsClient::Connect(port);
  if (!c) return {};
  return c->Request("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
}

HttpResponse AuditedWrite(uint16_t port, const std::string& value) {
  boost::json::object body{{"value", value}};
  return Post(port, "/__test/audited-write", boost::json::serialize(body));
}

// Finds the one event in the journal at `dir` whose text holds `needle`, applies `edit` to its
// text (if given) and writes the segment back validly framed; returns its sequence (0 if none).
int64_t RewriteEvent(const std::filesystem::path& dir, std::string_view needle,
                     const std::function<void(std::string&)>& edit) {
  int64_t found = 0;
  const auto segments = audit::ListSegments(dir);
  if (!segments) return 0;
  for (int64_t segment : *segments) {
    const auto path = audit::SegmentPath(dir, segment);
    const std::string bytes = ReadFile(path);
    std::string out;
    for (size_t pos = 0; pos < bytes.size();) {
      auto d = audit::DecodeRecord(std::string_view(bytes).substr(pos));
      if (d.status != audit::DecodeStatus::kOk) return 0;
      pos += d.size;
      if (d.record.kind == audit::RecordKind::kEvent &&
          d.record.text.find(needle) != std::string::npos) {
        found = d.record.sequence;
        if (edit) edit(d.record.text);
      }
      audit::EncodeRecord(d.record, out);
    }
    if (edit) WriteFile(path, out);
  }
  return found;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// A full disk, made real: the serving process's file size limit is lowered to what its files
// hold (writes past it fail with EFBIG), then raised again.
TEST(AuditFailClosedTest, AFullDiskIs503ForViewsAndChangesAndServiceResumesWhenSpaceReturns) {
  Instance inst;
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  ASSERT_EQ(AuditedWrite(inst.port(), "before").status, 204);
  const auto segments = audit::ListSegments(inst.data_dir() / "audit");
  ASSERT_TRUE(segments && !segments->empty());
  const auto segment = audit::SegmentPath(inst.data_dir() / "audit", segments->back());
  const auto full = static_cast<rlim_t>(std::filesystem::file_size(segment));
  rlimit limit{full, RLIM_INFINITY};
  ASSERT_EQ(::prlimit(inst.process().pid(), RLIMIT_FSIZE, &limit, nullptr), 0);

  auto w = AuditedWrite(inst.port(), "after");
  EXPECT_EQ(w.status, 503);
  auto r = HttpsGet(inst.port(), "/__test/audited-read");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body.find("before"), std::string::npos) << "data returned without its audit event";
  EXPECT_EQ(HttpsGet(inst.port(), "/readyz").status, 503);
  EXPECT_EQ(std::filesystem::file_size(segment), full) << "nothing half-written stays";

  limit.rlim_cur = RLIM_INFINITY;
  ASSERT_EQ(::prlimit(inst.process().pid(), RLIMIT_FSIZE, &limit, nullptr), 0);
  EXPECT_EQ(HttpsGet(inst.port(), "/readyz").status, 200);
  auto read = HttpsGet(inst.port(), "/__test/audited-read");
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(boost::json::parse(read.body).at("value").as_string(), "before") << "nothing changed";
  EXPECT_EQ(AuditedWrite(inst.port(), "after").status, 204);
  ASSERT_EQ(inst.Stop(), 0);
  auto verify = RunBinary({"audit", "verify", "--config", inst.config().string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// The serving process seals full segments and opens new ones under its system-call allow-list
// (debug builds run with it), and what it wrote verifies across them.
TEST(AuditJournalTest, TheServiceGoesOnAcrossSegments) {
  Instance inst;
  inst.AddToSection("audit", "segment_kib = 64\n");
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  int written = 0;
  while (audit::ListSegments(inst.data_dir() / "audit")->size() < 3 && written < 2000) {
    ASSERT_EQ(AuditedWrite(inst.port(), std::string(400, 'v')).status, 204);
    ++written;
  }
  EXPECT_GE(audit::ListSegments(inst.data_dir() / "audit")->size(), 3u) << written << " writes";
  ASSERT_EQ(HttpsGet(inst.port(), "/__test/audited-read").status, 200);
  ASSERT_EQ(inst.Stop(), 0);
  auto verify = RunBinary({"audit", "verify", "--config", inst.config().string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  auto search = RunBinary({"audit", "search", "--config", inst.config().string(), "--action",
                           "test.write", "--limit", "1000"});
  EXPECT_EQ(std::count(search.out.begin(), search.out.end(), '\n'), written);
}

TEST(AuditFailClosedTest, WritesAndReadsFailWith503AndChangeNothing) {
  Instance inst;
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  ASSERT_EQ(AuditedWrite(inst.port(), "before").status, 204);
  ASSERT_EQ(Post(inst.port(), "/__test/audit-failure", R"({"fail":true})").status, 204);

  auto w = AuditedWrite(inst.port(), "after");
  EXPECT_EQ(w.status, 503);
  EXPECT_EQ(w.headers.count("retry-after"), 1u);
  auto r = HttpsGet(inst.port(), "/__test/audited-read");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body.find("before"), std::string::npos) << "data returned without its audit event";
  auto ready = HttpsGet(inst.port(), "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("\"audit\""), std::string::npos);

  ASSERT_EQ(Post(inst.port(), "/__test/audit-failure", R"({"fail":false})").status, 204);
  EXPECT_EQ(HttpsGet(inst.port(), "/readyz").status, 200);
  auto read = HttpsGet(inst.port(), "/__test/audited-read");
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(boost::json::parse(read.body).at("value").as_string(), "before");
}

TEST(AuditCliTest, VerifyPassesThenNamesTheTamperedEvent) {
  Instance inst;
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(AuditedWrite(inst.port(), "v" + std::to_string(i)).status, 204);
  ASSERT_EQ(inst.Stop(), 0);
  auto ok = RunBinary({"audit", "verify", "--config", inst.config().string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  // Two bootstrap officers, start, five writes, stop.
  EXPECT_NE(ok.out.find("audit log verified: 9 events"), std::string::npos) << ok.out;

  // An attacker with the files rewrites the event in the journal, framing it validly.
  const int64_t seq =
      RewriteEvent(inst.data_dir() / "audit", "\"value\":\"v2\"",
                   [](std::string& text) { text.replace(text.find("\"v2\""), 4, "\"v9\""); });
  ASSERT_GT(seq, 0);
  auto bad = RunBinary({"audit", "verify", "--config", inst.config().string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("first bad sequence: " + std::to_string(seq) + "\n"), std::string::npos)
      << bad.out;
}

// Editing an event's search column hid it from `audit search` while `audit verify` passed.
TEST(AuditCliTest, VerifyNamesAnEventWhoseSearchColumnWasEditedToHideIt) {
  Instance inst;
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(AuditedWrite(inst.port(), "v" + std::to_string(i)).status, 204);
  ASSERT_EQ(inst.Stop(), 0);
  auto search = [&] {
    return RunBinary(
               {"audit", "search", "--config", inst.config().string(), "--action", "test.write"})
        .out;
  };
  const auto before = search();
  const int64_t seq = RewriteEvent(inst.data_dir() / "audit", "\"value\":\"v1\"", nullptr);
  ASSERT_GT(seq, 0);
  {
    // The attacker edits the event's entry in the index, not the event.
    auto db = std::move(*store::SqliteStore::Open({inst.data_dir() / "audit/index.db", 1, 1}));
    ASSERT_TRUE(db->Write([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto n, tx.Exec("UPDATE audit_events SET action = '\"nothing.to.see\"' "
                                       "WHERE seq = ?",
                                       {seq}));
      if (n != 1) return Fail(ErrorCode::kNotFound, "no index entry for v1");
      return {};
    }));
    db->Close();
  }
  EXPECT_NE(before.find("\"v1\""), std::string::npos) << before;
  EXPECT_EQ(search().find("\"v1\""), std::string::npos) << "hidden from search";
  auto bad = RunBinary({"audit", "verify", "--config", inst.config().string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("first bad sequence: " + std::to_string(seq) + "\n"), std::string::npos)
      << bad.out;
}

TEST(AuditCliTest, SearchFindsEventsAndIsItselfAudited) {
  Instance inst;
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(AuditedWrite(inst.port(), "x").status, 204);
  auto r =
      RunBinary({"audit", "search", "--config", inst.config().string(), "--action", "test.write"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 3u);
  auto again = RunBinary(
      {"audit", "search", "--config", inst.config().string(), "--action", "audit.search"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_GE(Lines(again.out).size(), 1u);
  EXPECT_NE(again.out.find("\"kind\":\"cli\""), std::string::npos);
  for (auto args : std::vector<std::vector<std::string>>{
           {"--limit", "0"}, {"--since", "yesterday"}, {"--cursor", "x'; DROP TABLE"}}) {
    std::vector<std::string> full = {"audit", "search", "--config", inst.config().string()};
    full.insert(full.end(), args.begin(), args.end());
    EXPECT_EQ(RunBinary(full).exit_code, 2) << args[0];
  }
}

TEST(AuditCliTest, InjectedLinesAndControlCharactersStayInOneEscapedField) {
  Instance inst;
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  const std::vector<std::string> payloads = {"a\r\n{\"seq\":1,\"action\":\"auth.login\"}",
                                             "\x1b[2J\x1b[31mred",
                                             "tab\there\x7f",
                                             "\xe2\x80\xa8",
                                             "\"},\"decision\":{\"allow\":true}",
                                             std::string(5000, 'L')};
  for (const auto& p : payloads) ASSERT_EQ(AuditedWrite(inst.port(), p).status, 204);
  auto r =
      RunBinary({"audit", "search", "--config", inst.config().string(), "--action", "test.write"});
  ASSERT_EQ(r.exit_code, 0);
  const auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), payloads.size());  // one line per event, whatever the payload
  for (const auto& line : lines) {
    for (unsigned char c : line) ASSERT_GE(c, 0x20) << line;
    auto v = boost::json::parse(line);
    EXPECT_EQ(v.at("action").as_string(), "test.write");
  }
  EXPECT_EQ(RunBinary({"audit", "verify", "--config", inst.config().string()}).exit_code, 0);
}

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    collector_ = std::make_unique<Collector>(dir_.path());
    ASSERT_TRUE(collector_->Start());
  }
  // Waits (bounded) until the collector has every sequence in [1, last].
  bool ReceivedAll(int64_t last) {
    for (int i = 0; i < 3000; ++i) {
      const auto got = collector_->ReceivedSequences();
      bool all = true;
      for (int64_t s = 1; s <= last && all; ++s) all = got.contains(s);
      if (all) return true;
      ::usleep(10'000);  // polling another process's output file
    }
    return false;
  }
  TempDir dir_;
  std::unique_ptr<Collector> collector_;
};

TEST_F(CollectorTest, NothingIsLostAcrossACollectorOutage) {
  Instance inst;
  inst.AddToSection("audit", collector_->AuditConfig() + "checkpoint_interval_ms = 200\n");
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  const int n = 20, m = 15;
  for (int i = 0; i < n; ++i) ASSERT_EQ(AuditedWrite(inst.port(), "n").status, 204);
  ASSERT_TRUE(ReceivedAll(1 + n)) << collector_->Received();  // system.start + n writes

  collector_->Stop();
  for (int i = 0; i < m; ++i) ASSERT_EQ(AuditedWrite(inst.port(), "m").status, 204);
  EXPECT_EQ(HttpsGet(inst.port(), "/readyz").status, 200);  // the outage does not stop service
  EXPECT_GT(ScrapeMetric(inst.port(), "strongroom_audit_backlog"), 0);

  ASSERT_TRUE(collector_->Start());
  ASSERT_TRUE(ReceivedAll(1 + n + m)) << collector_->Received();
  // Checkpoints travel too, signed.
  const std::string checkpoint = " checkpoint [strongroom@32473 seq=\"";
  for (int i = 0; i < 500 && collector_->Received().find(checkpoint) == std::string::npos; ++i) {
    ::usleep(10'000);
  }
  EXPECT_NE(collector_->Received().find(checkpoint), std::string::npos);
  double backlog = -1;
  for (int i = 0; i < 200; ++i) {
    backlog = ScrapeMetric(inst.port(), "strongroom_audit_backlog");
    if (backlog == 0) break;
    ::usleep(10'000);
  }
  EXPECT_EQ(backlog, 0);
}

// The collector named by a host name: resolving it runs the C library's resolver inside the running
// server, under its system-call allow-list.
TEST_F(CollectorTest, ACollectorNamedByHostNameIsReached) {
  Instance inst;
  auto config = collector_->AuditConfig();
  const auto at = config.find("127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << config;
  config.replace(at, 9, "localhost");
  inst.AddToSection("audit", config);
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(AuditedWrite(inst.port(), "h").status, 204);
  EXPECT_TRUE(ReceivedAll(4)) << collector_->Received();
  EXPECT_EQ(inst.Stop(), 0) << "still running, and stopped cleanly";
}

TEST_F(CollectorTest, ACollectorWithTheWrongNameIsNeverSentAnything) {
  Instance inst;
  auto config = collector_->AuditConfig();
  config.replace(config.find("collector.test"), 14, "elsewhere.test");
  inst.AddToSection("audit", config);
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(AuditedWrite(inst.port(), "x").status, 204);
  // Nothing received proves something only once the shipper has tried, and tried again.
  double failures = 0;
  for (int i = 0; i < 500; ++i) {
    failures = ScrapeMetric(inst.port(), "strongroom_audit_ship_failures_total");
    if (failures >= 2) break;
    ::usleep(10'000);
  }
  EXPECT_GE(failures, 2);
  EXPECT_GE(ScrapeMetric(inst.port(), "strongroom_audit_backlog"), 4);
  EXPECT_TRUE(collector_->ReceivedSequences().empty());
}

}  // namespace
}  // namespace strongroom::testing
