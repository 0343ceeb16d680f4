#include "common/file_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/bytes.h"
#include "common/instance_lock.h"
#include "fakes/temp_dir.h"

namespace strongroom {
namespace {

TEST(FileUtilTest, WriteNewFileSetsModeAndNeverOverwrites) {
  testing::TempDir dir;
  const auto p = dir / "f";
  ASSERT_TRUE(WriteNewFile(p, AsBytes("one"), 0600));
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = WriteNewFile(p, AsBytes("two"), 0600);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(testing::ReadFile(p), "one");
}

TEST(FileUtilTest, ReadSmallFileRefusesLargerThanLimit) {
  testing::TempDir dir;
  testing::WriteFile(dir / "f", std::string(100, 'x'));
  EXPECT_TRUE(ReadSmallFile(dir / "f", 100));
  auto r = ReadSmallFile(dir / "f", 99);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(InstanceLockTest, SecondHolderIsRefusedUntilFirstReleases) {
  testing::TempDir dir;
  {
    auto first = InstanceLock::Acquire(dir / "lock");
    ASSERT_TRUE(first);
    auto second = InstanceLock::Acquire(dir / "lock");
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, ErrorCode::kFailedPrecondition);
  }
  EXPECT_TRUE(InstanceLock::Acquire(dir / "lock"));
}

}  // namespace
}  // namespace strongroom
