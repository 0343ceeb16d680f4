#include "identity/common_passwords.h"

#include <gtest/gtest.h>

#include "fakes/temp_dir.h"

namespace strongroom::identity {
namespace {

TEST(CommonPasswordsTest, RefusesListedWordsTheirSuffixedAndRepeatedForms) {
  CommonPasswords list;
  for (const char* pw :
       {"password", "PASSWORD", "password1234", "Password2024!", "qwerty123456", "passwordpassword",
        "iloveyou1234", "aaaaaaaaaaaaaaaa", "abababababab", "correcthorsebatterystaple"}) {
    EXPECT_TRUE(list.IsCommon(pw)) << pw;
  }
  for (const char* pw : {"a long and private passphrase", "mauve tractor biscuit", "1234password",
                         "pass word 1234"}) {
    EXPECT_FALSE(list.IsCommon(pw)) << pw;
  }
}

TEST(CommonPasswordsTest, LoadsAListFileSkippingComments) {
  testing::TempDir dir;
  testing::WriteFile(dir / "list.txt", "#!comment\nWinnieThePooh\r\nhunter2\n", 0644);
  auto list = CommonPasswords::Load(dir / "list.txt");
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->IsCommon("winniethepooh"));
  EXPECT_TRUE(list->IsCommon("Hunter2hunter2"));
  EXPECT_FALSE(list->IsCommon("#!comment"));
  EXPECT_EQ(CommonPasswords::Load(dir / "missing.txt").error().code,
            ErrorCode::kFailedPrecondition);
}

TEST(CommonPasswordsTest, DebianJohnListIsUsable) {
  auto list = CommonPasswords::Load("/usr/share/john/password.lst");
  ASSERT_TRUE(list) << "scripts/install-deps installs john-data";
  EXPECT_GT(list->size(), 3000u);
  EXPECT_TRUE(list->IsCommon("winniethepooh"));
  EXPECT_TRUE(list->IsCommon("Jennifer1990!"));
}

}  // namespace
}  // namespace strongroom::identity
