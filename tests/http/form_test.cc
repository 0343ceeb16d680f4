#include "http/form.h"

#include <gtest/gtest.h>

namespace strongroom::http {
namespace {

Request FormRequest(std::string body, std::string type = "application/x-www-form-urlencoded") {
  Request r;
  r.message.method(beast_http::verb::post);
  r.message.set(beast_http::field::content_type, type);
  r.message.body() = std::move(body);
  return r;
}

TEST(FormTest, DecodesFieldsAndAlwaysAllowsTheCsrfToken) {
  auto form = ParseForm(FormRequest("title=A+case%21&text=one%0D%0Atwo%0Dthree&csrf_token=abc"),
                        {{"title", 64}, {"text", 64, true}});
  ASSERT_TRUE(form) << form.error().message;
  EXPECT_EQ((*form)["title"], "A case!");
  EXPECT_EQ((*form)["text"], "one\ntwo\nthree");
  EXPECT_EQ((*form)["csrf_token"], "abc");
  EXPECT_EQ(FormCsrfToken(FormRequest("a=1&csrf_token=xyz")), "xyz");
  EXPECT_EQ(ParseForm(FormRequest("title=x", "application/x-www-form-urlencoded; charset=utf-8"),
                      {{"title", 64}})
                ->at("title"),
            "x");
}

TEST(FormTest, KeepsEveryValueOfACheckboxField) {
  const std::initializer_list<FormField> fields = {{"title", 64}, {"tags", 16, false, true}};
  auto form = ParseForm(FormRequest("tags=PERSONAL&title=x&tags=LOCSEN"), fields);
  ASSERT_TRUE(form) << form.error().message;
  EXPECT_EQ(FormValues(*form, "tags"), (std::vector<std::string>{"PERSONAL", "LOCSEN"}));
  EXPECT_EQ(FormValues(*form, "title"), std::vector<std::string>{"x"});
  EXPECT_TRUE(FormValues(*ParseForm(FormRequest("title=x"), fields), "tags").empty());
  // A value cannot smuggle a second one in, and each is held to the field's length.
  EXPECT_FALSE(ParseForm(FormRequest("tags=A%0AB"), fields));
  EXPECT_FALSE(ParseForm(FormRequest("tags=A&tags=" + std::string(17, 'x')), fields));
  EXPECT_FALSE(ParseForm(FormRequest("title=x&title=y&tags=A"), fields)) << "only `tags` repeats";
}

TEST(FormTest, RefusesHostileFormsWithoutEchoingThem) {
  const struct {
    const char* what;
    std::string body;
  } cases[] = {
      {"unknown field", "title=x&admin=1"},
      {"field twice", "title=x&title=y"},
      {"line break in a one-line field", "title=a%0Ab"},
      {"NUL", "text=a%00b"},
      {"DEL", "title=a%7Fb"},
      {"bad escape", "title=%G1"},
      {"cut escape", "title=%4"},
      {"overlong UTF-8", "title=%C0%AF"},
      {"lone surrogate", "title=%ED%A0%80"},
      {"too long", "title=" + std::string(65, 'x')},
      {"too long once decoded", "title=" + std::string(65, '+')},
  };
  for (const auto& c : cases) {
    auto form = ParseForm(FormRequest(c.body), {{"title", 64}, {"text", 64, true}});
    ASSERT_FALSE(form) << c.what;
    EXPECT_EQ(form.error().code, ErrorCode::kInvalidArgument) << c.what;
    EXPECT_EQ(form.error().message.find("%"), std::string::npos) << c.what;
  }
  EXPECT_FALSE(ParseForm(FormRequest("title=x", "application/json"), {{"title", 64}}));
  EXPECT_FALSE(ParseForm(FormRequest("title=x", "multipart/form-data"), {{"title", 64}}));
  EXPECT_EQ(FormCsrfToken(FormRequest("csrf_token=abc", "application/json")), "");
}

}  // namespace
}  // namespace strongroom::http
