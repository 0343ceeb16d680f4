#include "identity/username.h"

#include <gtest/gtest.h>

namespace strongroom::identity {
namespace {

TEST(UsernameTest, FoldsCaseAndKeepsValidNames) {
  EXPECT_EQ(*CanonicalUsername("Jane.Smith"), "jane.smith");
  EXPECT_EQ(*CanonicalUsername("j_smith-2"), "j_smith-2");
  EXPECT_EQ(*CanonicalUsername("abc"), "abc");
  EXPECT_EQ(*CanonicalUsername(std::string(64, 'a')), std::string(64, 'a'));
}

TEST(UsernameTest, RefusesHostileAndMalformedNames) {
  const std::vector<std::string> bad = {
      "",
      "ab",
      std::string(65, 'a'),
      "jane smith",
      "jane\nsmith",
      std::string("jane\0smith", 10),
      "jane'; DROP TABLE accounts; --",
      "<script>",
      "j\xd0\xb0ne",            // Cyrillic a, a look-alike of Latin a
      "\xef\xbd\x8a\x61ne",     // full-width j
      "jane\xe2\x80\x8bsmith",  // zero-width space
      ".jane",
      "jane-",
      "../etc/passwd",
      "jane@example.org",
  };
  for (const auto& name : bad) {
    auto r = CanonicalUsername(name);
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    if (name.size() >= 3) {
      EXPECT_EQ(r.error().message.find(name), std::string::npos);
    }
  }
}

TEST(UsernameTest, RefusesGenericNamesAndTheirNumberedVariants) {
  for (const char* name : {"admin", "ADMIN", "root", "test", "shared", "team", "support", "guest",
                           "admin1", "test-01", "support_2", "sys.admin"}) {
    EXPECT_FALSE(CanonicalUsername(name)) << name;
  }
  EXPECT_TRUE(CanonicalUsername("adminton.jones"));  // a person's name that contains a word
  EXPECT_FALSE(CanonicalUsername("jane.smith", {"janesmith"}));  // configurable list
}

}  // namespace
}  // namespace strongroom::identity
