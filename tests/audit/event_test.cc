#include "audit/event.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace strongroom::audit {
namespace {

Event Sample() {
  Event e;
  e.sequence = 42;
  e.time = TimePoint(std::chrono::milliseconds(1'700'000'000'123));
  e.actor = {"a1", "alice.smith", "standard", "s1"};
  e.source = "192.0.2.7";
  e.action = "record.view";
  e.target = {"record", "r1", "org-1"};
  e.allowed = false;
  e.reason = "outside remit";
  e.outcome = "not_found";
  e.request_id = "req-9";
  e.node = "node-2";
  e.detail = {{"z", "last"}, {"a", "first"}};
  return e;
}

TEST(EventTest, CanonicalFormHasAFixedFieldOrder) {
  EXPECT_EQ(Canonical(Sample()),
            R"({"seq":42,"time":"2023-11-14T22:13:20.123Z","actor":{"id":"a1","username":)"
            R"("alice.smith","kind":"standard","session":"s1"},"source":"192.0.2.7","action":)"
            R"("record.view","target":{"type":"record","id":"r1","org":"org-1"},"decision":)"
            R"({"allow":false,"reason":"outside remit"},"outcome":"not_found","request_id":)"
            R"("req-9","node":"node-2","detail":{"a":"first","z":"last"}})");
}

// Log injection: whatever a user controls stays one escaped JSON string on one line.
TEST(EventTest, HostileValuesStayOneEscapedField) {
  const std::vector<std::string> payloads = {
      "line1\r\nFAKE 2026-01-01 auth.login ok",
      std::string("nul\0byte", 8),
      "\x1b[31mred\x1b[0m",                // ANSI escape
      "\"},\"decision\":{\"allow\":true",  // JSON breaker
      "back\\slash\\\"",
      "\xe2\x80\xa8sep\xe2\x80\xa9",  // U+2028, U+2029
      "\xc2\x9b"
      "31m",                           // C1 CSI
      "\xff\xfe\xc0\xaf",              // invalid UTF-8, overlong
      "\xed\xa0\x80",                  // surrogate
      "caf\xc3\xa9 \xf0\x9f\x94\x92",  // valid non-ASCII stays as is
      std::string(100'000, 'x'),
  };
  for (const auto& p : payloads) {
    Event e = Sample();
    e.actor.username = p;
    e.reason = p;
    e.detail["value"] = p;
    const auto text = Canonical(e);
    for (unsigned char c : text) {
      ASSERT_GE(c, 0x20) << "raw control character in: " << text.substr(0, 80);
      ASSERT_NE(c, 0x7f);
    }
    EXPECT_EQ(text.find("\xe2\x80\xa8"), std::string::npos);
    EXPECT_EQ(text.find("\xc2\x9b"), std::string::npos);
    EXPECT_LT(text.size(), 4 * (kMaxFieldBytes * 6 + 100)) << "values are cut";
    boost::json::error_code ec;
    auto v = boost::json::parse(text, ec);
    ASSERT_FALSE(ec) << text.substr(0, 120);
    const auto& obj = v.as_object();
    EXPECT_EQ(obj.at("decision").at("allow").as_bool(), false);  // not forged
    EXPECT_EQ(obj.at("seq").as_int64(), 42);
    EXPECT_EQ(obj.size(), 11u);
    if (p.size() < kMaxFieldBytes && p.find('\xff') == std::string::npos &&
        p.find('\xed') == std::string::npos && p.find('\xc2') == std::string::npos) {
      EXPECT_EQ(obj.at("decision").at("reason").as_string(), p);  // lossless for valid text
    }
  }
}

TEST(EventTest, LongValuesAreCutVisibly) {
  Event e = Sample();
  e.reason = std::string(5000, 'y');
  const auto text = Canonical(e);
  EXPECT_NE(text.find(std::string(kMaxFieldBytes, 'y') + "...[cut]\""), std::string::npos);
  EXPECT_EQ(text.find(std::string(kMaxFieldBytes + 1, 'y')), std::string::npos);
}

}  // namespace
}  // namespace strongroom::audit
