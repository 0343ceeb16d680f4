#include "common/cidr.h"

#include <gtest/gtest.h>

namespace strongroom {
namespace {

TEST(CidrTest, ContainsAddressesInsideItsPrefixOnly) {
  struct Case {
    const char* range;
    const char* address;
    bool inside;
  };
  for (const auto& c : std::vector<Case>{
           {"127.0.0.0/8", "127.0.0.1", true},
           {"127.0.0.0/8", "127.255.255.255", true},
           {"127.0.0.0/8", "128.0.0.1", false},
           {"127.0.0.0/8", "::ffff:127.0.0.9", true},  // a dual-stack socket's form
           {"127.0.0.0/8", "::1", false},
           {"10.1.2.3", "10.1.2.3", true},  // a bare address is a range of one
           {"10.1.2.3", "10.1.2.4", false},
           {"10.0.0.0/9", "10.127.0.1", true},
           {"10.0.0.0/9", "10.128.0.1", false},
           {"0.0.0.0/0", "203.0.113.7", true},
           {"0.0.0.0/0", "2001:db8::1", false},
           {"::1/128", "::1", true},
           {"::1/128", "::2", false},
           {"2001:db8::/32", "2001:db8:ffff::1", true},
           {"2001:db8::/32", "2001:db9::1", false},
           {"::/0", "2001:db8::1", true},
           {"::ffff:10.0.0.0/104", "10.9.9.9", true},
           {"127.0.0.0/8", "", false},
           {"127.0.0.0/8", "unknown", false},
           {"127.0.0.0/8", "127.0.0.1\n", false},
           {"127.0.0.0/8", "127.0.0.1/8", false},
       }) {
    auto range = Cidr::Parse(c.range);
    ASSERT_TRUE(range) << c.range << ": " << range.error().message;
    EXPECT_EQ(range->Contains(c.address), c.inside) << c.range << " " << c.address;
  }
}

TEST(CidrTest, RefusesWhatIsNotARangeNamingIt) {
  for (const char* bad :
       {"", "everyone", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.1/8",
        "::1/129", "::1/12x", "2001:db8::1/32", "1.2.3", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4/ 8",
        "[::1]", "::1%lo", "10.0.0.0/08x", "256.0.0.0/8"}) {
    auto r = Cidr::Parse(bad);
    EXPECT_FALSE(r) << "'" << bad << "'";
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
  }
  const std::string long_junk(10'000, 'x');
  auto r = Cidr::Parse(long_junk);
  ASSERT_FALSE(r);
  EXPECT_LT(r.error().message.size(), 200u) << "the message quotes a bounded prefix";
}

TEST(CidrTest, PrintsItsCanonicalForm) {
  EXPECT_EQ(Cidr::Parse("127.0.0.0/8")->ToString(), "127.0.0.0/8");
  EXPECT_EQ(Cidr::Parse("10.1.2.3")->ToString(), "10.1.2.3/32");
  EXPECT_EQ(Cidr::Parse("2001:DB8:0::/32")->ToString(), "2001:db8::/32");
  EXPECT_EQ(Cidr::Parse("::1")->ToString(), "::1/128");
}

TEST(CidrListTest, AnEmptyListAdmitsNobody) {
  EXPECT_FALSE(CidrList().Contains("127.0.0.1"));
  auto list = CidrList::Parse({"10.0.0.0/8", "::1"});
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->Contains("10.2.3.4"));
  EXPECT_TRUE(list->Contains("::1"));
  EXPECT_FALSE(list->Contains("127.0.0.1"));
  EXPECT_FALSE(CidrList::Parse({"10.0.0.0/8", "nope"}));
}

TEST(SourceKeyTest, Ipv4IsItselfIpv6IsItsSlash64AndMappedIpv4IsIpv4) {
  EXPECT_EQ(SourceKey("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(SourceKey("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(SourceKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(SourceKey("2001:db8:1:2::9"), SourceKey("2001:db8:1:2:ffff::1"));
  EXPECT_NE(SourceKey("2001:db8:1:2::9"), SourceKey("2001:db8:1:3::9"));
  EXPECT_EQ(SourceKey("not an address"), "not an address");
}

}  // namespace
}  // namespace strongroom
