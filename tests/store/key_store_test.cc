#include "store/key_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/master_key.h"
#include "crypto/pkcs11_token.h"
#include "fakes/forwarding_store.h"
#include "fakes/softhsm.h"
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
    config_.master_key_file = key_file_;
    ASSERT_TRUE(crypto::WriteMasterKeyFile(
        key_file_, crypto::GenerateMasterKey(kEnv, crypto::DefaultRandom())));
    store_ = Open();
  }

  // A SoftHSM2 token the configuration reaches (its provider stays as it was).
  void AddToken() {
    hsm_.Start();
    config_.pkcs11_module = testing::SoftHsm::kModule;
    config_.pkcs11_token = testing::SoftHsm::kLabel;
    config_.pkcs11_pin_file = hsm_.pin_file();
  }

  // A rotation in a child process that dies right after `crash_at` (no clean-up, no destructors:
  // as if killed), having called `at_crash`; the store is reopened after.
  void RotateInAChildThatDiesAfter(RotationStep crash_at,
                                   const std::function<void()>& at_crash = {}) {
    store_->Close();
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto s = SqliteStore::Open({dir_ / "db", 1, 16});
      if (!s) ::_exit(3);
      (void)RotateMasterKey(**s, config_, kEnv, crypto::DefaultRandom(), {},
                            [&](RotationStep step) {
                              if (step != crash_at) return;
                              if (at_crash) at_crash();
                              ::_exit(86);
                            });
      ::_exit(4);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 86);
    store_ = Open();
  }

  Result<RotationResult> Rotate(const std::function<void(RotationStep)>& after_step = {}) {
    return RotateMasterKey(*store_, config_, kEnv, crypto::DefaultRandom(), {}, after_step);
  }

  std::unique_ptr<SqliteStore> Open() {
    auto s = SqliteStore::Open({dir_ / "db", 1, 16});
    EXPECT_TRUE(s);
    EXPECT_TRUE(Migrate(**s));
    return std::move(*s);
  }

  // Seals a record for each of two organisations; returns what was sealed.
  std::vector<SealedRecord> SealRecords(const crypto::MasterKeyHandle& master) {
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

  std::string OpenRecord(const crypto::MasterKeyHandle& master, const char* org,
                         const SealedRecord& s) {
    KeyStore keys(master, kEnv, crypto::DefaultRandom(), clock_);
    std::string out;
    auto r = store_->Read([&](Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(auto plain, keys.Open(tx, org, "rec-1", 1, s.wrapped_key, s.ciphertext));
      out = std::string(AsChars(plain));
      return {};
    });
    return r ? out : "error: " + r.error().message;
  }

  testing::SoftHsm hsm_;
  testing::TempDir dir_;
  std::filesystem::path key_file_;
  KeysConfig config_;
  std::unique_ptr<SqliteStore> store_;
  ManualClock clock_{TimePoint(std::chrono::milliseconds(1'800'000'000'000))};
};

TEST_F(KeyStoreTest, RecordsOpenOnlyUnderTheirOwnOrganisationRecordAndVersion) {
  auto master = *OpenMasterKey(*store_, config_, kEnv);
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
  auto master = *OpenMasterKey(*store_, config_, kEnv);
  auto sealed = SealRecords(master);
  auto rotated = Rotate();
  ASSERT_TRUE(rotated) << rotated.error().message;
  EXPECT_EQ(rotated->rewrapped, 2);
  EXPECT_NE(rotated->new_key_id, master.id());
  auto fresh = *OpenMasterKey(*store_, config_, kEnv);
  EXPECT_EQ(fresh.id(), rotated->new_key_id);
  EXPECT_EQ(OpenRecord(fresh, "org-a", sealed[0]), "marker body");
  EXPECT_EQ(OpenRecord(fresh, "org-b", sealed[1]), "marker body");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "master.key.next"));
  // The old master key no longer opens anything.
  EXPECT_NE(OpenRecord(master, "org-a", sealed[0]), "marker body");
}

// Where a rotation takes the master key from and to.
enum class Route { kFileToFile, kFileToToken, kTokenToToken, kTokenToFile };

struct CrashCase {
  RotationStep step;
  Route route;
};

class RotationCrashTest : public KeyStoreTest, public ::testing::WithParamInterface<CrashCase> {};

// A child process rotates and dies right after the given step; the parent reopens the instance
// and every record must still open under whichever key OpenMasterKey settles on. A key made in the
// token for a rotation that did not commit is removed from it.
TEST_P(RotationCrashTest, InterruptedRotationLeavesAUsableInstance) {
  const auto [crash_at, route] = GetParam();
  const bool from_token = route == Route::kTokenToToken || route == Route::kTokenToFile;
  const bool to_token = route == Route::kFileToToken || route == Route::kTokenToToken;
  if (route != Route::kFileToFile) AddToken();
  if (from_token) {
    config_.provider = "pkcs11";
    ASSERT_TRUE(Rotate());
  }
  std::string old_id;
  std::vector<SealedRecord> sealed;
  {  // (the token closed before the fork: a child cannot use the parent's)
    auto master = OpenMasterKey(*store_, config_, kEnv);
    ASSERT_TRUE(master) << master.error().message;
    old_id = master->id();
    sealed = SealRecords(*master);
  }
  config_.provider = to_token ? "pkcs11" : "file";
  ASSERT_NO_FATAL_FAILURE(RotateInAChildThatDiesAfter(crash_at, [&] {
    // Which key the rotation made, for the parent to look for.
    const bool renamed = crash_at == RotationStep::kRenamed;
    auto next = crypto::ReadMasterKeyFile(renamed ? key_file_ : dir_ / "master.key.next");
    testing::WriteFile(dir_ / "next-id", next ? next->id : "");
  }));
  const auto next_id = testing::ReadFile(dir_ / "next-id");
  ASSERT_EQ(next_id.size(), 32u);
  const bool committed =
      crash_at == RotationStep::kRewrapCommitted || crash_at == RotationStep::kRenamed;
  if (!committed) config_.provider = from_token ? "pkcs11" : "file";
  auto recovered = OpenMasterKey(*store_, config_, kEnv);
  ASSERT_TRUE(recovered) << recovered.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "master.key.next"));
  if (!committed) {
    EXPECT_EQ(recovered->id(), old_id);
  } else {
    EXPECT_EQ(recovered->id(), next_id);
    EXPECT_EQ(recovered->provider(),
              to_token ? crypto::KeyProvider::kPkcs11 : crypto::KeyProvider::kFile);
  }
  EXPECT_EQ(OpenRecord(*recovered, "org-a", sealed[0]), "marker body");
  EXPECT_EQ(OpenRecord(*recovered, "org-b", sealed[1]), "marker body");
  recovered = Fail(ErrorCode::kInternal, "closed");  // (the token: one user at a time)
  if (to_token) {
    // The abandoned key is gone from the token; a committed one is there.
    MasterKeys keys(config_, kEnv);
    auto made = keys.Use({next_id, kEnv, crypto::KeyProvider::kPkcs11, Secret()});
    if (!committed) {
      ASSERT_FALSE(made);
      EXPECT_EQ(made.error().code, ErrorCode::kNotFound) << made.error().message;
    } else {
      EXPECT_TRUE(made) << made.error().message;
      made = Fail(ErrorCode::kInternal, "closed");
      auto kept = keys.Discard({next_id, kEnv, crypto::KeyProvider::kPkcs11, Secret()});
      ASSERT_FALSE(kept) << "in use: labelled so, and never discarded";
      EXPECT_EQ(kept.error().code, ErrorCode::kFailedPrecondition) << kept.error().message;
    }
  }
  // And a later rotation works from there.
  EXPECT_TRUE(Rotate());
}

std::string CaseName(const ::testing::TestParamInfo<CrashCase>& info) {
  std::string name;
  switch (info.param.route) {
    case Route::kFileToFile:
      name = "FileToFile";
      break;
    case Route::kFileToToken:
      name = "FileToToken";
      break;
    case Route::kTokenToToken:
      name = "TokenToToken";
      break;
    case Route::kTokenToFile:
      name = "TokenToFile";
      break;
  }
  switch (info.param.step) {
    case RotationStep::kNextKeyNamed:
      return name + "AfterNextKeyNamed";
    case RotationStep::kNextKeyWritten:
      return name + "AfterNextKeyWritten";
    case RotationStep::kRewrapCommitted:
      return name + "AfterRewrapCommitted";
    case RotationStep::kRenamed:
      return name + "AfterRenamed";
  }
  return name;
}

std::vector<CrashCase> AllCases() {
  std::vector<CrashCase> out;
  for (auto route :
       {Route::kFileToFile, Route::kFileToToken, Route::kTokenToToken, Route::kTokenToFile}) {
    for (auto step : {RotationStep::kNextKeyNamed, RotationStep::kNextKeyWritten,
                      RotationStep::kRewrapCommitted, RotationStep::kRenamed}) {
      out.push_back({step, route});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Steps, RotationCrashTest, ::testing::ValuesIn(AllCases()), CaseName);

// A store whose writes land and then report failure, as a commit whose connection is lost as it
// commits; reads fail from then on (the connection is gone), so its outcome stays unknown.
class LostCommitStore : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<void> Write(store::TransactionFn fn) override {
    RETURN_IF_ERROR(inner_.Write(std::move(fn)));
    lost_ = true;
    return Fail(ErrorCode::kUnavailable, "store: the connection was lost as it committed");
  }
  Result<void> Read(store::TransactionFn fn) override {
    if (lost_) return Fail(ErrorCode::kUnavailable, "store: no connection");
    return inner_.Read(std::move(fn));
  }

 private:
  bool lost_ = false;
};

TEST_F(KeyStoreTest, ACommitWhoseOutcomeIsUnknownRemovesNothingAndIsSettledAfter) {
  AddToken();
  std::vector<SealedRecord> sealed;
  {
    auto master = OpenMasterKey(*store_, config_, kEnv);
    ASSERT_TRUE(master);
    sealed = SealRecords(*master);
  }
  config_.provider = "pkcs11";
  LostCommitStore lost(*store_);
  auto r = RotateMasterKey(lost, config_, kEnv, crypto::DefaultRandom());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("whether the rotation committed is unknown"), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "master.key.next")) << "nothing removed";
  // Asked again, the store says it committed: the rotation is finished.
  auto master = OpenMasterKey(*store_, config_, kEnv);
  ASSERT_TRUE(master) << master.error().message;
  EXPECT_EQ(master->provider(), crypto::KeyProvider::kPkcs11);
  EXPECT_EQ(OpenRecord(*master, "org-a", sealed[0]), "marker body");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "master.key.next"));
}

TEST_F(KeyStoreTest, ARotationOfAStoreWithNoOrganisationsIsSettledByWhatTheStoreNames) {
  AddToken();
  config_.provider = "pkcs11";
  ASSERT_NO_FATAL_FAILURE(RotateInAChildThatDiesAfter(RotationStep::kRewrapCommitted));
  const auto next = crypto::ReadMasterKeyFile(dir_ / "master.key.next");
  ASSERT_TRUE(next);
  auto master = OpenMasterKey(*store_, config_, kEnv);
  ASSERT_TRUE(master) << master.error().message;
  EXPECT_EQ(master->id(), next->id) << "committed (no organisation key says so; the store does)";
  auto sealed = SealRecords(*master);
  EXPECT_EQ(OpenRecord(*master, "org-a", sealed[0]), "marker body");
}

TEST_F(KeyStoreTest, ANextKeyFileNamingAKeyInUseNeverRemovesIt) {
  AddToken();
  config_.provider = "pkcs11";
  ASSERT_TRUE(Rotate());
  std::vector<SealedRecord> sealed;
  std::string id;
  {
    auto master = OpenMasterKey(*store_, config_, kEnv);
    ASSERT_TRUE(master);
    id = master->id();
    sealed = SealRecords(*master);
  }
  // `.next` naming the key in use: removed, the key kept.
  std::filesystem::copy_file(key_file_, dir_ / "master.key.next");
  {
    auto master = OpenMasterKey(*store_, config_, kEnv);
    ASSERT_TRUE(master) << master.error().message;
    EXPECT_EQ(master->id(), id);
    EXPECT_EQ(OpenRecord(*master, "org-a", sealed[0]), "marker body");
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "master.key.next"));
  // Naming an older key the token keeps for backups: not pending, so not removed.
  const auto older = testing::ReadFile(key_file_);
  ASSERT_TRUE(Rotate());
  testing::WriteFile(dir_ / "master.key.next", older, 0600);
  ASSERT_TRUE(OpenMasterKey(*store_, config_, kEnv));
  MasterKeys keys(config_, kEnv);
  EXPECT_TRUE(keys.Use({id, kEnv, crypto::KeyProvider::kPkcs11, Secret()}))
      << "the older key is still in the token";
}

TEST_F(KeyStoreTest, AnAbandonedTokenKeyThatCannotBeReachedDoesNotStopTheStart) {
  // `.next` names a key in a token the configuration no longer reaches: the file key still opens.
  testing::WriteFile(dir_ / "master.key.next",
                     "strongroom-master-key 1\nid " + std::string(32, 'e') +
                         "\nenvironment test\nprovider pkcs11\n",
                     0600);
  auto master = OpenMasterKey(*store_, config_, kEnv);
  ASSERT_TRUE(master) << master.error().message;
  EXPECT_EQ(master->provider(), crypto::KeyProvider::kFile);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "master.key.next"));
}

TEST_F(KeyStoreTest, AKeyFileFromBeforeARotationIsRefused) {
  const auto before = testing::ReadFile(key_file_);
  ASSERT_TRUE(Rotate());
  std::filesystem::remove(key_file_);
  testing::WriteFile(key_file_, before, 0600);
  auto stale = OpenMasterKey(*store_, config_, kEnv);
  ASSERT_FALSE(stale) << "a node given no new key file after `keys rotate`";
  EXPECT_NE(stale.error().message.find("from before a `keys rotate`"), std::string::npos)
      << stale.error().message;
}

// Every file under `dir` (recursively), read whole.
std::string AllBytesUnder(const std::filesystem::path& dir) {
  std::string all;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) all += testing::ReadFile(e.path());
  }
  return all;
}

TEST_F(KeyStoreTest, TheMasterKeyMovesIntoTheTokenAndBackAndRecordsStillOpen) {
  AddToken();
  auto file_key = crypto::ReadMasterKeyFile(key_file_, kEnv);
  ASSERT_TRUE(file_key);
  const std::string raw(AsChars(file_key->key.view()));
  const std::string hex = HexEncode(file_key->key.view());
  std::vector<SealedRecord> sealed;
  {
    auto master = OpenMasterKey(*store_, config_, kEnv);
    ASSERT_TRUE(master);
    sealed = SealRecords(*master);
  }

  // Serving refuses a key that is not where the provider says, and says what to do.
  config_.provider = "pkcs11";
  auto misplaced = OpenMasterKey(*store_, config_, kEnv);
  ASSERT_FALSE(misplaced);
  EXPECT_EQ(misplaced.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(misplaced.error().message.find("keys rotate"), std::string::npos)
      << misplaced.error().message;

  auto in = Rotate();
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->old_provider, crypto::KeyProvider::kFile);
  EXPECT_EQ(in->new_provider, crypto::KeyProvider::kPkcs11);
  EXPECT_EQ(in->rewrapped, 2);
  // The key file now only names the key in the token; the old key's bytes are in no file.
  const auto text = testing::ReadFile(key_file_);
  EXPECT_NE(text.find("provider pkcs11"), std::string::npos) << text;
  EXPECT_EQ(text.find("\nkey "), std::string::npos) << text;
  const auto files = AllBytesUnder(dir_.path());
  EXPECT_EQ(files.find(raw), std::string::npos);
  EXPECT_EQ(files.find(hex), std::string::npos);
  {
    auto master = OpenMasterKey(*store_, config_, kEnv);
    ASSERT_TRUE(master) << master.error().message;
    EXPECT_EQ(master->id(), in->new_key_id);
    EXPECT_EQ(master->provider(), crypto::KeyProvider::kPkcs11);
    EXPECT_EQ(OpenRecord(*master, "org-a", sealed[0]), "marker body");
    EXPECT_EQ(OpenRecord(*master, "org-b", sealed[1]), "marker body");
  }

  // From one key in the token to another: the old one stays there (backups need it).
  auto within = Rotate();
  ASSERT_TRUE(within) << within.error().message;
  EXPECT_EQ(within->old_key_id, in->new_key_id);
  {
    MasterKeys keys(config_, kEnv);
    EXPECT_TRUE(keys.Use({in->new_key_id, kEnv, crypto::KeyProvider::kPkcs11, Secret()}));
    auto master = OpenMasterKey(*store_, config_, kEnv);
    ASSERT_FALSE(master) << "the token is opened once per process";
    EXPECT_NE(master.error().message.find("already open in this process"), std::string::npos)
        << master.error().message;
  }
  {
    auto master = OpenMasterKey(*store_, config_, kEnv);
    ASSERT_TRUE(master) << master.error().message;
    EXPECT_EQ(master->id(), within->new_key_id);
    EXPECT_EQ(OpenRecord(*master, "org-a", sealed[0]), "marker body");
  }

  // And back into a key file.
  config_.provider = "file";
  auto out = Rotate();
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->old_provider, crypto::KeyProvider::kPkcs11);
  EXPECT_EQ(out->new_provider, crypto::KeyProvider::kFile);
  auto master = OpenMasterKey(*store_, config_, kEnv);
  ASSERT_TRUE(master) << master.error().message;
  EXPECT_EQ(master->provider(), crypto::KeyProvider::kFile);
  EXPECT_EQ(OpenRecord(*master, "org-a", sealed[0]), "marker body");
  EXPECT_EQ(OpenRecord(*master, "org-b", sealed[1]), "marker body");
}

TEST_F(KeyStoreTest, AKeyInATokenThatIsGoneOrUnreachableIsRefusedSayingWhy) {
  AddToken();
  config_.provider = "pkcs11";
  ASSERT_TRUE(Rotate());
  const auto message = [&] {
    auto r = OpenMasterKey(*store_, config_, kEnv);
    return r ? std::string("(opened)") : r.error().message;
  };
  EXPECT_EQ(message(), "(opened)");

  // A PIN file others may read; none at all; a wrong PIN.
  std::filesystem::permissions(hsm_.pin_file(), std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  EXPECT_NE(message().find("readable by group or others"), std::string::npos) << message();
  config_.pkcs11_pin_file.clear();
  ::unsetenv("CREDENTIALS_DIRECTORY");
  EXPECT_NE(message().find("pkcs11_pin_file"), std::string::npos) << message();
  testing::WriteFile(dir_ / "wrong.pin", "not-the-pin\n", 0400);
  config_.pkcs11_pin_file = dir_ / "wrong.pin";
  EXPECT_NE(message().find("the PIN is wrong"), std::string::npos) << message();
  EXPECT_EQ(message().find("not-the-pin"), std::string::npos) << message();

  // systemd's credential, when no file is named.
  config_.pkcs11_pin_file.clear();
  std::filesystem::create_directory(dir_ / "credentials");
  testing::WriteFile(dir_ / "credentials/strongroom-hsm-pin", testing::SoftHsm::kPin, 0400);
  ::setenv("CREDENTIALS_DIRECTORY", (dir_ / "credentials").c_str(), 1);
  EXPECT_EQ(message(), "(opened)");
  ::unsetenv("CREDENTIALS_DIRECTORY");

  // The token's settings missing, the token gone.
  config_.pkcs11_pin_file = hsm_.pin_file();
  std::filesystem::permissions(hsm_.pin_file(), std::filesystem::perms::group_read,
                               std::filesystem::perm_options::remove);
  config_.pkcs11_token.clear();
  EXPECT_NE(message().find("pkcs11_module and pkcs11_token"), std::string::npos) << message();
  config_.pkcs11_token = testing::SoftHsm::kLabel;

  // A PIN file of nothing but its newline, one far too long, or one that is a symbolic link.
  testing::WriteFile(dir_ / "long.pin", std::string(300, '1'), 0600);
  config_.pkcs11_pin_file = dir_ / "long.pin";
  EXPECT_NE(message().find("is empty or too large"), std::string::npos) << message();
  testing::WriteFile(dir_ / "empty.pin", "\n", 0600);
  config_.pkcs11_pin_file = dir_ / "empty.pin";
  EXPECT_NE(message().find("the PIN is empty"), std::string::npos) << message();
  std::filesystem::create_symlink(hsm_.pin_file(), dir_ / "linked.pin");
  config_.pkcs11_pin_file = dir_ / "linked.pin";
  EXPECT_NE(message().find("cannot open PIN file"), std::string::npos) << message();
  config_.pkcs11_pin_file = hsm_.pin_file();
  EXPECT_EQ(message(), "(opened)");

  testing::SoftHsm::RemoveToken();
  EXPECT_NE(message().find("no PKCS#11 token labelled \"strongroom-test\""), std::string::npos)
      << message();
}

}  // namespace
}  // namespace strongroom::store
