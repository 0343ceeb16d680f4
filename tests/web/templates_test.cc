#include "web/templates.h"

#include <gtest/gtest.h>

namespace strongroom::web {
namespace {

constexpr std::string_view kLayout = "<title>{{title}}</title>\n{{>page}}\n<footer>";

TEST(TemplatesTest, EveryValueIsEscapedInThePageAndTheLayout) {
  const EmbeddedFile files[] = {{"templates/layout.mustache", kLayout},
                                {"templates/view.mustache", "<p title=\"{{v}}\">{{v}}</p>"}};
  auto t = Templates::Load(files);
  ASSERT_TRUE(t) << t.error().message;
  PageData data;
  data["title"] = "<script>alert(1)</script>";
  data["v"] = "\"><img src=x onerror='alert(1)'>&";
  auto html = t->Render("view", data);
  ASSERT_TRUE(html);
  EXPECT_EQ(*html,
            "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>\n"
            "<p title=\"&quot;&gt;&lt;img src=x onerror=&apos;alert(1)&apos;&gt;&amp;\">"
            "&quot;&gt;&lt;img src=x onerror=&apos;alert(1)&apos;&gt;&amp;</p>\n<footer>");
  EXPECT_FALSE(t->Render("layout", data)) << "the layout is no page";
  EXPECT_FALSE(t->Render("missing", data));
}

TEST(TemplatesTest, RefusesTagsThatWouldNotEscape) {
  for (const std::string_view page : {"{{{raw}}}", "{{&raw}}", "{{ & raw}}", "{{>other}}",
                                      "{{=<% %>=}}", "{{! hidden }}", "{{#open}}never closed"}) {
    const EmbeddedFile files[] = {{"templates/layout.mustache", kLayout},
                                  {"templates/bad.mustache", page}};
    EXPECT_FALSE(Templates::Load(files)) << page;
  }
  const EmbeddedFile unsafe_layout[] = {{"templates/layout.mustache", "{{{title}}}{{>page}}"},
                                        {"templates/ok.mustache", "ok"}};
  EXPECT_FALSE(Templates::Load(unsafe_layout));
  const EmbeddedFile two_slots[] = {{"templates/layout.mustache", "{{>page}}{{>page}}"}};
  EXPECT_FALSE(Templates::Load(two_slots));
}

TEST(TemplatesTest, FragmentsArePutInPlaceAtLoadAndNothingElseIsIncluded) {
  const EmbeddedFile files[] = {
      {"templates/layout.mustache", kLayout},
      {"templates/_item.mustache", "<li>{{v}}</li>"},
      {"templates/list.mustache", "<ul>{{#items}}{{>_item}}{{/items}}</ul>"}};
  auto t = Templates::Load(files);
  ASSERT_TRUE(t) << t.error().message;
  PageData data;
  data["title"] = "t";
  PageData items{PageData::type::list};
  for (const char* v : {"a", "<b>"}) {
    PageData item;
    item["v"] = v;
    items.push_back(item);
  }
  data["items"] = std::move(items);
  EXPECT_EQ(*t->Render("list", data),
            "<title>t</title>\n<ul><li>a</li><li>&lt;b&gt;</li></ul>\n<footer>");
  EXPECT_FALSE(t->Render("_item", data)) << "a fragment is no page";
  for (const auto& [fragment, page] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"<li>{{v}}</li>", "{{>_missing}}"},
           {"{{>_item}}", "{{>_item}}"},
           {"{{{raw}}}", "{{>_item}}"},
           {"{{>page}}", "{{>_item}}"}}) {
    const EmbeddedFile bad[] = {{"templates/layout.mustache", kLayout},
                                {"templates/_item.mustache", fragment},
                                {"templates/list.mustache", page}};
    EXPECT_FALSE(Templates::Load(bad)) << fragment << " in " << page;
  }
}

TEST(TemplatesTest, TheBuiltInPagesLoad) {
  auto t = Templates::Load();
  ASSERT_TRUE(t) << t.error().message;
  for (const char* page : {"sign_in",
                           "sign_in_code",
                           "records",
                           "record",
                           "record_form",
                           "record_delete",
                           "exports",
                           "admin_join_requests",
                           "admin_join_new",
                           "admin_join_decide",
                           "admin_join_approved",
                           "admin_users",
                           "admin_user",
                           "admin_user_action",
                           "admin_leavers",
                           "admin_leavers_rows",
                           "admin_audit",
                           "admin_orders",
                           "admin_order_new",
                           "admin_order_lift",
                           "error",
                           "enrol",
                           "enrol_code",
                           "enrol_done"}) {
    PageData data;
    data["title"] = "t";
    EXPECT_TRUE(t->Render(page, data)) << page;
  }
}

}  // namespace
}  // namespace strongroom::web
