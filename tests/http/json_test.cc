#include "http/json.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

namespace strongroom::http {
namespace {

TEST(JsonTest, AcceptsWellFormedJson) {
  auto v = ParseJson(R"({"a":[1,2.5,"x",null,true],"b":{"c":"\u00e9"}})", 64);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at("a").as_array().size(), 5u);
}

TEST(JsonTest, RefusesHostileBodiesWithInvalidArgument) {
  const std::string deep_ok = std::string(63, '[') + std::string(63, ']');
  EXPECT_TRUE(ParseJson(deep_ok, 64));
  const std::vector<std::string> bad = {
      std::string(10000, '[') + std::string(10000, ']'),  // nested 10,000 deep
      std::string(65, '[') + std::string(65, ']'),
      "{\"a\":\"\xff\xfe\"}",      // invalid UTF-8
      "{\"a\":\"\xc0\xaf\"}",      // overlong UTF-8 encoding of '/'
      "{\"a\":\"\xed\xa0\x80\"}",  // UTF-16 surrogate encoded in UTF-8
      "{\"a\":1e999999}",          // out of double range
      "{\"a\":-1e400}",
      "{\"a\":1,}",         // trailing comma
      "{\"a\":1 /* c */}",  // comment
      "{'a':1}",            // single quotes
      "{\"a\":NaN}",
      "",
      "{\"a\":1}{",  // trailing garbage
  };
  for (const auto& text : bad) {
    auto r = ParseJson(text, 64);
    ASSERT_FALSE(r) << text.substr(0, 40);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    if (text.size() >= 8) {
      EXPECT_EQ(r.error().message.find(text.substr(0, 8)), std::string::npos) << "input echoed";
    }
  }
}

// Found by fuzz/json_fuzzer.cc: Boost.JSON 1.81 reads some numbers a little off, so a body meant
// one number here and another to any correctly rounding reader, and its own re-serialisation read
// back as a third. Numbers are now the ones std::from_chars reads.
TEST(JsonTest, NumbersAreReadAsACorrectlyRoundingReaderReadsThem) {
  for (const std::string number :
       {"-77777177777717777777777777777774", "123456789.123456789", "0.1", "2.5e-10", "1e300",
        "-0.0", "5e-324", "3.141592653589793238462643383279", "1.7976931348623157e308"}) {
    auto r = ParseJson("[" + number + "]", 4);
    ASSERT_TRUE(r) << number << ": " << r.error().message;
    double exact = 0;
    std::from_chars(number.data(), number.data() + number.size(), exact);
    EXPECT_EQ(r->as_array().at(0).as_double(), exact) << number;
    auto again = ParseJson(boost::json::serialize(*r), 4);
    ASSERT_TRUE(again) << number;
    EXPECT_EQ(*again, *r) << number << " changed when written and read again";
  }
  // Deep inside objects and arrays too, each in its place.
  auto r = ParseJson(
      R"({"a":[1.5,{"b":123456789.123456789}],"c":-77777177777717777777777777777774})", 8);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("a").at(0).as_double(), 1.5);
  EXPECT_EQ(r->at("a").at(1).at("b").as_double(), 123456789.12345679);
  EXPECT_EQ(r->at("c").as_double(), -7.7777177777717776e+31);
  // Below the smallest double is zero, as any reader makes of it; above the largest is refused.
  r = ParseJson("[1e-400,-1e-400]", 4);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->as_array().at(0).as_double(), 0.0);
  EXPECT_TRUE(std::signbit(r->as_array().at(1).as_double()));
  EXPECT_FALSE(ParseJson("[1.8e308]", 4));
  // Zero with a large exponent is zero (Boost.JSON alone makes it not a number).
  r = ParseJson("[-0e222222,0e999]", 4);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->as_array().at(0).as_double(), 0.0);
  EXPECT_EQ(r->as_array().at(1).as_double(), 0.0);
  // Integers stay integers.
  r = ParseJson("[9007199254740993,18446744073709551615,-9223372036854775808]", 4);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->as_array().at(0).as_int64(), 9007199254740993);
  EXPECT_EQ(r->as_array().at(1).as_uint64(), 18446744073709551615u);
}

TEST(JsonTest, RefusesARepeatedKeyAtAnyDepth) {
  // Parsers disagree on which of two repeated keys wins; we take neither.
  for (const char* text : {R"({"classification":"OFFICIAL","classification":"OFFICIAL-SENSITIVE"})",
                           R"({"a":1,"b":{"c":1,"c":2}})", R"([{"x":1},{"y":1,"y":1}])",
                           R"({"k":1,"\u006b":2})",  // the same key, escaped
                           R"({"a":{"deep":{"deeper":{"z":1,"z":1}}}})"}) {
    auto r = ParseJson(text, 64);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message, "request body repeats a key in one object");
  }
  // The same key in different objects, or as a value, is fine.
  EXPECT_TRUE(ParseJson(R"({"a":{"a":"a"},"b":{"a":1},"c":[{"a":1},{"a":2}]})", 64));
  // A long key split across the parser's internal buffers is still one key.
  const std::string long_key(100000, 'k');
  EXPECT_FALSE(ParseJson("{\"" + long_key + "\":1,\"" + long_key + "\":2}", 64));
  EXPECT_TRUE(ParseJson("{\"" + long_key + "\":1,\"" + long_key + "x\":2}", 64));
}

TEST(JsonTest, ObjectBodyNeedsJsonContentTypeAndAnObject) {
  Request req;
  req.message.body() = R"({"a":1})";
  EXPECT_FALSE(ParseJsonObject(req, 64));  // no Content-Type
  req.message.set(beast_http::field::content_type, "text/plain");
  EXPECT_FALSE(ParseJsonObject(req, 64));
  req.message.set(beast_http::field::content_type, "Application/JSON; charset=utf-8");
  EXPECT_TRUE(ParseJsonObject(req, 64));
  req.message.body() = "[1]";
  auto r = ParseJsonObject(req, 64);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("JSON object"), std::string::npos);
}

}  // namespace
}  // namespace strongroom::http
