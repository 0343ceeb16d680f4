#pragma once
// A migrated store, the audit log with its journal in the test's directory, a moved-by-hand clock
// and an audit key, for audit tests; and the hands of an attacker with access to the files.

#include <fcntl.h>
#include <unistd.h>

#include <functional>
#include <memory>

#include "audit/audit_log.h"
#include "audit/verifier.h"
#include "crypto/signing.h"
#include "fakes/audit_journal.h"
#include "fakes/temp_dir.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::audit {

class AuditFixture {
 public:
  explicit AuditFixture(int checkpoint_every = 1000, int64_t segment_bytes = 64 << 20)
      : key(crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom())),
        checkpoint_every_(checkpoint_every),
        segment_bytes_(segment_bytes) {
    Reopen();
  }

  void Reopen() {
    log.reset();
    if (store) store->Close();
    store = std::move(*store::SqliteStore::Open({dir / "db", 2, 256}));
    (void)store::Migrate(*store);
    log = testing::OpenAuditLog(*store, clock, key, journal(), checkpoint_every_, segment_bytes_);
  }
  void Close() {
    log.reset();
    store->Close();
  }

  std::filesystem::path journal() const { return dir / "audit"; }

  static Event MakeEvent(std::string action, std::string target = "t1") {
    Event e;
    e.actor = {"acc-1", "alice.smith", "standard", "sess-1"};
    e.source = "192.0.2.1";
    e.action = std::move(action);
    e.target = {"record", std::move(target), "org-1"};
    e.allowed = true;
    e.reason = "in remit";
    e.request_id = "req-1";
    return e;
  }

  VerifyReport Verify() {
    auto r = audit::Verify(journal(), log->index(), key.public_key, Environment::kTest);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : VerifyReport{false, -1, r.error().message};
  }

  std::vector<std::string> Events() { return testing::JournalEvents(journal()); }
  int64_t EventCount() { return static_cast<int64_t>(Events().size()); }

  // Rewrites every segment's records through `edit`, as an attacker with file access would
  // (framing them validly, so that only the chain can tell).
  void Rewrite(const std::function<void(std::vector<JournalRecord>&)>& edit) {
    const auto segments = ListSegments(journal());
    ASSERT_TRUE(segments);
    for (int64_t segment : *segments) {
      const auto path = SegmentPath(journal(), segment);
      std::string bytes = testing::ReadFile(path);
      std::vector<JournalRecord> records;
      for (size_t pos = 0; pos < bytes.size();) {
        auto d = DecodeRecord(std::string_view(bytes).substr(pos));
        ASSERT_EQ(d.status, DecodeStatus::kOk);
        records.push_back(std::move(d.record));
        pos += d.size;
      }
      edit(records);
      std::string out;
      for (const auto& r : records) EncodeRecord(r, out);
      testing::WriteFile(path, out);
    }
  }

  // Runs `sql` on the journal's index, as an attacker with file access would.
  void TamperIndex(const std::string& sql, const store::Params& params = {}) {
    ASSERT_TRUE(log->index().StoreForTest().Write([&](store::Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec(sql, params));
      return {};
    }));
  }

  testing::TempDir dir;
  ManualClock clock{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  crypto::SigningKey key;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<AuditLog> log;

 private:
  int checkpoint_every_;
  int64_t segment_bytes_;
};

}  // namespace strongroom::audit
