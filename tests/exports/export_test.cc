// Export approval at the service level, where one person can be given two accounts directly.

#include <gtest/gtest.h>

#include <boost/json.hpp>

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

// A Store that runs `after_read` after each read it passes on: a change that lands while an
// approval's archive is being built on a reader.
class ReadHookStore final : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<void> Read(store::TransactionFn fn) override {
    auto r = inner_.Read(std::move(fn));
    if (after_read) after_read();
    return r;
  }
  std::function<void()> after_read;
};

// The archive is built on a reader, not on the writer: a record created in between is seen when
// the approval is written, and the archive is built again with it.
TEST_F(ExportServiceTest, AnArchiveBuiltWhileARecordChangedIsBuiltAgain) {
  ReadHookStore hooked(*f_.store);
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
  ReadHookStore hooked(*f_.store);
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
  hooked.after_read = nullptr;
  // Still pending: a later approval goes through.
  auto ok = exports.Approve(As("acc-p2", "reader,approver"), req->id, f_.ctx);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->records, 4);
}

// The approver as the store has them when the approval is written, not as their session said.
TEST_F(ExportServiceTest, AnApproverWhoLeavesWhileTheArchiveIsBuiltDoesNotApprove) {
  ReadHookStore hooked(*f_.store);
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

}  // namespace
}  // namespace strongroom::records
