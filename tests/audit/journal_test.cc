#include "audit/journal.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "audit/audit_fixture.h"
#include "audit/verifier.h"
#include "crypto/hash.h"
#include "store/meta.h"

namespace strongroom::audit {
namespace {

int64_t FileSize(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? st.st_size : -1;
}

std::optional<std::string> Meta(store::Store& s, const char* key) {
  return *store::ReadValue<std::optional<std::string>>(
      s, [&](store::Transaction& tx) { return store::GetMeta(tx, key); });
}

// --- Framing ---

TEST(JournalFormatTest, ARecordReadsBackAsWritten) {
  JournalRecord r{RecordKind::kEvent, kChange, 1234567890123, {}, "{\"seq\":1234567890123}"};
  r.hash[0] = 0xab;
  r.hash[31] = 0xcd;
  std::string bytes;
  EncodeRecord(r, bytes);
  const auto d = DecodeRecord(bytes);
  ASSERT_EQ(d.status, DecodeStatus::kOk);
  EXPECT_EQ(d.size, bytes.size());
  EXPECT_EQ(d.record.kind, r.kind);
  EXPECT_EQ(d.record.flags, kChange);
  EXPECT_EQ(d.record.sequence, r.sequence);
  EXPECT_EQ(d.record.hash, r.hash);
  EXPECT_EQ(d.record.text, r.text);
}

TEST(JournalFormatTest, EveryCutShortRecordIsIncompleteAndEveryFlippedBitIsCorrupt) {
  std::string bytes;
  EncodeRecord({RecordKind::kEvent, 0, 7, {}, "{\"seq\":7,\"x\":\"y\"}"}, bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeRecord(std::string_view(bytes).substr(0, n)).status, DecodeStatus::kIncomplete)
        << n;
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      // A flipped length bit may also make the record look longer than the bytes: incomplete.
      EXPECT_NE(DecodeRecord(flipped).status, DecodeStatus::kOk) << i << ":" << bit;
    }
  }
}

TEST(JournalFormatTest, AnAbsurdLengthIsCorruptNotAnAllocation) {
  std::string bytes(8, '\xff');
  EXPECT_EQ(DecodeRecord(bytes).status, DecodeStatus::kCorrupt);
}

// --- Torn tails and damage ---

TEST(JournalTest, ATornTailIsCutAtOpenAndTheChainGoesOn) {
  AuditFixture f;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(f.log->Record(AuditFixture::MakeEvent("x")));
  f.Close();
  const auto segment = SegmentPath(f.journal(), 1);
  const auto durable = FileSize(segment);
  // A crash in the middle of writing a record: its first bytes, never acknowledged.
  std::string next;
  EncodeRecord({RecordKind::kEvent, 0, 6, {}, "{\"seq\":6,\"never\":\"acknowledged\"}"}, next);
  std::string bytes = testing::ReadFile(segment);
  testing::WriteFile(segment, bytes + next.substr(0, next.size() / 2));
  f.Reopen();
  EXPECT_EQ(f.log->journal().CutAtOpenForTest(), static_cast<int64_t>(next.size() / 2));
  EXPECT_EQ(testing::ReadFile(segment).substr(0, bytes.size()), bytes);
  auto after = ReadRecordAt(f.journal(), {1, durable});  // what the next start wrote in its place
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->kind, RecordKind::kCheckpoint);
  EXPECT_EQ(f.log->journal().DurableHead().sequence, 5);
  ASSERT_EQ(f.log->Record(AuditFixture::MakeEvent("after")), 6);
  auto report = f.Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.events, 6);
}

TEST(JournalTest, ADamagedRecordInTheMiddleIsLeftForVerifyToName) {
  AuditFixture f;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(f.log->Record(AuditFixture::MakeEvent("x")));
  f.Close();
  const auto segment = SegmentPath(f.journal(), 1);
  auto bytes = testing::ReadFile(segment);
  bytes[bytes.find("alice.smith", bytes.size() / 3)] ^= 0x01;  // inside an event's text
  testing::WriteFile(segment, bytes);
  f.Reopen();
  EXPECT_EQ(f.log->journal().CutAtOpenForTest(), 0) << "nothing acknowledged is ever cut";
  EXPECT_EQ(testing::ReadFile(segment).substr(0, bytes.size()), bytes);
  auto report = f.Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.problem.find("damaged record"), std::string::npos) << report.problem;
}

TEST(JournalTest, AJournalCutShorterThanWrittenIsNotWrittenTo) {
  AuditFixture f;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(f.log->Record(AuditFixture::MakeEvent("x")));
  const auto segment = SegmentPath(f.journal(), 1);
  ASSERT_EQ(::truncate(segment.c_str(), FileSize(segment) - 10), 0);
  auto r = f.log->Record(AuditFixture::MakeEvent("after"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
}

TEST(JournalTest, ADamagedEndIsRefusedNotCutWhileServing) {
  AuditFixture f;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(f.log->Record(AuditFixture::MakeEvent("x")));
  // Another writer's last record, complete and acknowledged, then damaged: not a torn write.
  ManualClock clock{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  {
    auto other =
        Journal::Open({f.journal(), "node-1", 1000, 64 << 20}, clock, f.key, Environment::kTest);
    ASSERT_TRUE(other);
    ASSERT_TRUE((*other)->AppendAndWait(AuditFixture::MakeEvent("other")));
  }
  const auto segment = SegmentPath(f.journal(), 1);
  auto bytes = testing::ReadFile(segment);
  bytes[bytes.rfind("other")] ^= 0x01;
  testing::WriteFile(segment, bytes);
  auto r = f.log->Record(AuditFixture::MakeEvent("after"));
  ASSERT_FALSE(r);
  EXPECT_EQ(testing::ReadFile(segment), bytes) << "nothing acknowledged is cut";
  EXPECT_FALSE(f.log->Probe());
}

TEST(JournalTest, AJournalCutWhileStoppedIsRefusedAtStart) {
  AuditFixture f;
  ASSERT_TRUE(f.log->Change<bool>(AuditFixture::MakeEvent("k.set"),
                                  [](store::Transaction& tx) -> Result<bool> {
                                    RETURN_IF_ERROR(store::SetMeta(tx, "k", "v"));
                                    return true;
                                  }));
  f.Close();
  // Everything from the change on goes: a validly framed journal that ends too soon.
  f.Rewrite([](std::vector<JournalRecord>& records) {
    std::erase_if(records, [](const JournalRecord& r) { return r.sequence >= 1; });
  });
  auto s = store::SqliteStore::Open({f.dir / "db", 1, 16});
  ASSERT_TRUE(s);
  auto log = AuditLog::Open(**s, f.clock, f.key, Environment::kTest,
                            {f.journal(), "node-1", 1000, 64 << 20, true});
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, ErrorCode::kDataLoss);
  EXPECT_NE(log.error().message.find("was cut"), std::string::npos) << log.error().message;
  (*s)->Close();
}

// --- Segments ---

TEST(JournalTest, FullSegmentsAreSealedAndEachNewOneOpensWithASignedCheckpoint) {
  AuditFixture f(1000, 2000);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(f.log->Record(AuditFixture::MakeEvent("x")));
  const auto segments = *ListSegments(f.journal());
  ASSERT_GE(segments.size(), 5u);
  for (size_t i = 1; i < segments.size(); ++i) {
    auto first = ReadRecordAt(f.journal(), {segments[i], 0});
    ASSERT_TRUE(first);
    EXPECT_EQ(first->kind, RecordKind::kCheckpoint);
    EXPECT_EQ(first->sequence, segments[i] - 1);
  }
  auto report = f.Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.events, 40);
  // A reader follows across them, and the index points into each.
  auto page = f.log->Search({.limit = 1000});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->events.size(), 40u);
  // Reopened, the writer goes on in the last segment.
  f.Reopen();
  ASSERT_EQ(f.log->Record(AuditFixture::MakeEvent("after")), 41);
  EXPECT_TRUE(f.Verify().ok);
}

TEST(JournalTest, ASegmentThatLostItsSealIsNamedNotTakenForTheEnd) {
  AuditFixture f(1000, 2000);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(f.log->Record(AuditFixture::MakeEvent("x")));
  ASSERT_TRUE(f.log->Search({.limit = 1}));
  const auto segments = *ListSegments(f.journal());
  ASSERT_GE(segments.size(), 3u);
  const auto first = SegmentPath(f.journal(), segments[0]);
  const auto bytes = testing::ReadFile(first);
  std::string without;
  for (size_t pos = 0; pos < bytes.size();) {
    auto d = DecodeRecord(std::string_view(bytes).substr(pos));
    ASSERT_EQ(d.status, DecodeStatus::kOk);
    if (d.record.kind != RecordKind::kSeal) EncodeRecord(d.record, without);
    pos += d.size;
  }
  ASSERT_LT(without.size(), bytes.size());
  testing::WriteFile(first, without);
  auto report = f.Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.problem.find("without its seal"), std::string::npos) << report.problem;
  EXPECT_EQ(report.first_bad_sequence, segments[1]);
}

TEST(JournalTest, TwoWritersOnOneJournalKeepOneChain) {
  // Two journals open on one directory, as `serve` and `strongroom audit search` are: each batch
  // is written under the directory's lock after catching up with the other's.
  AuditFixture f(10, 3000);
  ManualClock clock{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  auto other = Journal::Open({f.journal(), "node-1", 10, 3000}, clock, f.key, Environment::kTest);
  ASSERT_TRUE(other);
  std::thread a([&] {
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(f.log->Record(AuditFixture::MakeEvent("a")));
  });
  std::thread b([&] {
    for (int i = 0; i < 200; ++i)
      ASSERT_TRUE((*other)->AppendAndWait(AuditFixture::MakeEvent("b")));
  });
  a.join();
  b.join();
  other->reset();
  auto report = f.Verify();
  EXPECT_TRUE(report.ok) << report.problem << " at " << report.first_bad_sequence;
  EXPECT_EQ(report.events, 400);
  EXPECT_GE(ListSegments(f.journal())->size(), 3u);
}

// --- Disk full ---

// In a child whose file size limit leaves room for a few events only: appends fail closed
// (kUnavailable, nothing half-written left behind), and succeed again once the limit is raised.
TEST(JournalTest, AFullDiskFailsAppendsClosedAndServiceResumesWhenSpaceReturns) {
  AuditFixture f;
  ASSERT_TRUE(f.log->Record(AuditFixture::MakeEvent("before")));
  f.Close();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);  // as serve does: a write past the limit fails with EFBIG
    auto s = store::SqliteStore::Open({f.dir / "db", 1, 16});
    if (!s) ::_exit(3);
    auto log = AuditLog::Open(**s, f.clock, f.key, Environment::kTest,
                              {f.journal(), "node-1", 1000, 64 << 20, true});
    if (!log) ::_exit(4);
    const auto segment = SegmentPath(f.journal(), 1);
    const auto room = static_cast<rlim_t>(FileSize(segment) + 1500);
    rlimit limit{room, RLIM_INFINITY};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(5);
    int written = 0;
    Result<int64_t> r = 0;
    while ((r = (*log)->Record(AuditFixture::MakeEvent("filling"))) && written < 100) ++written;
    if (r || written == 0 || written == 100) ::_exit(6);
    if (r.error().code != ErrorCode::kUnavailable) ::_exit(7);
    if (static_cast<rlim_t>(FileSize(segment)) > room) ::_exit(8);
    // No room at all now: not ready, and nothing is written.
    limit.rlim_cur = static_cast<rlim_t>(FileSize(segment));
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(5);
    if ((*log)->Probe()) ::_exit(9);
    if ((*log)->Record(AuditFixture::MakeEvent("refused"))) ::_exit(9);
    // The bytes of the failed batch are gone: the file ends at the last whole record.
    auto reader = JournalReader::FromStart(f.journal());
    int events = 0;
    for (;;) {
      auto item = reader->Next();
      if (!item) ::_exit(10);
      if (!*item) break;
      events += (*item)->record.kind == RecordKind::kEvent;
    }
    if (events != written + 1) ::_exit(11);
    limit.rlim_cur = RLIM_INFINITY;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(12);
    if (!(*log)->Probe()) ::_exit(13);
    if (!(*log)->Record(AuditFixture::MakeEvent("after"))) ::_exit(14);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_EQ(WEXITSTATUS(status), 0);
  f.Reopen();
  auto report = f.Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  const auto events = f.Events();
  EXPECT_NE(events.back().find("\"after\""), std::string::npos);
}

// --- Crashes at each step of a change ---

enum class CrashAt { kBeforeJournal, kBetweenJournalAndCommit, kAfterCommit };

// A child makes a committed change (k = v0), then dies at `at` while changing k to v1. The
// parent opens the instance again, as the next start would.
void CrashDuringAChange(AuditFixture& f, CrashAt at) {
  f.Close();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = store::SqliteStore::Open({f.dir / "db", 1, 16});
    if (!s) ::_exit(3);
    auto log = AuditLog::Open(**s, f.clock, f.key, Environment::kTest,
                              {f.journal(), "node-1", 1000, 64 << 20, true});
    if (!log) ::_exit(4);
    auto set = [&](const char* v) {
      return (*log)->Change<bool>(AuditFixture::MakeEvent("k.set"),
                                  [&](store::Transaction& tx) -> Result<bool> {
                                    RETURN_IF_ERROR(store::SetMeta(tx, "k", v));
                                    return true;
                                  });
    };
    if (!set("v0")) ::_exit(5);
    (*log)->SetChangeHookForTest([at](int step) {
      if ((at == CrashAt::kBeforeJournal && step == 0) ||
          (at == CrashAt::kBetweenJournalAndCommit && step == 1)) {
        ::kill(::getpid(), SIGKILL);
      }
    });
    if (!set("v1")) ::_exit(6);
    ::kill(::getpid(), SIGKILL);  // after the commit
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exited " << WEXITSTATUS(status);
  f.Reopen();
}

std::vector<boost::json::object> WithAction(AuditFixture& f, const std::string& action) {
  return testing::JournalEvents(f.journal(), action);
}

TEST(JournalCrashTest, BeforeTheJournalWriteNeitherTheChangeNorItsEventIsThere) {
  AuditFixture f;
  CrashDuringAChange(f, CrashAt::kBeforeJournal);
  EXPECT_EQ(Meta(*f.store, "k"), "v0");
  EXPECT_EQ(WithAction(f, "k.set").size(), 1u);
  EXPECT_TRUE(WithAction(f, "audit.change.not_committed").empty());
  auto report = f.Verify();
  EXPECT_TRUE(report.ok) << report.problem;
}

TEST(JournalCrashTest, BetweenTheJournalAndTheCommitTheEventIsCorrectedAtTheNextStart) {
  AuditFixture f;
  CrashDuringAChange(f, CrashAt::kBetweenJournalAndCommit);
  EXPECT_EQ(Meta(*f.store, "k"), "v0") << "the change did not commit";
  const auto changes = WithAction(f, "k.set");
  ASSERT_EQ(changes.size(), 2u) << "its event was durable";
  const auto corrections = WithAction(f, "audit.change.not_committed");
  ASSERT_EQ(corrections.size(), 1u);
  EXPECT_EQ(corrections[0].at("target").at("id").as_string(),
            std::to_string(changes[1].at("seq").as_int64()));
  EXPECT_EQ(corrections[0].at("detail").at("sequence").as_string(),
            std::to_string(changes[1].at("seq").as_int64()));
  auto report = f.Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  // A second start finds it corrected already.
  f.Reopen();
  EXPECT_EQ(WithAction(f, "audit.change.not_committed").size(), 1u);
}

TEST(JournalCrashTest, AfterTheCommitTheChangeAndItsEventAreBothThere) {
  AuditFixture f;
  CrashDuringAChange(f, CrashAt::kAfterCommit);
  EXPECT_EQ(Meta(*f.store, "k"), "v1");
  EXPECT_EQ(WithAction(f, "k.set").size(), 2u);
  EXPECT_TRUE(WithAction(f, "audit.change.not_committed").empty());
  EXPECT_TRUE(f.Verify().ok);
}

// The store says it did not commit (here: its commit is refused by a full disk simulated in the
// store alone): the correction is written at once, not at the next start.
TEST(JournalCrashTest, ACommitThatFailsIsCorrectedAtOnce) {
  AuditFixture f;
  ASSERT_TRUE(f.store->Write([](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("CREATE TABLE t (v TEXT)"));
    // Refuses at COMMIT time, after the journal write: a deferred foreign key.
    RETURN_IF_ERROR(tx.Exec("CREATE TABLE parent (id TEXT PRIMARY KEY)"));
    RETURN_IF_ERROR(
        tx.Exec("CREATE TABLE child (p TEXT REFERENCES parent(id) DEFERRABLE "
                "INITIALLY DEFERRED)"));
    return {};
  }));
  auto r = f.log->Change<bool>(AuditFixture::MakeEvent("orphan.add"),
                               [](store::Transaction& tx) -> Result<bool> {
                                 RETURN_IF_ERROR(tx.Exec("INSERT INTO child VALUES ('none')"));
                                 return true;
                               });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  const auto changes = WithAction(f, "orphan.add");
  ASSERT_EQ(changes.size(), 1u);
  const auto corrections = WithAction(f, "audit.change.not_committed");
  ASSERT_EQ(corrections.size(), 1u);
  EXPECT_EQ(corrections[0].at("detail").at("sequence").as_string(),
            std::to_string(changes[0].at("seq").as_int64()));
  f.Reopen();
  EXPECT_EQ(WithAction(f, "audit.change.not_committed").size(), 1u) << "not corrected twice";
}

// --- An instance written by the version that kept its events in the store ---

// Writes `n` events into the store's audit_events as that version did (hash chain, a signed
// checkpoint every 10), with the collector's cursor at `shipped`.
void WriteOlderStoreLog(store::Store& s, const crypto::SigningKey& key, ManualClock& clock, int n,
                        int64_t shipped) {
  crypto::Sha256Digest prev{};
  for (int i = 1; i <= n; ++i) {
    auto e = AuditFixture::MakeEvent("record.view", "r" + std::to_string(i));
    e.sequence = i;
    e.time = clock.Now();
    clock.Advance(std::chrono::seconds(1));
    auto text = Canonical(e);
    text.erase(text.find(",\"node\":\"\""), 10);  // that version's events had no node
    prev = crypto::Sha256Concat(
        prev, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    ASSERT_TRUE(s.Write([&](store::Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO audit_events (seq, time, actor_id, action, target_id, canonical, hash) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)",
          {int64_t{i}, FormatRfc3339(e.time), e.actor.account_id, e.action, e.target.id, text,
           Bytes(prev.begin(), prev.end())}));
      if (i % 10 != 0) return {};
      const auto time = FormatRfc3339(clock.Now());
      ASSIGN_OR_RETURN(auto sig,
                       crypto::Sign(key, CheckpointPayload(Environment::kTest, i, prev, time)));
      RETURN_IF_ERROR(
          tx.Exec("INSERT INTO audit_checkpoints (seq, head_hash, time, key_id, "
                  "signature) VALUES (?, ?, ?, ?, ?)",
                  {int64_t{i}, Bytes(prev.begin(), prev.end()), time, key.id(), sig}));
      return {};
    }));
  }
  ASSERT_TRUE(s.Write([&](store::Transaction& tx) {
    return store::SetMeta(tx, "audit_shipped_seq", std::to_string(shipped));
  }));
}

class OlderStoreTest : public ::testing::Test {
 protected:
  OlderStoreTest() : key_(crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom())) {
    store_ = std::move(*store::SqliteStore::Open({dir_ / "db", 2, 64}));
    EXPECT_TRUE(store::Migrate(*store_));
  }
  ~OlderStoreTest() override {
    log_.reset();
    store_->Close();
  }
  void Open() { log_ = testing::OpenAuditLog(*store_, clock_, key_, dir_ / "audit", 10); }
  VerifyReport Verify() {
    return *audit::Verify(dir_ / "audit", log_->index(), key_.public_key, Environment::kTest);
  }
  bool TableExists(const char* name) {
    return *store::ReadValue<bool>(*store_, [&](store::Transaction& tx) -> Result<bool> {
      ASSIGN_OR_RETURN(auto rows,
                       tx.Query("SELECT 1 FROM sqlite_master WHERE name = ?", {std::string(name)}));
      return !rows.empty();
    });
  }

  testing::TempDir dir_;
  ManualClock clock_{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  crypto::SigningKey key_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(OlderStoreTest, ItsEventsMoveIntoTheJournalAndTheChainGoesOnAcrossTheJoin) {
  WriteOlderStoreLog(*store_, key_, clock_, 25, 15);
  Open();
  EXPECT_FALSE(TableExists("audit_events"));
  EXPECT_FALSE(TableExists("audit_checkpoints"));
  EXPECT_EQ(*log_->index().Shipped(), 15) << "the collector's cursor moved with them";
  EXPECT_EQ(Meta(*store_, "audit_shipped_seq"), std::nullopt);
  auto report = Verify();
  EXPECT_TRUE(report.ok) << report.problem << " at " << report.first_bad_sequence;
  EXPECT_EQ(report.events, 25);
  EXPECT_EQ(report.checkpoints, 3);  // 10, 20 and the one signed at open (25)
  ASSERT_EQ(log_->Record(AuditFixture::MakeEvent("after")), 26);
  report = Verify();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.events, 26);
  EXPECT_EQ(log_->Search({.target = "r7"})->events.size(), 1u);
}

TEST_F(OlderStoreTest, APrunedLogMovesWithTheCheckpointThatAnchorsIt) {
  WriteOlderStoreLog(*store_, key_, clock_, 25, 25);
  ASSERT_TRUE(store_->Write([](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec("DELETE FROM audit_events WHERE seq <= 10"));
    return store::SetMeta(tx, "audit_pruned_through", "10");
  }));
  Open();
  auto report = Verify();
  EXPECT_TRUE(report.ok) << report.problem << " at " << report.first_bad_sequence;
  EXPECT_EQ(report.events, 16);  // 11 to 25, and the record of the earlier pruning
  ASSERT_EQ(log_->Record(AuditFixture::MakeEvent("after")), 27);
  EXPECT_TRUE(Verify().ok);
}

TEST_F(OlderStoreTest, AnEventTamperedWithBeforeTheMoveIsStillCaught) {
  WriteOlderStoreLog(*store_, key_, clock_, 25, 0);
  ASSERT_TRUE(store_->Write([](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(tx.Exec(
        "UPDATE audit_events SET canonical = replace(canonical, 'alice', 'mallo') WHERE seq = 12"));
    return {};
  }));
  Open();
  auto report = Verify();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_sequence, 12);
}

}  // namespace
}  // namespace strongroom::audit
