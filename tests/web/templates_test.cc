#include "web/templates.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

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

// Indentation is not sent; what a line holds after it is, as are blank lines and values.
TEST(TemplatesTest, TheIndentationOfLinesIsNotSent) {
  const EmbeddedFile files[] = {
      {"templates/layout.mustache", "<main>\n    <h1>{{title}}</h1>\n{{>page}}\n  </main>\n"},
      {"templates/view.mustache",
       "\t<ul>\n  {{#items}}\n    <li>a  b {{.}}</li>\n  {{/items}}\n\n</ul>"}};
  auto t = Templates::Load(files);
  ASSERT_TRUE(t) << t.error().message;
  PageData items{PageData::type::list};
  items.push_back(PageData("  two\n  lines"));
  PageData data;
  data["title"] = "  t";
  data["items"] = std::move(items);
  auto html = t->Render("view", data);
  ASSERT_TRUE(html);
  EXPECT_EQ(*html, "<main>\n<h1>  t</h1>\n<ul>\n<li>a  b   two\n  lines</li>\n\n</ul>\n</main>\n");
}

// Nowhere would indentation show: what keeps its whitespace (a textarea, a <pre>, an element the
// console's styles lay out pre-wrap) opens and closes on one line in every built-in template.
TEST(TemplatesTest, NoBuiltInTemplateKeepsWhitespaceAcrossLines) {
  std::vector<std::string> keeps{"<textarea", "<pre"};
  for (const auto& f : EmbeddedFiles()) {
    if (f.name != "assets/console.css") continue;
    // Each rule "selectors { ... white-space: pre... }": its class names.
    for (auto at = f.text.find("white-space: pre"); at != std::string_view::npos;
         at = f.text.find("white-space: pre", at + 1)) {
      const auto rule =
          f.text.rfind('}', at) == std::string_view::npos ? 0 : f.text.rfind('}', at) + 1;
      const auto selectors = f.text.substr(rule, f.text.find('{', rule) - rule);
      for (auto dot = selectors.find('.'); dot != std::string_view::npos;
           dot = selectors.find('.', dot + 1)) {
        const auto name_end = selectors.find_first_of(" ,:{\n", dot);
        keeps.emplace_back(selectors.substr(dot + 1, name_end - dot - 1));
      }
    }
  }
  ASSERT_NE(std::ranges::find(keeps, "app-record-text"), keeps.end()) << "read from the styles";
  int looked = 0;
  for (const auto& f : EmbeddedFiles()) {
    if (!f.name.starts_with("templates/")) continue;
    std::string_view text = f.text;
    for (size_t line_no = 1; !text.empty(); ++line_no) {
      const auto end = text.find('\n');
      const auto line = text.substr(0, end);
      for (const auto& kept : keeps) {
        const auto at = line.find(kept);
        if (at == std::string_view::npos) continue;
        ++looked;
        // The element that holds it: the tag itself, or the one whose class it is.
        const auto open = kept.starts_with('<') ? at : line.rfind('<', at);
        ASSERT_NE(open, std::string_view::npos) << f.name << ":" << line_no;
        const auto name = line.substr(open + 1, line.find_first_of(" >", open) - open - 1);
        EXPECT_NE(line.find("</" + std::string(name) + ">", at), std::string_view::npos)
            << f.name << ":" << line_no << " " << kept << " in <" << name << ">";
      }
      text = end == std::string_view::npos ? "" : text.substr(end + 1);
    }
  }
  EXPECT_GE(looked, 8) << "the templates hold textareas and pre-wrap elements";
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
