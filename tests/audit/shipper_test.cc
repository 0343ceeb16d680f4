#include "audit/shipper.h"

#include <gtest/gtest.h>

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

TEST(ShipperMessageTest, StructuredDataValuesAreEscaped) {
  const auto m = CheckpointMessage(10, "2026-11-28T09:00:00.000Z", "ff", "k\"]\\", "00", "h");
  EXPECT_NE(m.find("key=\"k\\\"\\]\\\\\""), std::string::npos) << m;
  EXPECT_TRUE(m.ends_with("] -"));
}

}  // namespace
}  // namespace strongroom::audit
