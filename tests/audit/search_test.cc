#include "audit/search.h"

#include <gtest/gtest.h>

#include "audit/audit_fixture.h"

namespace strongroom::audit {
namespace {

class SearchTest : public ::testing::Test {
 protected:
  SearchTest() {
    for (int i = 0; i < 12; ++i) {
      auto e = AuditFixture::MakeEvent(i % 2 ? "record.view" : "record.update",
                                       "rec-" + std::to_string(i % 3));
      if (i >= 6) e.actor.account_id = "acc-2";
      EXPECT_TRUE(f_.log->Record(e));
      f_.clock.Advance(std::chrono::minutes(1));
    }
  }
  SearchPage Find(SearchQuery q) {
    auto p = f_.log->Search(q);
    EXPECT_TRUE(p) << p.error().message;
    return p ? *p : SearchPage{};
  }
  // SQLite's plan for a search statement over the index, one step per line.
  std::string Plan(const internal::SearchStatement& st) {
    std::string plan;
    EXPECT_TRUE(f_.log->index().StoreForTest().Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto rows, tx.Query("EXPLAIN QUERY PLAN " + st.sql, st.params));
      for (const auto& row : rows) plan += row.Text(3) + "\n";
      return {};
    }));
    return plan;
  }
  AuditFixture f_;
};

TEST_F(SearchTest, FiltersCombine) {
  EXPECT_EQ(Find({.actor = "acc-2"}).events.size(), 6u);
  EXPECT_EQ(Find({.action = "record.view"}).events.size(), 6u);
  EXPECT_EQ(Find({.actor = "acc-2", .target = "rec-0", .action = "record.update"}).events.size(),
            1u);
  EXPECT_TRUE(Find({.actor = "nobody"}).events.empty());
}

TEST_F(SearchTest, AnActionPrefixFindsThatFamilyAloneFromItsIndex) {
  for (const char* action : {"security.attack", "security.block", "securityx", "security"}) {
    EXPECT_TRUE(f_.log->Record(AuditFixture::MakeEvent(action, "src")));
  }
  const auto found = Find({.action_prefix = "security."});
  ASSERT_EQ(found.events.size(), 2u);
  EXPECT_NE(found.events[0].find("\"security.block\""), std::string::npos);
  EXPECT_NE(found.events[1].find("\"security.attack\""), std::string::npos);
  EXPECT_EQ(Find({.action_prefix = "record."}).events.size(), 12u);
  const auto plan = Plan(internal::BuildSearch({.action_prefix = "security."}, 1000));
  EXPECT_NE(plan.find("USING INDEX audit_events_action"), std::string::npos) << plan;
}

TEST_F(SearchTest, TimeRangeIsHalfOpen) {
  const auto start = TimePoint(std::chrono::milliseconds(1'800'000'000'000));
  auto p =
      Find({.since = start + std::chrono::minutes(2), .until = start + std::chrono::minutes(5)});
  ASSERT_EQ(p.events.size(), 3u);
  EXPECT_TRUE(p.events.front().starts_with("{\"seq\":5,"));  // newest first
  EXPECT_TRUE(p.events.back().starts_with("{\"seq\":3,"));
}

TEST_F(SearchTest, PagesWithACursorUntilTheEnd) {
  std::vector<std::string> all;
  SearchQuery q{.limit = 5};
  for (int pages = 0; pages < 10; ++pages) {
    auto p = Find(q);
    all.insert(all.end(), p.events.begin(), p.events.end());
    if (p.next_cursor.empty()) break;
    q.cursor = p.next_cursor;
  }
  ASSERT_EQ(all.size(), 12u);
  EXPECT_TRUE(all.front().starts_with("{\"seq\":12,"));
  EXPECT_TRUE(all.back().starts_with("{\"seq\":1,"));
}

// The plan SQLite chooses for a search: each filter is served by its index, never by a scan of
// the whole log (a generic "? = '' OR actor_id = ?" statement scanned every event).
TEST_F(SearchTest, EachFilterIsServedByItsIndex) {
  const auto start = TimePoint(std::chrono::milliseconds(1'800'000'000'000));
  const std::pair<SearchQuery, std::string> cases[] = {
      {{.actor = "acc-2"}, "audit_events_actor"},
      {{.target = "rec-1"}, "audit_events_target"},
      {{.action = "record.view"}, "audit_events_action"},
  };
  for (const auto& [query, index] : cases) {
    const auto st = internal::BuildSearch(query, 1000);
    const std::string plan = Plan(st);
    EXPECT_NE(plan.find("USING INDEX " + index), std::string::npos) << plan;
    EXPECT_EQ(plan.find("SCAN audit_events"), std::string::npos) << plan;
  }
  // A time range alone is bounded either by its index or by the sequence (the primary key):
  // SQLite chooses by its estimates; neither is a scan of the whole table.
  {
    const auto st =
        internal::BuildSearch({.since = start, .until = start + std::chrono::minutes(2)}, 1000);
    const std::string plan = Plan(st);
    EXPECT_NE(plan.find("SEARCH audit_events"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("SCAN audit_events"), std::string::npos) << plan;
  }
  // No filter: newest first by sequence, the primary key.
  const auto st = internal::BuildSearch({}, 1000);
  EXPECT_EQ(st.sql.find("actor_id"), std::string::npos);
  EXPECT_EQ(st.params.size(), 2u);
}

TEST_F(SearchTest, HostileFiltersMatchLiterallyOrAreRefused) {
  for (const std::string& v :
       std::vector<std::string>{"' OR '1'='1", "%", "_", "acc-1' --", std::string("\0", 1)}) {
    EXPECT_TRUE(Find({.actor = v}).events.empty()) << v;
  }
  for (const char* cursor :
       {"abc", "-1", "0", "1; DROP TABLE audit_events", "99999999999999999999"}) {
    auto p = f_.log->Search({.cursor = cursor});
    ASSERT_FALSE(p) << cursor;
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(f_.log->Search({.limit = 0}));
  EXPECT_FALSE(f_.log->Search({.limit = 1001}));
  EXPECT_FALSE(f_.log->Search({.actor = std::string(300, 'a')}));
  EXPECT_EQ(Find({}).events.size(), 12u);  // nothing was dropped
}

}  // namespace
}  // namespace strongroom::audit
