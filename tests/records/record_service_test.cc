#include "records/record_service.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <utility>

#include "records/records_fixture.h"

namespace strongroom::records {
namespace {

class RecordServiceTest : public ::testing::Test {
 protected:
  RecordsFixture f_;  // first: the members below are made from it
  identity::Principal editor_ =
      f_.Who("acc-ed", "org-a", "standard", "editor", "north,south", "OFFICIAL-SENSITIVE,PERSONAL");

  Written Create(const std::string& title, const std::string& body = "{}",
                 const std::string& remit = "north") {
    auto w = f_.service->Create(editor_, RecordsFixture::Input(remit, title, "OFFICIAL", {}, body),
                                f_.ctx);
    EXPECT_TRUE(w) << (w ? "" : w.error().message);
    return w.value_or(Written{});
  }
};

TEST_F(RecordServiceTest, CreateThenViewReturnsWhatWasStored) {
  const auto w = Create("A title é", R"({"a":[1,2,{"b":null}],"c":"\u0000x"})");
  EXPECT_EQ(w.version, 1);
  auto r = f_.service->Get(editor_, w.id, f_.ctx);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->summary.title, "A title é");
  EXPECT_EQ(r->body_json, R"({"a":[1,2,{"b":null}],"c":"\u0000x"})");
  EXPECT_EQ(r->summary.remit, "north");
  EXPECT_EQ(r->summary.author, "acc-ed");
  // Default retention: the configured period for OFFICIAL from now.
  EXPECT_EQ(r->summary.retain_until, FormatRfc3339(f_.clock.Now() + std::chrono::days(2555)));
}

// The caller is free as soon as the insert is queued: the decision, the sealing and refusals
// happen before, and the answer comes once the insert and its event are durable.
TEST_F(RecordServiceTest, CreateAsyncQueuesTheInsertAndAnswersOnceItIsDurable) {
  constexpr auto kPatience = std::chrono::seconds(10);
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  f_.store->WriteAsync(
      [&entered, released](store::Transaction&) -> Result<void> {
        entered.set_value();
        released.wait();  // the writer is held here
        return {};
      },
      [](Result<void>) {});
  // The writer is let go on every way out of this test, a failed assertion's included.
  struct Releaser {
    std::promise<void>& p;
    bool done = false;
    void operator()() {
      if (!std::exchange(done, true)) p.set_value();
    }
    ~Releaser() { (*this)(); }
  } let_go{release};
  ASSERT_EQ(entered.get_future().wait_for(kPatience), std::future_status::ready);

  std::promise<Result<Written>> created;
  std::promise<Result<Written>> refused;
  std::promise<Result<Written>> unsealable;
  const auto events_before = f_.EventCount();
  {
    // What the call is given lives only as long as the call.
    auto who = editor_;
    auto ctx = f_.ctx;
    auto input = RecordsFixture::Input("north", "queued", "OFFICIAL", {"PERSONAL"}, R"({"n":1})");
    f_.service->CreateAsync(who, input, ctx,
                            [&created](Result<Written> w) { created.set_value(std::move(w)); });
    input.remit = "west";  // outside the editor's remits: refused without the writer
    f_.service->CreateAsync(who, input, ctx,
                            [&refused](Result<Written> w) { refused.set_value(std::move(w)); });
    // Allowed, but its organisation has no key: the sealing fails, still without the writer.
    auto stranger = f_.Who("acc-st", "org-c", "standard", "editor", "north", "PERSONAL");
    input.remit = "north";
    f_.service->CreateAsync(stranger, input, ctx, [&unsealable](Result<Written> w) {
      unsealable.set_value(std::move(w));
    });
  }
  auto refused_answer = refused.get_future();
  ASSERT_EQ(refused_answer.wait_for(kPatience), std::future_status::ready);
  auto refusal = refused_answer.get();
  ASSERT_FALSE(refusal);
  EXPECT_EQ(refusal.error().code, ErrorCode::kPermissionDenied);
  auto unsealable_answer = unsealable.get_future();
  ASSERT_EQ(unsealable_answer.wait_for(kPatience), std::future_status::ready);
  auto unsealed = unsealable_answer.get();
  ASSERT_FALSE(unsealed);
  EXPECT_EQ(unsealed.error().code, ErrorCode::kNotFound);
  {
    // The sealing failure is recorded as what it was: allowed, then failed.
    const auto event = f_.LastEvent("record.create");
    EXPECT_EQ(event.at("actor").at("id").as_string(), "acc-st");
    EXPECT_TRUE(event.at("decision").at("allow").as_bool());
    EXPECT_EQ(event.at("outcome").as_string(), "not_found");
  }
  EXPECT_EQ(f_.EventCount(), events_before + 2) << "only the two refusals are recorded yet";

  auto answer = created.get_future();
  EXPECT_EQ(answer.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "no answer before the insert is durable";
  let_go();
  ASSERT_EQ(answer.wait_for(kPatience), std::future_status::ready);
  auto w = answer.get();
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->version, 1);
  auto r = f_.service->Get(editor_, w->id, f_.ctx);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->summary.title, "queued");
  EXPECT_EQ(r->body_json, R"({"n":1})");
  EXPECT_EQ(r->summary.descriptors, std::vector<std::string>{"PERSONAL"});
  const auto event = f_.LastEvent("record.create");
  EXPECT_EQ(event.at("target").at("id").as_string(), w->id);
  EXPECT_TRUE(event.at("decision").at("allow").as_bool());
}

TEST_F(RecordServiceTest, UpdateAndDeleteNeedTheCurrentVersion) {
  const auto w = Create("v1");
  auto input = RecordsFixture::Input("", "v2", "OFFICIAL", {}, "{}");
  auto stale = f_.service->Update(editor_, w.id, 2, input, f_.ctx);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kFailedPrecondition);
  auto ok = f_.service->Update(editor_, w.id, 1, input, f_.ctx);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->version, 2);
  // The first version's ETag is now stale too.
  EXPECT_EQ(f_.service->Update(editor_, w.id, 1, input, f_.ctx).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(f_.service->Delete(editor_, w.id, 1, f_.ctx).error().code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(f_.service->Get(editor_, w.id, f_.ctx)->summary.title, "v2");
  ASSERT_TRUE(f_.service->Delete(editor_, w.id, 2, f_.ctx));
  EXPECT_EQ(f_.service->Get(editor_, w.id, f_.ctx).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(f_.LastEvent("record.view").at("decision").at("reason").as_string(), "no such record");
}

TEST_F(RecordServiceTest, HostileValuesAreRefusedAndAuditedWithNothingStored) {
  const std::string big(kMaxBodyBytes, 'x');
  struct Case {
    const char* what;
    RecordInput input;
  } cases[] = {
      {"empty title", RecordsFixture::Input("north", "", "OFFICIAL", {}, "{}")},
      {"201-character title",
       RecordsFixture::Input("north", std::string(201, 'a'), "OFFICIAL", {}, "{}")},
      {"NUL in title",
       RecordsFixture::Input("north", std::string("a\0b", 3), "OFFICIAL", {}, "{}")},
      {"newline in title", RecordsFixture::Input("north", "a\nb", "OFFICIAL", {}, "{}")},
      {"C1 control in title", RecordsFixture::Input("north",
                                                    "a\xc2\x85"
                                                    "b",
                                                    "OFFICIAL", {}, "{}")},
      {"line separator in title", RecordsFixture::Input("north",
                                                        "a\xe2\x80\xa8"
                                                        "b",
                                                        "OFFICIAL", {}, "{}")},
      {"overlong UTF-8 in title", RecordsFixture::Input("north",
                                                        "\xc0\xaf"
                                                        "etc",
                                                        "OFFICIAL", {}, "{}")},
      {"invalid UTF-8 in title", RecordsFixture::Input("north", "\xff", "OFFICIAL", {}, "{}")},
      {"unknown classification", RecordsFixture::Input("north", "t", "SECRET", {}, "{}")},
      {"lower-case classification", RecordsFixture::Input("north", "t", "official", {}, "{}")},
      {"unknown descriptor", RecordsFixture::Input("north", "t", "OFFICIAL", {"TOPSECRET"}, "{}")},
      {"repeated descriptor",
       RecordsFixture::Input("north", "t", "OFFICIAL", {"PERSONAL", "PERSONAL"}, "{}")},
      {"SQL in descriptor",
       RecordsFixture::Input("north", "t", "OFFICIAL", {"PERSONAL') OR 1=1 --"}, "{}")},
      {"body over 256 KiB",
       RecordsFixture::Input("north", "t", "OFFICIAL", {}, "{\"x\":\"" + big + "\"}")},
      {"remit with traversal", RecordsFixture::Input("../south", "t", "OFFICIAL", {}, "{}")},
      {"empty remit", RecordsFixture::Input("", "t", "OFFICIAL", {}, "{}")},
  };
  for (const auto& c : cases) {
    const auto before = f_.EventCount();
    auto r = f_.service->Create(editor_, c.input, f_.ctx);
    ASSERT_FALSE(r) << c.what;
    EXPECT_EQ(r.error().code, c.input.remit == "../south" ? ErrorCode::kPermissionDenied
                                                          : ErrorCode::kInvalidArgument)
        << c.what;
    EXPECT_EQ(f_.EventCount(), before + 1) << c.what << ": the attempt is audited";
    EXPECT_FALSE(f_.LastEvent("record.create").at("decision").at("allow").as_bool()) << c.what;
  }
  auto list = f_.service->List(editor_, "", 100, "", f_.ctx);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->items.empty()) << "nothing was stored";
}

TEST_F(RecordServiceTest, SqlAndScriptInTitlesAndBodiesAreStoredLiterally) {
  for (const std::string title :
       {"'; DROP TABLE records; --", "\" OR \"1\"=\"1", "<script>alert(1)</script>",
        "{{7*7}} ${7*7} %s%n", "Robert'); DELETE FROM audit_events;--"}) {
    const auto body = boost::json::serialize(boost::json::object{{"note", title}});
    const auto w = Create(title, body);
    auto r = f_.service->Get(editor_, w.id, f_.ctx);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->summary.title, title);
    EXPECT_EQ(r->body_json, body);
  }
  auto list = f_.service->List(editor_, "", 100, "", f_.ctx);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->items.size(), 5u);
}

TEST_F(RecordServiceTest, HostileIdsAndCursorsAreNotFoundOrRefused) {
  Create("real");
  for (const std::string& id :
       std::vector<std::string>{"../records", "rec-' OR '1'='1", "%00", std::string("rec-\0", 5),
                                std::string(10000, 'a'), "REC-00000000000000000000000000000000"}) {
    auto r = f_.service->Get(editor_, id, f_.ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  }
  for (const std::string cursor : {"' OR 1=1 --", "rec-zz", "x"}) {
    auto r = f_.service->List(editor_, "", 10, cursor, f_.ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
  for (int limit : {0, -1, 101}) {
    EXPECT_EQ(f_.service->List(editor_, "", limit, "", f_.ctx).error().code,
              ErrorCode::kInvalidArgument);
  }
}

// Who may touch record content at all is decided before the record is looked for, so accounts that
// never may (privileged, service, inactive) get the same answer for an existing id of any
// organisation as for one that does not exist: they cannot learn which ids exist.
TEST_F(RecordServiceTest, AccountsThatNeverSeeContentGetOneAnswerWhetherOrNotTheRecordExists) {
  const auto existing = Create("exists").id;
  const std::string missing = "rec-" + std::string(32, '0');
  const std::vector<identity::Principal> callers = {
      f_.Who("acc-off", "org-b", "privileged", "security_officer", "", ""),
      f_.Who("acc-adm", "org-a", "privileged", "org_admin", "", ""),
      f_.Who("acc-svc", "org-a", "service", "provisioner", "", ""),
      f_.Who("acc-lck", "org-a", "standard", "editor", "north", "", "locked"),
  };
  const auto input = RecordsFixture::Input("", "changed", "OFFICIAL", {}, "{}");
  for (const auto& who : callers) {
    auto answer = [](const auto& r) {
      return r ? std::string("ok")
               : std::string(ErrorCodeName(r.error().code)) + ": " + r.error().message;
    };
    auto answers = [&](const std::string& id) {
      return std::vector<std::string>{answer(f_.service->Get(who, id, f_.ctx)),
                                      answer(f_.service->Update(who, id, 1, input, f_.ctx)),
                                      answer(f_.service->Delete(who, id, 1, f_.ctx))};
    };
    const auto for_existing = answers(existing);
    EXPECT_EQ(for_existing, answers(missing)) << who.account.id;
    EXPECT_EQ(for_existing, answers("not-even-an-id")) << who.account.id;
    EXPECT_EQ(for_existing[0].find("ok"), std::string::npos);
    // Refused, audited, and the record untouched.
    EXPECT_EQ(f_.LastEvent("record.delete").at("decision").at("allow").as_bool(), false);
  }
  EXPECT_EQ(f_.service->Get(editor_, existing, f_.ctx)->summary.title, "exists");
}

TEST_F(RecordServiceTest, ListPagesWithoutGapsOrRepeats) {
  std::set<std::string> made;
  for (int i = 0; i < 25; ++i) made.insert(Create("t" + std::to_string(i)).id);
  Create("elsewhere", "{}", "south");
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = f_.service->List(editor_, "north", 10, cursor, f_.ctx);
    ASSERT_TRUE(page) << page.error().message;
    for (const auto& item : page->items) EXPECT_TRUE(seen.insert(item.id).second);
    cursor = page->next_cursor;
    ++pages;
  } while (!cursor.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, made);
}

// Ids made later sort later (so that new index entries go at the end of each index), keep the
// one shape every route checks, and stay unguessable: what follows the time is random.
TEST_F(RecordServiceTest, IdsSortInTheOrderTheyWereMadeAndEndInRandomDigits) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Create("t" + std::to_string(i)).id);
    f_.clock.Advance(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  for (const auto& id : ids) {
    ASSERT_EQ(id.size(), 36u) << id;
    EXPECT_TRUE(f_.service->Get(editor_, id, f_.ctx)) << id;
  }
  // The time part is the creation's, in milliseconds.
  const auto ms = f_.clock.Now().time_since_epoch().count() - 1;
  EXPECT_EQ(ids.back().substr(4, 12), fmt::format("{:012x}", ms));
  // Made in the same millisecond, two ids share the time and differ in the random part.
  std::set<std::string> same_ms;
  for (int i = 0; i < 100; ++i)
    same_ms.insert(NewRecordId(f_.clock.Now(), crypto::DefaultRandom()));
  EXPECT_EQ(same_ms.size(), 100u);
  for (const auto& id : same_ms) EXPECT_EQ(id.substr(0, 16), same_ms.begin()->substr(0, 16));
}

TEST_F(RecordServiceTest, ContentIsEncryptedAtRest) {
  const std::string marker = "MARKER-7f3a9c-PLAINTEXT";
  Create(marker + " title", "{\"m\":\"" + marker + " body\"}");
  // Force the WAL to hold the data too: look in every file of the store.
  for (const auto& entry : std::filesystem::directory_iterator(f_.dir.path())) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream all;
    all << in.rdbuf();
    EXPECT_EQ(all.str().find(marker), std::string::npos) << entry.path();
  }
}

TEST_F(RecordServiceTest, CiphertextMovedToAnotherRecordDoesNotOpen) {
  const auto a = Create("title A", R"({"v":"A"})");
  const auto b = Create("title B", R"({"v":"B"})");
  // An attacker with write access to the database swaps the bodies, or title and body.
  ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
    RETURN_IF_ERROR(
        tx.Exec("UPDATE records SET body = (SELECT body FROM records WHERE id = ?) WHERE id = ?",
                {b.id, a.id}));
    RETURN_IF_ERROR(tx.Exec("UPDATE records SET body = title WHERE id = ?", {b.id}));
    return {};
  }));
  for (const auto& id : {a.id, b.id}) {
    auto r = f_.service->Get(editor_, id, f_.ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  }
}

TEST_F(RecordServiceTest, NothingIsReturnedOrChangedWhenTheAuditLogCannotBeWritten) {
  const auto w = Create("kept");
  f_.audit->InjectFailureForTest(true);
  auto view = f_.service->Get(editor_, w.id, f_.ctx);
  ASSERT_FALSE(view);
  EXPECT_EQ(view.error().code, ErrorCode::kUnavailable);
  auto create = f_.service->Create(
      editor_, RecordsFixture::Input("north", "x", "OFFICIAL", {}, "{}"), f_.ctx);
  EXPECT_EQ(create.error().code, ErrorCode::kUnavailable);
  auto update = f_.service->Update(editor_, w.id, 1,
                                   RecordsFixture::Input("", "y", "OFFICIAL", {}, "{}"), f_.ctx);
  EXPECT_EQ(update.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(f_.service->List(editor_, "", 10, "", f_.ctx).error().code, ErrorCode::kUnavailable);
  f_.audit->InjectFailureForTest(false);
  auto list = f_.service->List(editor_, "", 10, "", f_.ctx);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].title, "kept");
  EXPECT_EQ(list->items[0].version, 1);
}

}  // namespace
}  // namespace strongroom::records

namespace strongroom::records {
namespace {

TEST(ListingCapTest, PastTheThresholdListingStopsUntilAnExportIsApproved) {
  RecordsFixture f;
  RecordsOptions options;
  options.export_threshold = 10;
  RecordService service(*f.store, *f.audit, *f.keys, f.clock, crypto::DefaultRandom(), options);
  auto editor = f.Who("acc-ed", "org-a", "standard", "editor,reader", "north", "");
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(
        service.Create(editor, RecordsFixture::Input("north", "t", "OFFICIAL", {}, "{}"), f.ctx));
  }
  auto flush = [&] {  // the count of what was listed is written behind the answer
    ASSERT_TRUE(f.store->Write([](store::Transaction&) -> Result<void> { return {}; }));
  };
  ASSERT_EQ(service.List(editor, "", 100, "", f.ctx)->items.size(), 6u);
  flush();
  ASSERT_EQ(service.List(editor, "", 100, "", f.ctx)->items.size(), 6u);  // 12 listed now
  flush();
  auto refused = service.List(editor, "", 100, "", f.ctx);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(f.LastEvent("security.listing_cap").empty()) << "a security event is raised";
  // Another account is not affected; a day later the window has moved on.
  auto other = f.Who("acc-2", "org-a", "standard", "reader", "north", "");
  EXPECT_TRUE(service.List(other, "", 100, "", f.ctx));
  f.clock.Advance(std::chrono::hours(25));
  EXPECT_TRUE(service.List(editor, "", 100, "", f.ctx));
}

TEST(ListingCapTest, CountsAreKeptByTheHourForAtLeastADayAndNoLonger) {
  RecordsFixture f;
  RecordsOptions options;
  options.export_threshold = 100;
  RecordService service(*f.store, *f.audit, *f.keys, f.clock, crypto::DefaultRandom(), options);
  auto editor = f.Who("acc-ed", "org-a", "standard", "editor,reader", "north", "");
  ASSERT_TRUE(
      service.Create(editor, RecordsFixture::Input("north", "t", "OFFICIAL", {}, "{}"), f.ctx));
  auto flush = [&] {
    ASSERT_TRUE(f.store->Write([](store::Transaction&) -> Result<void> { return {}; }));
  };
  auto rows = [&] {
    return store::ReadValue<int64_t>(*f.store, [](store::Transaction& tx) -> Result<int64_t> {
      ASSIGN_OR_RETURN(auto r, tx.Query("SELECT COUNT(*) FROM list_counts WHERE account_id = ?",
                                        {std::string("acc-ed")}));
      return r.front().Int(0);
    });
  };
  // Many listings in one hour are one row.
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(service.List(editor, "", 100, "", f.ctx));
    flush();
  }
  EXPECT_EQ(*rows(), 1);
  // 50 more, 23 hours and 59 minutes later: the first 50 still count, and the cap holds.
  f.clock.Advance(std::chrono::hours(23) + std::chrono::minutes(59));
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(service.List(editor, "", 100, "", f.ctx));
    flush();
  }
  EXPECT_FALSE(service.List(editor, "", 100, "", f.ctx)) << "100 listed within 24 hours";
  // An account listing every hour for two days keeps at most a day's rows.
  for (int hour = 0; hour < 48; ++hour) {
    f.clock.Advance(std::chrono::hours(1));
    (void)service.List(editor, "", 100, "", f.ctx);
    flush();
  }
  EXPECT_LE(*rows(), 26);
  EXPECT_GE(*rows(), 24);
}

TEST(ListingCapTest, AnApprovedExportInTheWindowLiftsTheCap) {
  RecordsFixture f;
  RecordsOptions options;
  options.export_threshold = 5;
  std::optional<TimePoint> approved_at;  // the exports module's answer, as it would give it
  std::vector<std::string> asked_for;
  options.approved_export_since = [&](store::Transaction&, std::string_view account_id,
                                      TimePoint since) -> Result<bool> {
    asked_for.emplace_back(account_id);
    return approved_at && *approved_at > since;
  };
  RecordService service(*f.store, *f.audit, *f.keys, f.clock, crypto::DefaultRandom(), options);
  auto editor = f.Who("acc-ed", "org-a", "standard", "editor,reader", "north", "");
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(
        service.Create(editor, RecordsFixture::Input("north", "t", "OFFICIAL", {}, "{}"), f.ctx));
  }
  ASSERT_TRUE(service.List(editor, "", 100, "", f.ctx));
  ASSERT_TRUE(f.store->Write([](store::Transaction&) -> Result<void> { return {}; }));
  EXPECT_FALSE(service.List(editor, "", 100, "", f.ctx)) << "capped";
  EXPECT_EQ(asked_for, std::vector<std::string>{"acc-ed"});
  approved_at = f.clock.Now() - std::chrono::hours(25);  // outside the window: still capped
  EXPECT_FALSE(service.List(editor, "", 100, "", f.ctx));
  approved_at = f.clock.Now();
  EXPECT_TRUE(service.List(editor, "", 100, "", f.ctx)) << "an export approved in the window";
}

}  // namespace
}  // namespace strongroom::records
