#include "audit/relp_client.h"

#include <gtest/gtest.h>

namespace strongroom::audit {
namespace {

TEST(RelpResponseTest, AWholePositiveResponseIsTakenAndAPartOneWaits) {
  std::string pending = "1 rsp 6 200 OK\n2 rsp 6 20";
  auto first = TakeRelpResponse(pending);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(**first, 1);
  EXPECT_EQ(pending, "2 rsp 6 20");
  auto second = TakeRelpResponse(pending);
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->has_value()) << "half a frame waits for the rest";
  EXPECT_EQ(pending, "2 rsp 6 20");
  pending += "0 OK\n";
  second = TakeRelpResponse(pending);
  ASSERT_TRUE(second.has_value() && second->has_value());
  EXPECT_EQ(**second, 2);
  EXPECT_TRUE(pending.empty());
}

TEST(RelpResponseTest, RefusalsClosesAndMalformedFramesAreErrors) {
  for (std::string bad : {
           "1 rsp 6 500 no\n",           // refused
           "1 serverclose 0\n",          // the collector is going away
           "-1 rsp 6 200 OK\n",          // a signed number
           "1 rsp +6 200 OK\n",          // a signed length
           "1 rsp 6 200 OKX",            // no LF where the frame ends
           "1 rsp 6\n200 OK\n",          // data without its separating space
           "x rsp 6 200 OK\n",           // not a number
           "1 rsp 2 20\n",               // too short to say 200
           "1234567890 rsp 6 200 OK\n",  // more digits than RELP allows
           "1 rsp 99999999 200\n",       // longer than any response may be
           "1 rsp 4 2001\n",             // not 200
           "1 r-p 6 200 OK\n",           // a command that is not letters
       }) {
    auto r = TakeRelpResponse(bad);
    EXPECT_FALSE(r.has_value()) << bad;
  }
  std::string endless(kMaxRelpResponse + 1, 'x');
  EXPECT_FALSE(TakeRelpResponse(endless).has_value()) << "no frame in 64 KiB";
  std::string long_command = "1 " + std::string(40, 'r') + " 3 200\n";
  EXPECT_FALSE(TakeRelpResponse(long_command).has_value()) << "a command of 40 letters";
  std::string long_frame = "1 rsp " + std::to_string(kMaxRelpResponse - 8) + " 200";
  EXPECT_FALSE(TakeRelpResponse(long_frame).has_value()) << "refused before its data arrives";
  std::string spaced = "1 rsp 6 200 OK\n";
  auto ok = TakeRelpResponse(spaced);
  EXPECT_TRUE(ok.has_value() && ok->has_value()) << "200 then a space is positive";
}

}  // namespace
}  // namespace strongroom::audit
