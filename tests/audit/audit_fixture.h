#pragma once
// A migrated store, a moved-by-hand clock and an audit key, for audit tests.

#include <memory>

#include "audit/audit_log.h"
#include "crypto/signing.h"
#include "fakes/temp_dir.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::audit {

class AuditFixture {
 public:
  explicit AuditFixture(int checkpoint_every = 1000)
      : key(crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom())) {
    Reopen(checkpoint_every);
  }

  void Reopen(int checkpoint_every = 1000) {
    log.reset();
    if (store) store->Close();
    store = std::move(*store::SqliteStore::Open({dir / "db", 2, 256}));
    (void)store::Migrate(*store);
    log = std::make_unique<AuditLog>(*store, clock, key, Environment::kTest, checkpoint_every);
  }

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

  // Runs `sql` on the raw store, as an attacker with file access would.
  void Tamper(const std::string& sql, const store::Params& params = {}) {
    ASSERT_TRUE(store->Write([&](store::Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec(sql, params));
      return {};
    }));
  }

  testing::TempDir dir;
  ManualClock clock{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  crypto::SigningKey key;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<AuditLog> log;
};

}  // namespace strongroom::audit
