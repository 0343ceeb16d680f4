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

TEST(TemplatesTest, TheBuiltInPagesLoad) {
  auto t = Templates::Load();
  ASSERT_TRUE(t) << t.error().message;
  for (const char* page : {"sign_in", "sign_in_code", "records", "record", "record_form",
                           "record_delete", "exports", "admin_join_requests", "admin_join_new",
                           "admin_join_decide", "admin_join_approved", "admin_users", "admin_user",
                           "admin_user_action", "error", "enrol", "enrol_code", "enrol_done"}) {
    PageData data;
    data["title"] = "t";
    EXPECT_TRUE(t->Render(page, data)) << page;
  }
}

}  // namespace
}  // namespace strongroom::web
