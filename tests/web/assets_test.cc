#include "web/assets.h"

#include <gtest/gtest.h>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "web/templates.h"

namespace strongroom::web {
namespace {

TEST(AssetsTest, EachIsVersionedByWhatIsServedAndNamesTheOthersByVersion) {
  const auto* css = FindAsset("govuk-frontend.min.css");
  const auto* script = FindAsset("govuk-frontend.min.js");
  const auto* console = FindAsset("console.js");
  ASSERT_NE(css, nullptr);
  ASSERT_NE(script, nullptr);
  ASSERT_NE(console, nullptr);
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(console->content_type, "text/javascript; charset=utf-8");
  for (const auto& asset : Assets()) {
    EXPECT_EQ(asset.version, HexEncode(crypto::Sha256(AsBytes(asset.text))).substr(0, 16))
        << asset.name;
  }
  // console.js imports GOV.UK Frontend's script by its versioned address, and its own version is
  // of that text: a new GOV.UK Frontend gives console.js a new address too.
  EXPECT_NE(console->text.find("from '/assets/govuk-frontend.min.js?v=" + script->version + "'"),
            std::string::npos);
  EXPECT_EQ(console->text.find("'/assets/govuk-frontend.min.js'"), std::string::npos);
  // Templates are not assets, nor is anything of a type not served.
  EXPECT_EQ(FindAsset("layout.mustache"), nullptr);
  EXPECT_EQ(FindAsset("../templates/layout.mustache"), nullptr);
  EXPECT_EQ(FindAsset(""), nullptr);
}

TEST(AssetsTest, OnlyQuotedAddressesOfAssetsAreVersioned) {
  const auto v = FindAsset("console.css")->version;
  EXPECT_EQ(Versioned(R"(<a href="/assets/console.css">)"),
            R"(<a href="/assets/console.css?v=)" + v + "\">");
  EXPECT_EQ(Versioned("'/assets/console.css' '/assets/console.css'"),
            "'/assets/console.css?v=" + v + "' '/assets/console.css?v=" + v + "'");
  for (const std::string_view kept :
       {R"("/assets/console.cssx")", R"("/assets/console.css?v=1")", R"("/assets/nothing.css")",
        "/assets/console.css", R"("/other/console.css")", R"("assets/console.css")"}) {
    EXPECT_EQ(Versioned(kept), kept);
  }
}

TEST(AssetsTest, TheLayoutLinksEachAssetByItsVersionedAddress) {
  auto t = Templates::Load();
  ASSERT_TRUE(t) << t.error().message;
  PageData data;
  data["title"] = "t";
  auto html = t->Render("sign_in", data);
  ASSERT_TRUE(html);
  for (const char* name : {"icon.svg", "govuk-frontend.min.css", "console.css", "console.js"}) {
    const auto* asset = FindAsset(name);
    ASSERT_NE(asset, nullptr) << name;
    EXPECT_NE(html->find(std::string("\"/assets/") + name + "?v=" + asset->version + "\""),
              std::string::npos)
        << name;
  }
  EXPECT_EQ(html->find(".css\""), std::string::npos) << "no plain address left";
}

}  // namespace
}  // namespace strongroom::web
