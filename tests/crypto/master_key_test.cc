#include "crypto/master_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "fakes/temp_dir.h"

namespace strongroom::crypto {
namespace {

class MasterKeyTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::filesystem::path path_ = dir_ / "master.key";
};

TEST_F(MasterKeyTest, WritesOwnerOnlyFileAndReadsItBack) {
  auto key = GenerateMasterKey(Environment::kTest, DefaultRandom());
  ASSERT_TRUE(WriteMasterKeyFile(path_, key));
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto read = ReadMasterKeyFile(path_, Environment::kTest);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->id, key.id);
  EXPECT_EQ(read->environment, Environment::kTest);
  EXPECT_TRUE(std::equal(read->key.view().begin(), read->key.view().end(), key.key.view().begin()));
}

TEST_F(MasterKeyTest, ABackupKeyIsItsOwnKindOfFile) {
  auto key = GenerateBackupKey(Environment::kTest, DefaultRandom());
  ASSERT_TRUE(WriteBackupKeyFile(path_, key));
  EXPECT_TRUE(testing::ReadFile(path_).starts_with("strongroom-backup-key 1\n"));
  auto read = ReadBackupKeyFile(path_, Environment::kTest);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->id, key.id);
  EXPECT_TRUE(std::equal(read->key.view().begin(), read->key.view().end(), key.key.view().begin()));
  // Neither kind is taken for the other, and a backup key keeps to its environment.
  EXPECT_FALSE(ReadMasterKeyFile(path_, Environment::kTest));
  auto other_env = ReadBackupKeyFile(path_, Environment::kProduction);
  ASSERT_FALSE(other_env);
  EXPECT_NE(other_env.error().message.find("backup key file"), std::string::npos);
  const auto master = dir_ / "m.key";
  ASSERT_TRUE(WriteMasterKeyFile(master, GenerateMasterKey(Environment::kTest, DefaultRandom())));
  EXPECT_FALSE(ReadBackupKeyFile(master, Environment::kTest));
}

TEST_F(MasterKeyTest, AKeyInATokenIsNamedByItsFileWhichHoldsNoKey) {
  const auto key = NameTokenMasterKey(Environment::kTest, DefaultRandom());
  EXPECT_TRUE(key.key.empty());
  ASSERT_TRUE(WriteMasterKeyFile(path_, key));
  EXPECT_EQ(testing::ReadFile(path_),
            "strongroom-master-key 1\nid " + key.id + "\nenvironment test\nprovider pkcs11\n");
  auto read = ReadMasterKeyFile(path_, Environment::kTest);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->id, key.id);
  EXPECT_EQ(read->provider, KeyProvider::kPkcs11);
  EXPECT_TRUE(read->key.empty());
  // Its handle works only through the token.
  MasterKeyHandle unopened(std::move(*read));
  auto wrapped = unopened.Wrap(DefaultRandom().RandomSecret(32), AsBytes("aad"), DefaultRandom());
  ASSERT_FALSE(wrapped);
  EXPECT_EQ(wrapped.error().code, ErrorCode::kFailedPrecondition);

  // A file that names a token and holds a key, names another provider, or is a backup key
  // naming a token, is refused.
  const std::string id = "id " + key.id + "\nenvironment test\n";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"strongroom-master-key 1\n" + id + "provider pkcs11\nkey " + std::string(64, 'a') + "\n",
       "holds a key and names a token"},
      {"strongroom-master-key 1\n" + id + "provider vault\n", "unknown key provider"},
      {"strongroom-master-key 1\n" + id + "provider file\n", "unknown key provider"},
      {"strongroom-master-key 1\n" + id, "lacks its 'key' line"},
  };
  for (const auto& [text, message] : bad) {
    testing::WriteFile(path_, text, 0600);
    auto r = ReadMasterKeyFile(path_, Environment::kTest);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find(message), std::string::npos) << r.error().message;
  }
  testing::WriteFile(path_, "strongroom-backup-key 1\n" + id + "provider pkcs11\n", 0600);
  EXPECT_FALSE(ReadBackupKeyFile(path_, Environment::kTest));
}

TEST_F(MasterKeyTest, NeverOverwritesAnExistingKeyFile) {
  ASSERT_TRUE(WriteMasterKeyFile(path_, GenerateMasterKey(Environment::kTest, DefaultRandom())));
  const auto before = testing::ReadFile(path_);
  auto again = WriteMasterKeyFile(path_, GenerateMasterKey(Environment::kTest, DefaultRandom()));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(testing::ReadFile(path_), before);
}

TEST_F(MasterKeyTest, RefusesFileReadableByGroupOrOthers) {
  ASSERT_TRUE(WriteMasterKeyFile(path_, GenerateMasterKey(Environment::kTest, DefaultRandom())));
  for (mode_t mode : {0640, 0604, 0644, 0660, 0666}) {
    ::chmod(path_.c_str(), mode);
    auto r = ReadMasterKeyFile(path_);
    ASSERT_FALSE(r) << std::oct << mode;
    EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos);
  }
  ::chmod(path_.c_str(), 0400);
  EXPECT_TRUE(ReadMasterKeyFile(path_));
}

TEST_F(MasterKeyTest, RefusesKeyOfAnotherEnvironment) {
  ASSERT_TRUE(
      WriteMasterKeyFile(path_, GenerateMasterKey(Environment::kProduction, DefaultRandom())));
  auto r = ReadMasterKeyFile(path_, Environment::kDevelopment);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("production"), std::string::npos);
}

TEST_F(MasterKeyTest, RefusesMalformedFilesWithoutEchoingThem) {
  const std::string good_id = std::string(32, 'a');
  const std::string good_key = std::string(64, 'b');
  const std::vector<std::string> bad = {
      "",
      "not a key file\n",
      "strongroom-master-key 2\nid " + good_id + "\nenvironment test\nkey " + good_key + "\n",
      "strongroom-master-key 1\nid xyz\nenvironment test\nkey " + good_key + "\n",
      "strongroom-master-key 1\nid " + good_id + "\nenvironment mars\nkey " + good_key + "\n",
      "strongroom-master-key 1\nid " + good_id + "\nenvironment test\nkey " + good_key.substr(2) +
          "\n",
      "strongroom-master-key 1\nid " + good_id + "\nenvironment test\nkey " + std::string(64, 'g') +
          "\n",
      "strongroom-master-key 1\nid " + good_id + "\nenvironment test\n",
  };
  for (const auto& text : bad) {
    testing::WriteFile(path_, text, 0600);
    auto r = ReadMasterKeyFile(path_);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().message.find(good_key), std::string::npos);
    EXPECT_EQ(r.error().message.find("bbbb"), std::string::npos);
  }
}

TEST_F(MasterKeyTest, RefusesSymlink) {
  ASSERT_TRUE(WriteMasterKeyFile(path_, GenerateMasterKey(Environment::kTest, DefaultRandom())));
  std::filesystem::create_symlink(path_, dir_ / "link.key");
  EXPECT_FALSE(ReadMasterKeyFile(dir_ / "link.key"));
}

}  // namespace
}  // namespace strongroom::crypto
