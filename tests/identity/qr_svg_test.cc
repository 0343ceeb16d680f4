#include "identity/qr_svg.h"

#include <gtest/gtest.h>

namespace strongroom::identity {
namespace {

TEST(QrSvgTest, IsAPlainSvgOfSquaresWithoutTheTextInIt) {
  const std::string uri =
      "otpauth://totp/Strongroom:jane.smith?secret=JBSWY3DPEHPK3PXP&issuer=Strongroom";
  auto svg = QrSvg(uri);
  ASSERT_TRUE(svg);
  EXPECT_TRUE(svg->starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(svg->ends_with("</svg>"));
  EXPECT_EQ(svg->find("JBSWY3DPEHPK3PXP"), std::string::npos);
  EXPECT_EQ(svg->find("<script"), std::string::npos);
  EXPECT_EQ(svg->find("<text"), std::string::npos);
  // A version-5 or larger symbol (37+ modules) plus the quiet zone, and many dark modules.
  const auto vb = svg->find("viewBox=\"0 0 ");
  ASSERT_NE(vb, std::string::npos);
  EXPECT_GE(std::stoi(svg->substr(vb + 13)), 37 + 8);
  size_t dark = 0;
  for (size_t p = 0; (p = svg->find('M', p)) != std::string::npos; ++p) ++dark;
  EXPECT_GT(dark, 300u);
  // Different input, different picture.
  EXPECT_NE(*QrSvg(uri + "x"), *svg);
}

}  // namespace
}  // namespace strongroom::identity
