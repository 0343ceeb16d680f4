// Export approval at the service level, where one person can be given two accounts directly.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "common/bytes.h"
#include "crypto/aead.h"
#include "exports/export_service.h"
#include "fakes/audit_journal.h"
#include "fakes/forwarding_store.h"
#include "records/records_fixture.h"

namespace strongroom::records {
namespace {

class ExportServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Person one holds a standard and a privileged account (the most anyone holds), person two
    // a standard one.
    for (auto [account, person, roles, kind] :
         {std::tuple{"acc-p1-main", "per-1", "reader,approver", "standard"},
          std::tuple{"acc-p1-other", "per-1", "org_admin", "privileged"},
          std::tuple{"acc-p2", "per-2", "reader,approver", "standard"}}) {
      auto made = f_.store->Write([&](store::Transaction& tx) -> Result<void> {
        RETURN_IF_ERROR(
            tx.Exec("INSERT OR IGNORE INTO people (id, org_id, name, email, "
                    "created_at) VALUES (?, 'org-a', 'P', ?, '2026-01-01T00:00:00Z')",
                    {std::string(person), std::string(person) + "@x.example"}));
        RETURN_IF_ERROR(tx.Exec(
            "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, status, "
            "expires_at, created_at) VALUES (?, ?, 'org-a', ?, ?, ?, 'north', 'active', "
            "'2099-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            {std::string(account), std::string(person), std::string(account), std::string(kind),
             std::string(roles)}));
        return {};
      });
      ASSERT_TRUE(made) << made.error().message;
    }
    auto editor = f_.Who("acc-ed", "org-a", "standard", "editor", "north", "");
    ASSERT_TRUE(f_.service->Create(
        editor, RecordsFixture::Input("north", "in scope", "OFFICIAL", {}, "{}"), f_.ctx));
  }

  identity::Principal As(const std::string& id, const std::string& roles) {
    return f_.Who(id, "org-a", "standard", roles, "north", "");
  }

  // The parts the store holds for export `id`: how many, and of how many builds.
  // Exports `id` whose archive key the store still holds (0 or 1).
  int64_t WrappedKeys(const std::string& id) {
    int64_t n = -1;
    EXPECT_TRUE(f_.store->Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto rows,
                       tx.Query("SELECT COUNT(*) FROM exports WHERE id = ? AND wrapped_key IS NOT "
                                "NULL",
                                {id}));
      n = rows.front().Int(0);
      return {};
    }));
    return n;
  }

  std::pair<int64_t, int64_t> Parts(const std::string& id) {
    std::pair<int64_t, int64_t> out{-1, -1};
    EXPECT_TRUE(f_.store->Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT COUNT(*), COUNT(DISTINCT build) FROM "
                                           "export_parts WHERE export_id = ?",
                                           {id}));
      out = {rows.front().Int(0), rows.front().Int(1)};
      return {};
    }));
    return out;
  }

  RecordsFixture f_;
  exports::ExportService exports_{*f_.store,   *f_.audit, *f_.keys,
                                  *f_.service, f_.clock,  crypto::DefaultRandom()};
};

TEST_F(ExportServiceTest, NoAccountOfTheRequestersPersonApproves) {
  auto req = exports_.Request(As("acc-p1-main", "reader,approver"), "", "audit", f_.ctx);
  ASSERT_TRUE(req) << req.error().message;
  auto self = exports_.Approve(As("acc-p1-main", "reader,approver"), req->id, f_.ctx);
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(f_.LastEvent("export.approve").at("decision").at("reason").as_string(),
            "the requester may not approve their own request, by any account");
  // The person's other account: privileged, so never an approver of content; refused even if
  // it claimed the role.
  auto other = f_.Who("acc-p1-other", "org-a", "privileged", "org_admin,approver", "", "");
  EXPECT_EQ(exports_.Approve(other, req->id, f_.ctx).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(Parts(req->id).first, 0) << "a refused approver writes nothing";
  auto ok = exports_.Approve(As("acc-p2", "reader,approver"), req->id, f_.ctx);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->records, 1);
  // Only the requester downloads, and once.
  EXPECT_EQ(exports_.Download(As("acc-p1-other", "approver"), req->id, f_.ctx).error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(exports_.Download(As("acc-p1-main", "reader,approver"), req->id, f_.ctx));
  EXPECT_EQ(exports_.Download(As("acc-p1-main", "reader,approver"), req->id, f_.ctx).error().code,
            ErrorCode::kFailedPrecondition);
}

// Found while fixing what fuzz/json_fuzzer.cc found: the archive parsed each stored body again,
// with a reader that gets some numbers a little off. A body goes into the archive as stored.
TEST_F(ExportServiceTest, TheArchiveHoldsEachBodyAsStored) {
  const std::string body = R"({"n":1.2345678912345679E8,"m":-7.7777177777717776E31,"s":"x"})";
  auto editor = f_.Who("acc-ed", "org-a", "standard", "editor", "north", "");
  ASSERT_TRUE(f_.service->Create(
      editor, RecordsFixture::Input("north", "numbers", "OFFICIAL", {}, body), f_.ctx));
  auto req = exports_.Request(As("acc-p1-main", "reader,approver"), "", "audit", f_.ctx);
  ASSERT_TRUE(req);
  ASSERT_TRUE(exports_.Approve(As("acc-p2", "reader,approver"), req->id, f_.ctx));
  auto got = exports_.Download(As("acc-p1-main", "reader,approver"), req->id, f_.ctx);
  ASSERT_TRUE(got) << got.error().message;
  auto plain = crypto::Open(got->key, got->ciphertext, AsBytes(req->id));
  ASSERT_TRUE(plain);
  EXPECT_EQ(OpenArchive(*got, req->id), *plain);
  EXPECT_FALSE(OpenArchive(*got, "exp-another")) << "bound to its export";
  const std::string text(plain->begin(), plain->end());
  EXPECT_NE(text.find(R"("body":)" + body + "}"), std::string::npos) << text;
  EXPECT_EQ(boost::json::parse(text).at("records").as_array().size(), 2u) << "valid JSON";
}

// A Store that runs `after_read` after each read it passes on (a change that lands while an
// approval's archive is being built on a reader), and `after_write` after each write, counted.
class HookStore final : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<void> Read(store::TransactionFn fn) override {
    auto r = inner_.Read(std::move(fn));
    if (after_read) after_read();
    return r;
  }
  Result<void> Write(store::TransactionFn fn) override {
    auto r = inner_.Write(std::move(fn));
    ++writes;
    if (after_write) after_write();
    return r;
  }
  std::function<void()> after_read;
  std::function<void()> after_write;
  int writes = 0;
};

// The archive is built on a reader, not on the writer: a record created in between is seen when
// the approval is written, and the archive is built again with it.
TEST_F(ExportServiceTest, AnArchiveBuiltWhileARecordChangedIsBuiltAgain) {
  HookStore hooked(*f_.store);
  exports::ExportService exports(hooked, *f_.audit, *f_.keys, *f_.service, f_.clock,
                                 crypto::DefaultRandom());
  auto req = exports.Request(As("acc-p1-main", "reader,approver"), "", "audit", f_.ctx);
  ASSERT_TRUE(req) << req.error().message;
  auto editor = f_.Who("acc-ed", "org-a", "standard", "editor", "north", "");
  int reads = 0;
  hooked.after_read = [&] {
    if (++reads > 1) return;
    ASSERT_TRUE(f_.service->Create(
        editor, RecordsFixture::Input("north", "made meanwhile", "OFFICIAL", {}, "{}"), f_.ctx));
  };
  auto ok = exports.Approve(As("acc-p2", "reader,approver"), req->id, f_.ctx);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->records, 2) << "built again with the record made while it was first built";
  const auto attempts = testing::JournalEvents(f_.dir / "audit", "export.approve");
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_FALSE(attempts[0].at("decision").at("allow").as_bool());
  EXPECT_NE(std::string(attempts[0].at("decision").at("reason").as_string()).find("changed"),
            std::string::npos);
  EXPECT_TRUE(attempts[1].at("decision").at("allow").as_bool());
}

TEST_F(ExportServiceTest, AnArchiveWhoseRecordsKeepChangingIsNotApproved) {
  HookStore hooked(*f_.store);
  exports::ExportService exports(hooked, *f_.audit, *f_.keys, *f_.service, f_.clock,
                                 crypto::DefaultRandom());
  auto req = exports.Request(As("acc-p1-main", "reader,approver"), "", "audit", f_.ctx);
  ASSERT_TRUE(req) << req.error().message;
  auto editor = f_.Who("acc-ed", "org-a", "standard", "editor", "north", "");
  hooked.after_read = [&] {
    ASSERT_TRUE(f_.service->Create(
        editor, RecordsFixture::Input("north", "again", "OFFICIAL", {}, "{}"), f_.ctx));
  };
  auto r = exports.Approve(As("acc-p2", "reader,approver"), req->id, f_.ctx);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Parts(req->id).first, 0) << "the builds that were not approved left no parts";
  hooked.after_read = nullptr;
  // Still pending: a later approval goes through.
  auto ok = exports.Approve(As("acc-p2", "reader,approver"), req->id, f_.ctx);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->records, 4);
  EXPECT_EQ(Parts(req->id).second, 1) << "one build: the approved one";
}

// The approver as the store has them when the approval is written, not as their session said.
TEST_F(ExportServiceTest, AnApproverWhoLeavesWhileTheArchiveIsBuiltDoesNotApprove) {
  HookStore hooked(*f_.store);
  exports::ExportService exports(hooked, *f_.audit, *f_.keys, *f_.service, f_.clock,
                                 crypto::DefaultRandom());
  auto req = exports.Request(As("acc-p1-main", "reader,approver"), "", "audit", f_.ctx);
  ASSERT_TRUE(req) << req.error().message;
  hooked.after_read = [&] {
    hooked.after_read = nullptr;
    ASSERT_TRUE(f_.store->Write([](store::Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(tx.Exec("UPDATE accounts SET status = 'left' WHERE id = 'acc-p2'"));
      return {};
    }));
  };
  auto r = exports.Approve(As("acc-p2", "reader,approver"), req->id, f_.ctx);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(f_.LastEvent("export.approve").at("decision").at("allow").as_bool());
}

TEST_F(ExportServiceTest, AnApprovalIsWhatTheListingCapAsksAbout) {
  auto approved_since = [&](const std::string& account, TimePoint since) {
    return store::ReadValue<bool>(*f_.store, [&](store::Transaction& tx) {
      return exports::ApprovedExportSince(tx, account, since);
    });
  };
  const auto before = f_.clock.Now() - std::chrono::seconds(1);
  auto req = exports_.Request(As("acc-p1-main", "reader,approver"), "", "audit", f_.ctx);
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_FALSE(*approved_since("acc-p1-main", before)) << "requested is not approved";
  ASSERT_TRUE(exports_.Approve(As("acc-p2", "reader,approver"), req->id, f_.ctx));
  EXPECT_TRUE(*approved_since("acc-p1-main", before));
  EXPECT_FALSE(*approved_since("acc-p2", before)) << "the approver's own listing is not lifted";
  EXPECT_FALSE(*approved_since("acc-p1-main", f_.clock.Now())) << "only since the time asked";
}

TEST_F(ExportServiceTest, RequestsNeedARecordRoleAndAReason) {
  EXPECT_EQ(exports_.Request(As("acc-p1-other", "approver"), "", "audit", f_.ctx).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(exports_.Request(As("acc-p1-main", "reader"), "", "", f_.ctx).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(exports_.Request(As("acc-p1-main", "reader"), "south", "audit", f_.ctx).error().code,
            ErrorCode::kInvalidArgument);
  auto officer = f_.Who("acc-o", "org-a", "privileged", "security_officer", "north", "");
  EXPECT_EQ(exports_.Request(officer, "", "audit", f_.ctx).error().code,
            ErrorCode::kPermissionDenied);
}

// The archive goes into the store a part at a time, with a pause after each part but the last of
// the pace's factor times that part's write; the download is the parts in order, whole. Its key
// leaves with the answer, and its parts follow on the lane, one a write, at the same pace.
TEST_F(ExportServiceTest, AnArchiveIsWrittenInPartsAtItsPaceAndDownloadedWhole) {
  std::vector<std::chrono::nanoseconds> pauses;
  exports::ExportService paced(
      *f_.store, *f_.audit, *f_.keys, *f_.service, f_.clock, crypto::DefaultRandom(),
      {.part_bytes = 100, .pause_factor = 9, .pause = [&](std::chrono::nanoseconds d) {
         pauses.push_back(d);
       }});
  auto editor = f_.Who("acc-ed", "org-a", "standard", "editor", "north", "");
  ASSERT_TRUE(f_.service->Create(
      editor, RecordsFixture::Input("north", "second", "OFFICIAL", {}, R"({"n":2})"), f_.ctx));
  auto req = paced.Request(As("acc-p1-main", "reader,approver"), "", "audit", f_.ctx);
  ASSERT_TRUE(req) << req.error().message;
  ASSERT_TRUE(paced.Approve(As("acc-p2", "reader,approver"), req->id, f_.ctx));
  const auto [parts, builds] = Parts(req->id);
  EXPECT_EQ(builds, 1);
  ASSERT_GT(parts, 3);
  EXPECT_EQ(static_cast<int64_t>(pauses.size()), parts - 1) << "a pause between parts";
  for (auto d : pauses) EXPECT_GT(d.count(), 0) << "nine times a write's time, which is some";
  // (The lane appends the deletions' pauses from here on: read again only once it is done.)
  const size_t written_pauses = pauses.size();
  auto got = paced.Download(As("acc-p1-main", "reader,approver"), req->id, f_.ctx);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_GT(got->ciphertext.size(), 100u * static_cast<size_t>(parts - 1));
  EXPECT_LE(got->ciphertext.size(), 100u * static_cast<size_t>(parts));
  auto plain = OpenArchive(*got, req->id);
  ASSERT_TRUE(plain) << "the parts in order are the sealed archive: " << plain.error().message;
  const auto doc = boost::json::parse(std::string(plain->begin(), plain->end()));
  EXPECT_EQ(doc.at("records").as_array().size(), 2u);
  EXPECT_EQ(WrappedKeys(req->id), 0) << "the key is gone with the answer";
  paced.FinishApprovals();
  EXPECT_EQ(Parts(req->id).first, 0) << "and the parts after it";
  EXPECT_EQ(static_cast<int64_t>(pauses.size() - written_pauses), parts - 1)
      << "a pause between deletions";
  EXPECT_EQ(paced.Download(As("acc-p1-main", "reader,approver"), req->id, f_.ctx).error().code,
            ErrorCode::kFailedPrecondition);
}

// A stop before a downloaded archive's parts are deleted leaves them, unreadable without the key;
// the purge job deletes them (audited).
TEST_F(ExportServiceTest, PartsADownloadLeavesAtAStopAreDeletedByThePurgeJob) {
  exports::ExportService paced(*f_.store, *f_.audit, *f_.keys, *f_.service, f_.clock,
                               crypto::DefaultRandom(),
                               {.part_bytes = 100, .pause = [](std::chrono::nanoseconds) {}});
  auto req = paced.Request(As("acc-p1-main", "reader,approver"), "", "audit", f_.ctx);
  ASSERT_TRUE(req);
  ASSERT_TRUE(paced.Approve(As("acc-p2", "reader,approver"), req->id, f_.ctx));
  const auto parts = Parts(req->id).first;
  ASSERT_GT(parts, 1);
  paced.RefuseApprovals();  // as a stop does, before the deletion reaches the lane
  ASSERT_TRUE(paced.Download(As("acc-p1-main", "reader,approver"), req->id, f_.ctx));
  paced.FinishApprovals();
  EXPECT_EQ(Parts(req->id).first, parts) << "the stop left them";
  EXPECT_EQ(WrappedKeys(req->id), 0);
  ASSERT_TRUE(paced.ExpireDue());
  EXPECT_EQ(Parts(req->id).first, 0);
  const auto event = f_.LastEvent("export.expire");
  EXPECT_EQ(event.at("detail").at("parts").as_string(), std::to_string(parts));
}

// A stop between an approval's parts and its last write leaves parts no one approved: the next
// approval of that request deletes them, and the purge job deletes those of a request that is no
// longer pending (audited), keeping the approved archive's.
TEST_F(ExportServiceTest, PartsLeftByAStopAreDeletedByTheApprovalOrThePurgeJob) {
  auto stray = [&](const std::string& id, const std::string& build) {
    ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(
          tx.Exec("INSERT INTO export_parts (export_id, build, part, data) VALUES "
                  "(?, ?, 0, X'00ff')",
                  {id, build}));
      return {};
    }));
  };
  auto req = exports_.Request(As("acc-p1-main", "reader,approver"), "", "audit", f_.ctx);
  ASSERT_TRUE(req);
  stray(req->id, "cut-off-1");
  ASSERT_TRUE(exports_.ExpireDue());
  EXPECT_EQ(Parts(req->id).first, 1) << "pending: its approval may still be writing them";
  ASSERT_TRUE(exports_.Approve(As("acc-p2", "reader,approver"), req->id, f_.ctx));
  EXPECT_EQ(Parts(req->id).second, 1) << "the approval deleted the other build's";
  const auto approved = Parts(req->id).first;
  stray(req->id, "cut-off-2");
  auto expired = exports_.ExpireDue();
  ASSERT_TRUE(expired) << expired.error().message;
  EXPECT_EQ(*expired, 0) << "no request or archive expired";
  EXPECT_EQ(Parts(req->id).first, approved) << "the approved archive's parts are kept";
  const auto event = f_.LastEvent("export.expire");
  EXPECT_EQ(event.at("detail").at("parts").as_string(), "1");
  EXPECT_EQ(event.at("decision").at("reason").as_string(),
            "the parts of an archive no longer held (never approved, or downloaded and not yet "
            "deleted)");
  auto got = exports_.Download(As("acc-p1-main", "reader,approver"), req->id, f_.ctx);
  ASSERT_TRUE(got);
  EXPECT_TRUE(OpenArchive(*got, req->id));
  // An archive not downloaded in time goes, parts and all.
  auto req2 = exports_.Request(As("acc-p1-main", "reader,approver"), "", "audit", f_.ctx);
  ASSERT_TRUE(req2);
  ASSERT_TRUE(exports_.Approve(As("acc-p2", "reader,approver"), req2->id, f_.ctx));
  EXPECT_GT(Parts(req2->id).first, 0);
  f_.clock.Advance(exports::kExportArchiveLifetime + std::chrono::seconds(1));
  EXPECT_EQ(*exports_.ExpireDue(), 1);
  EXPECT_EQ(Parts(req2->id).first, 0);
}

// What the archive depends on is read again every few parts: a record made while the parts are
// written stops that build there (audited, its parts deleted), and the next build has it.
TEST_F(ExportServiceTest, AChangeWhileThePartsAreWrittenStopsTheBuildThere) {
  HookStore hooked(*f_.store);
  exports::ExportService paced(hooked, *f_.audit, *f_.keys, *f_.service, f_.clock,
                               crypto::DefaultRandom(),
                               {.part_bytes = 50,
                                .pause_factor = 0,
                                .check_every = 2,
                                .pause = [](std::chrono::nanoseconds) {}});
  auto req = paced.Request(As("acc-p1-main", "reader,approver"), "", "audit", f_.ctx);
  ASSERT_TRUE(req) << req.error().message;
  auto editor = f_.Who("acc-ed", "org-a", "standard", "editor", "north", "");
  const int before = hooked.writes;
  hooked.after_write = [&] {
    if (hooked.writes - before != 3) return;  // after the third part
    ASSERT_TRUE(f_.service->Create(
        editor, RecordsFixture::Input("north", "made meanwhile", "OFFICIAL", {}, "{}"), f_.ctx));
  };
  auto ok = paced.Approve(As("acc-p2", "reader,approver"), req->id, f_.ctx);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->records, 2) << "built again with the record made meanwhile";
  const auto [parts, builds] = Parts(req->id);
  EXPECT_EQ(builds, 1);
  ASSERT_GT(parts, 8) << "a build long enough to have been stopped early";
  // The first build: four parts (the change found at the re-read before the fifth), then the
  // delete of them; the second build: all of its parts.
  EXPECT_EQ(hooked.writes - before, 4 + 1 + parts);
  const auto attempts = testing::JournalEvents(f_.dir / "audit", "export.approve");
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].at("decision").at("reason").as_string(),
            "the request, its requester or the records changed while it was built");
  EXPECT_TRUE(attempts[1].at("decision").at("allow").as_bool());
}

// A pause that holds the lane at its first call until released.
struct HeldPause {
  std::mutex mu;
  std::condition_variable cv;
  bool holding = false;
  bool released = false;
  void Pause() {
    std::unique_lock lock(mu);
    if (released) return;
    holding = true;
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
  }
  void AwaitHolding() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return holding; });
  }
  void Release() {
    std::lock_guard lock(mu);
    released = true;
    cv.notify_all();
  }
};

// Approvals answered later, on the lane: collected here.
struct Answers {
  std::mutex mu;
  std::vector<Result<exports::ExportRequest>> got;
  std::function<void(Result<exports::ExportRequest>)> Collect() {
    return [this](Result<exports::ExportRequest> r) {
      std::lock_guard lock(mu);
      got.push_back(std::move(r));
    };
  }
  size_t Count() {
    std::lock_guard lock(mu);
    return got.size();
  }
};

// ApproveAsync returns before the approval runs; a full queue refuses more at once (503,
// audited); a stop refuses those waiting and ends the one under way between its parts, each
// answered and audited, nothing approved and no parts left.
TEST_F(ExportServiceTest, ApprovalsWaitOnTheLaneUpToALimitAndAStopRefusesThem) {
  HeldPause held;
  exports::ExportService paced(
      *f_.store, *f_.audit, *f_.keys, *f_.service, f_.clock, crypto::DefaultRandom(),
      {.part_bytes = 50, .pause_factor = 1, .pause = [&](std::chrono::nanoseconds) {
         held.Pause();
       }});
  const auto approver = As("acc-p2", "reader,approver");
  auto req = paced.Request(As("acc-p1-main", "reader,approver"), "", "audit", f_.ctx);
  ASSERT_TRUE(req) << req.error().message;
  Answers answers;
  paced.ApproveAsync(approver, req->id, f_.ctx, answers.Collect());
  held.AwaitHolding();  // the first approval is under way, held after its first part
  for (int i = 1; i < exports::kMaxApprovalsWaiting; ++i) {
    paced.ApproveAsync(approver, req->id, f_.ctx, answers.Collect());
  }
  EXPECT_EQ(answers.Count(), 0u) << "all waiting on the lane";
  paced.ApproveAsync(approver, req->id, f_.ctx, answers.Collect());
  ASSERT_EQ(answers.Count(), 1u) << "one too many: answered at once";
  EXPECT_EQ(answers.got[0].error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(f_.LastEvent("export.approve").at("decision").at("reason").as_string(),
            "too many approvals waiting to be built");

  paced.RefuseApprovals();
  held.Release();
  paced.FinishApprovals();
  ASSERT_EQ(answers.Count(), static_cast<size_t>(exports::kMaxApprovalsWaiting) + 1);
  for (const auto& a : answers.got) EXPECT_EQ(a.error().code, ErrorCode::kUnavailable);
  const auto attempts = testing::JournalEvents(f_.dir / "audit", "export.approve");
  ASSERT_EQ(attempts.size(), static_cast<size_t>(exports::kMaxApprovalsWaiting) + 1);
  int stopped = 0;
  for (const auto& e : attempts) {
    EXPECT_FALSE(e.at("decision").at("allow").as_bool());
    stopped += e.at("decision").at("reason").as_string() == "the service was stopping";
  }
  EXPECT_EQ(stopped, exports::kMaxApprovalsWaiting) << "the one under way and those waiting";
  EXPECT_EQ(Parts(req->id).first, 0);
  auto listed = paced.List(As("acc-p1-main", "reader,approver"), f_.ctx);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->mine.at(0).status, "pending");
}

}  // namespace
}  // namespace strongroom::records
