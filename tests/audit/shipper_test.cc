#include "audit/shipper.h"

#include <gtest/gtest.h>

#include "audit/event.h"

namespace strongroom::audit {
namespace {

TEST(ShipperMessageTest, EventIsOneRfc5424LineWithStructuredData) {
  const auto m = EventMessage(7, "2026-11-28T09:00:00.000Z", "abcd",
                              R"({"seq":7,"reason":"a\r\nb"})", "host-1");
  EXPECT_TRUE(m.starts_with("<110>1 2026-11-28T09:00:00.000Z host-1 strongroom "));
  EXPECT_NE(m.find(" audit [strongroom@32473 seq=\"7\" hash=\"abcd\"] {\"seq\":7,"),
            std::string::npos);
  EXPECT_EQ(m.find('\n'), std::string::npos);
  EXPECT_EQ(m.find('\r'), std::string::npos);
}

TEST(ShipperMessageTest, AttacksScansAndBlocksAreSentAtAlertSeverity) {
  // Facility 13 (log audit): 13 * 8 + 1 (alert) = 105; + 6 (informational) = 110.
  const auto at = [](std::string_view action) {
    Event e;
    e.sequence = 1;
    e.actor = {"", "", "anonymous", ""};
    e.source = "192.0.2.1";
    e.action = std::string(action);
    e.target = {"source", "192.0.2.1", ""};
    return EventMessage(1, "2026-11-28T09:00:00.000Z", "ab", Canonical(e), "h").substr(0, 5);
  };
  EXPECT_EQ(at("security.attack"), "<105>");
  EXPECT_EQ(at("security.block"), "<105>");
  EXPECT_EQ(at("security.scan"), "<105>");
  EXPECT_EQ(at("security.unblock"), "<110>");
  EXPECT_EQ(at("record.view"), "<110>");
}

TEST(ShipperMessageTest, StructuredDataValuesAreEscaped) {
  const auto m = CheckpointMessage(10, "2026-11-28T09:00:00.000Z", "ff", "k\"]\\", "00", "h");
  EXPECT_NE(m.find("key=\"k\\\"\\]\\\\\""), std::string::npos) << m;
  EXPECT_TRUE(m.ends_with("] -"));
}

}  // namespace
}  // namespace strongroom::audit
