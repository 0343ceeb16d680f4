#pragma once
// A migrated store with two organisations, the audit log, the key store and the record service,
// on a clock moved by hand; accounts are made up as Principals (as Authenticate would give them).

#include <boost/json.hpp>
#include <memory>

#include "audit/audit_log.h"
#include "crypto/master_key.h"
#include "crypto/signing.h"
#include "fakes/audit_journal.h"
#include "fakes/temp_dir.h"
#include "records/record_service.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::records {

class RecordsFixture {
 public:
  RecordsFixture()
      : signing(crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom())),
        master(crypto::GenerateMasterKey(Environment::kTest, crypto::DefaultRandom())) {
    store = std::move(*store::SqliteStore::Open({dir / "db", 2, 256}));
    (void)store::Migrate(*store);
    audit = testing::OpenAuditLog(*store, clock, signing, dir / "audit");
    keys = std::make_unique<store::KeyStore>(master, Environment::kTest, crypto::DefaultRandom(),
                                             clock);
    service =
        std::make_unique<RecordService>(*store, *audit, *keys, clock, crypto::DefaultRandom());
    for (const char* org : {"org-a", "org-b"}) AddOrg(org);
  }

  void AddOrg(const std::string& id) {
    (void)store->Write([&](store::Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO organisations (id, name, status, agreed_expiry_days, created_at) VALUES "
          "(?, ?, 'active', 90, '2026-01-01T00:00:00Z')",
          {id, "name of " + id}));
      return keys->CreateOrgKey(tx, id);
    });
  }

  // A principal as Authenticate returns it.
  identity::Principal Who(std::string id, std::string org, std::string kind, std::string roles,
                          std::string remits, std::string grants, std::string status = "active") {
    identity::Principal p;
    p.account.id = id;
    p.account.username = id + ".user";
    p.account.kind = identity::ParseKind(kind).value_or(identity::Kind::kOperator);
    p.account.roles = identity::Roles::Parse(roles).value_or(identity::Roles{});
    p.account.org_id = std::move(org);
    p.account.person_id = "per-" + id;
    p.account.status = std::move(status);
    p.account.expires_at = clock.Now() + std::chrono::days(30);
    p.account.remits = identity::SortedList(remits);
    p.account.grants = identity::SortedList(grants);
    p.session_id = "sess-" + id;
    return p;
  }

  static RecordInput Input(std::string remit, std::string title, std::string classification,
                           std::vector<std::string> descriptors, std::string body_json) {
    return {std::move(remit),       std::move(title),     std::move(classification),
            std::move(descriptors), std::move(body_json), std::nullopt};
  }

  // The newest audit event with `action`, parsed.
  boost::json::object LastEvent(const std::string& action) {
    auto events = testing::JournalEvents(dir / "audit", action);
    return events.empty() ? boost::json::object{} : events.back();
  }

  int64_t EventCount() { return audit->journal().DurableHead().sequence; }

  const identity::RequestContext ctx{"192.0.2.7", "req-test"};
  testing::TempDir dir;
  ManualClock clock{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
  crypto::SigningKey signing;
  crypto::MasterKeyHandle master;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<store::KeyStore> keys;
  std::unique_ptr<RecordService> service;
};

}  // namespace strongroom::records
