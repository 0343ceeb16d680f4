// The purge job: what is past retention and held by no order is crypto-shredded (the matrix of
// holds is in tests/retention), and what sign-in leaves behind is bounded.

#include "records/purge.h"

#include <gtest/gtest.h>

#include "records/records_fixture.h"

namespace strongroom::records {
namespace {

// `n` records by `editor` kept for an hour, then the clock two hours on: all of them are due.
void CreateDue(RecordsFixture& f, const identity::Principal& editor, int n) {
  for (int i = 0; i < n; ++i) {
    auto in = RecordsFixture::Input("north", "t", "OFFICIAL", {}, "{}");
    in.retain_until = f.clock.Now() + std::chrono::hours(1);
    ASSERT_TRUE(f.service->Create(editor, in, f.ctx));
  }
  f.clock.Advance(std::chrono::hours(2));
}

TEST(PurgeTest, ADryRunCountsAndChangesNothing) {
  RecordsFixture f;
  Purge purge(*f.store, *f.audit, f.clock);
  auto editor = f.Who("acc-ed", "org-a", "standard", "editor", "north", "");
  ASSERT_NO_FATAL_FAILURE(CreateDue(f, editor, 3));
  auto dry = purge.Run(true);
  ASSERT_TRUE(dry);
  EXPECT_EQ(dry->records, 3);
  EXPECT_EQ(dry->record_ids.size(), 3u);
  EXPECT_EQ(f.service->List(editor, "", 10, "", f.ctx)->items.size(), 3u);
  EXPECT_EQ(purge.Run(false)->records, 3);
  EXPECT_TRUE(f.service->List(editor, "", 10, "", f.ctx)->items.empty());
}

// A purge beside the service asks between batches whether the service is stopping: one that is
// ends after the batch under way (50 records), says so, and the next run purges the rest.
TEST(PurgeTest, AStoppingServiceEndsThePurgeBetweenBatchesAndTheNextRunFinishesIt) {
  RecordsFixture f;
  Purge purge(*f.store, *f.audit, f.clock);
  auto editor = f.Who("acc-ed", "org-a", "standard", "editor", "north", "");
  ASSERT_NO_FATAL_FAILURE(CreateDue(f, editor, 120));
  int asked = 0;
  auto first = purge.Run(false, Purge::Pace::kBesideService, [&asked] { return ++asked > 0; });
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->stopped);
  EXPECT_EQ(first->records, 50);
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(purge.Run(true)->records, 70);
  auto rest = purge.Run(false, Purge::Pace::kBesideService, [] { return false; });
  ASSERT_TRUE(rest) << rest.error().message;
  EXPECT_FALSE(rest->stopped);
  EXPECT_EQ(rest->records, 70);
  EXPECT_EQ(purge.Run(true)->records, 0);
}

// Sign-in leaves rows behind for every failed attempt (one per username tried from each address)
// and for every device signed in from: the purge bounds both.
TEST(PurgeTest, StaleDeviceCookiesAndEndedSignInDelaysGo) {
  RecordsFixture f;
  Purge purge(*f.store, *f.audit, f.clock);
  const auto now = f.clock.Now();
  auto at = [&](std::chrono::hours ago) { return FormatRfc3339(now - ago); };
  ASSERT_TRUE(f.store->Write([&](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO people (id, org_id, name, email, created_at) VALUES ('per-1', "
                "'org-a', 'P', 'p@x.example', '2026-01-01T00:00:00Z')"));
    RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, status, "
        "expires_at, created_at) VALUES ('acc-1', 'per-1', 'org-a', 'p.one', 'standard', "
        "'reader', 'north', 'active', '2099-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"));
    for (const auto& [hash, used] : std::vector<std::pair<std::string, std::string>>{
             {"old", at(std::chrono::hours(24 * 181))},
             {"new", at(std::chrono::hours(24 * 179))}}) {
      RETURN_IF_ERROR(
          tx.Exec("INSERT INTO known_devices (device_hash, account_id, created_at, "
                  "last_used_at) VALUES (?, 'acc-1', ?, ?)",
                  {Bytes(hash.begin(), hash.end()), used, used}));
    }
    for (const auto& [name, next] : std::vector<std::pair<std::string, std::string>>{
             {"ended.long.ago", at(std::chrono::hours(25))},
             {"still.waiting", at(std::chrono::hours(-1))},
             {"ended.recently", at(std::chrono::hours(1))}}) {
      RETURN_IF_ERROR(
          tx.Exec("INSERT INTO login_throttle (username, source, failures, "
                  "next_allowed_at) VALUES (?, '192.0.2.1', 5, ?)",
                  {name, next}));
    }
    return {};
  }));
  auto report = purge.Run(false);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->devices, 1);
  EXPECT_EQ(report->throttles, 1);
  auto left = [&](const std::string& sql) {
    std::vector<std::string> out;
    (void)f.store->Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto rows, tx.Query(sql));
      for (const auto& r : rows) out.push_back(r.Text(0));
      return {};
    });
    return out;
  };
  EXPECT_EQ(left("SELECT CAST(device_hash AS TEXT) FROM known_devices"),
            std::vector<std::string>{"new"});
  EXPECT_EQ(left("SELECT username FROM login_throttle ORDER BY username"),
            (std::vector<std::string>{"ended.recently", "still.waiting"}));
  EXPECT_EQ(f.LastEvent("retention.purge").at("detail").at("throttles").as_string(), "1");
}

}  // namespace
}  // namespace strongroom::records
