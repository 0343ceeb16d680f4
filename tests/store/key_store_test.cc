#include "store/key_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/master_key.h"
#include "fakes/temp_dir.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::store {
namespace {

constexpr Environment kEnv = Environment::kTest;

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ = dir_ / "master.key";
    ASSERT_TRUE(crypto::WriteMasterKeyFile(
        key_file_, crypto::GenerateMasterKey(kEnv, crypto::DefaultRandom())));
    store_ = Open();
  }

  std::unique_ptr<SqliteStore> Open() {
    auto s = SqliteStore::Open({dir_ / "db", 1, 16});
    EXPECT_TRUE(s);
    EXPECT_TRUE(Migrate(**s));
    return std::move(*s);
  }

  // Seals a record for each of two organisations; returns what was sealed.
  std::vector<SealedRecord> SealRecords(const crypto::MasterKey& master) {
    KeyStore keys(master, kEnv, crypto::DefaultRandom(), clock_);
    std::vector<SealedRecord> sealed;
    EXPECT_TRUE(store_->Write([&](Transaction& tx) -> Result<void> {
      for (const char* org : {"org-a", "org-b"}) {
        RETURN_IF_ERROR(keys.CreateOrgKey(tx, org));
        ASSIGN_OR_RETURN(auto s, keys.SealNew(tx, org, "rec-1", 1, AsBytes("marker body")));
        sealed.push_back(std::move(s));
      }
      return {};
    }));
    return sealed;
  }

  std::string OpenRecord(const crypto::MasterKey& master, const char* org, const SealedRecord& s) {
    KeyStore keys(master, kEnv, crypto::DefaultRandom(), clock_);
    std::string out;
    auto r = store_->Read([&](Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto plain, keys.Open(tx, org, "rec-1", 1, s.wrapped_key, s.ciphertext));
      out = std::string(AsChars(plain));
      return {};
    });
    return r ? out : "error: " + r.error().message;
  }

  testing::TempDir dir_;
  std::filesystem::path key_file_;
  std::unique_ptr<SqliteStore> store_;
  ManualClock clock_{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
};

TEST_F(KeyStoreTest, RecordsOpenOnlyUnderTheirOwnOrganisationRecordAndVersion) {
  auto master = *OpenMasterKey(*store_, key_file_, kEnv);
  auto sealed = SealRecords(master);
  EXPECT_EQ(OpenRecord(master, "org-a", sealed[0]), "marker body");
  EXPECT_EQ(OpenRecord(master, "org-b", sealed[1]), "marker body");
  EXPECT_NE(OpenRecord(master, "org-b", sealed[0]), "marker body");  // moved across tenants
  KeyStore keys(master, kEnv, crypto::DefaultRandom(), clock_);
  auto wrong_version = store_->Read([&](Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto plain, keys.Open(tx, "org-a", "rec-1", 2, sealed[0].wrapped_key,
                                           sealed[0].ciphertext));
    (void)plain;
    return {};
  });
  ASSERT_FALSE(wrong_version);
  EXPECT_EQ(wrong_version.error().code, ErrorCode::kDataLoss);
}

TEST_F(KeyStoreTest, RotationRewrapsOrganisationKeysAndRecordsStillOpen) {
  auto master = *OpenMasterKey(*store_, key_file_, kEnv);
  auto sealed = SealRecords(master);
  auto rotated = RotateMasterKey(*store_, key_file_, kEnv, crypto::DefaultRandom());
  ASSERT_TRUE(rotated) << rotated.error().message;
  EXPECT_EQ(rotated->rewrapped, 2);
  EXPECT_NE(rotated->new_key_id, master.id);
  auto fresh = *OpenMasterKey(*store_, key_file_, kEnv);
  EXPECT_EQ(fresh.id, rotated->new_key_id);
  EXPECT_EQ(OpenRecord(fresh, "org-a", sealed[0]), "marker body");
  EXPECT_EQ(OpenRecord(fresh, "org-b", sealed[1]), "marker body");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "master.key.next"));
  // The old master key no longer opens anything.
  EXPECT_NE(OpenRecord(master, "org-a", sealed[0]), "marker body");
}

class RotationCrashTest : public KeyStoreTest,
                          public ::testing::WithParamInterface<RotationStep> {};

// A child process rotates and dies right after the given step; the parent reopens the instance
// and every record must still open under whichever key OpenMasterKey settles on.
TEST_P(RotationCrashTest, InterruptedRotationLeavesAUsableInstance) {
  auto master = *OpenMasterKey(*store_, key_file_, kEnv);
  const auto old_id = master.id;
  auto sealed = SealRecords(master);
  store_->Close();
  const RotationStep crash_at = GetParam();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = SqliteStore::Open({dir_ / "db", 1, 16});
    if (!s) ::_exit(3);
    (void)RotateMasterKey(**s, key_file_, kEnv, crypto::DefaultRandom(), [&](RotationStep step) {
      if (step == crash_at) ::_exit(86);  // no clean-up, no destructors: as if killed
    });
    ::_exit(4);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 86);

  store_ = Open();
  auto recovered = OpenMasterKey(*store_, key_file_, kEnv);
  ASSERT_TRUE(recovered) << recovered.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "master.key.next"));
  if (crash_at == RotationStep::kNextKeyWritten) {
    EXPECT_EQ(recovered->id, old_id);
  } else {
    EXPECT_NE(recovered->id, old_id);
  }
  EXPECT_EQ(OpenRecord(*recovered, "org-a", sealed[0]), "marker body");
  EXPECT_EQ(OpenRecord(*recovered, "org-b", sealed[1]), "marker body");
  // And a later rotation works from there.
  EXPECT_TRUE(RotateMasterKey(*store_, key_file_, kEnv, crypto::DefaultRandom()));
}

INSTANTIATE_TEST_SUITE_P(Steps, RotationCrashTest,
                         ::testing::Values(RotationStep::kNextKeyWritten,
                                           RotationStep::kRewrapCommitted, RotationStep::kRenamed),
                         [](const auto& p) {
                           switch (p.param) {
                             case RotationStep::kNextKeyWritten:
                               return std::string("AfterNextKeyWritten");
                             case RotationStep::kRewrapCommitted:
                               return std::string("AfterRewrapCommitted");
                             case RotationStep::kRenamed:
                               return std::string("AfterRenamed");
                           }
                           return std::string("Unknown");
                         });

}  // namespace
}  // namespace strongroom::store
