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

constexpr std::string_view kBoundary = "----FormBoundary7MA4YWxk";

std::string Part(std::string_view disposition, std::string_view value,
                 std::string_view extra_header = "") {
  std::string part = "--" + std::string(kBoundary) +
                     "\r\nContent-Disposition: " + std::string(disposition) + "\r\n";
  if (!extra_header.empty()) part += std::string(extra_header) + "\r\n";
  return part + "\r\n" + std::string(value) + "\r\n";
}

Request Multipart(std::string body) {
  return FormRequest(std::move(body), "multipart/form-data; boundary=" + std::string(kBoundary));
}

std::string End() { return "--" + std::string(kBoundary) + "--\r\n"; }

TEST(FormTest, ReadsAMultipartFormWithAFile) {
  const std::string csv = "username\r\nann.example\r\n\xEF\xBB\xBF\r\n";
  const auto body =
      Part(R"(form-data; name="csrf_token")", "tok") +
      Part(R"(form-data; name="csv"; filename="leavers.csv")", csv, "Content-Type: text/csv") +
      Part(R"(form-data; name="tags")", "A") + Part(R"(form-data; name="tags")", "B") + End();
  const std::initializer_list<FormField> fields = {{"csv", 1024, true}, {"tags", 8, false, true}};
  auto form = ParseForm(Multipart(body), fields);
  ASSERT_TRUE(form) << form.error().message;
  EXPECT_EQ((*form)["csv"], "username\nann.example\n\xEF\xBB\xBF\n") << "CRLF becomes LF";
  EXPECT_EQ(FormValues(*form, "tags"), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(FormCsrfToken(Multipart(body)), "tok");
  // The boundary quoted, the header's words in any case, no CRLF after the last delimiter.
  auto quoted = ParseForm(
      FormRequest(
          Part(R"(FORM-DATA; NAME="csv")", "x") + "--" + std::string(kBoundary) + "--",
          "Multipart/Form-Data; charset=utf-8; Boundary=\"" + std::string(kBoundary) + "\""),
      fields);
  ASSERT_TRUE(quoted) << quoted.error().message;
  EXPECT_EQ((*quoted)["csv"], "x");
  // An empty file is an empty value; a part's bytes are not percent-decoded.
  auto plain = ParseForm(Multipart(Part(R"(form-data; name="csv"; filename="")", "") +
                                   Part(R"(form-data; name="tags")", "%41+") + End()),
                         fields);
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ((*plain)["csv"], "");
  EXPECT_EQ((*plain)["tags"], "%41+");
}

TEST(FormTest, RefusesHostileMultipartBodies) {
  const std::string ok = Part(R"(form-data; name="csv")", "x");
  const struct {
    const char* what;
    std::string body;
  } cases[] = {
      {"no final delimiter", ok},
      {"nothing", ""},
      {"preamble", "junk\r\n" + ok + End()},
      {"epilogue", ok + End() + "more"},
      {"another boundary",
       "--other\r\nContent-Disposition: form-data; name=\"csv\"\r\n\r\nx\r\n--other--"},
      {"no headers", "--" + std::string(kBoundary) + "\r\n\r\n\r\nx\r\n" + End()},
      {"no blank line after the headers", "--" + std::string(kBoundary) + "\r\n\r\nx\r\n" + End()},
      {"a control in a header",
       Part("form-data; name=\"csv\"; filename=\"a\x01.csv\"", "x") + End()},
      {"no blank line",
       "--" + std::string(kBoundary) + "\r\nContent-Disposition: form-data; name=\"csv\"" + End()},
      {"unknown field", Part(R"(form-data; name="admin")", "1") + End()},
      {"field twice", ok + ok + End()},
      {"no name", Part(R"(form-data; filename="a.csv")", "x") + End()},
      {"empty name", Part(R"(form-data; name="")", "x") + End()},
      {"name twice", Part(R"(form-data; name="csv"; name="tags")", "x") + End()},
      {"unquoted name", Part("form-data; name=csv", "x") + End()},
      {"unclosed quote", Part(R"(form-data; name="csv)", "x") + End()},
      {"attachment", Part(R"(attachment; name="csv")", "x") + End()},
      {"unknown parameter", Part(R"(form-data; name="csv"; size="1")", "x") + End()},
      {"two dispositions",
       Part(R"(form-data; name="csv")", "x", R"(Content-Disposition: form-data; name="tags")") +
           End()},
      {"another header",
       Part(R"(form-data; name="csv")", "x", "Content-Transfer-Encoding: base64") + End()},
      {"header without colon", Part(R"(form-data; name="csv")", "x", "X") + End()},
      {"NUL in a file",
       Part(R"(form-data; name="csv"; filename="a")", std::string("a\0b", 3)) + End()},
      {"invalid UTF-8", Part(R"(form-data; name="csv")", "\xC0\xAF") + End()},
      {"too long", Part(R"(form-data; name="csv")", std::string(1025, 'x')) + End()},
      {"line break in a one-line field", Part(R"(form-data; name="tags")", "A\r\nB") + End()},
  };
  for (const auto& c : cases) {
    auto form = ParseForm(Multipart(c.body), {{"csv", 1024, true}, {"tags", 8, false, true}});
    ASSERT_FALSE(form) << c.what;
    EXPECT_EQ(form.error().code, ErrorCode::kInvalidArgument) << c.what;
    // What was sent is not said back.
    EXPECT_EQ(form.error().message.find(kBoundary), std::string::npos) << c.what;
    EXPECT_EQ(form.error().message.find('\n'), std::string::npos) << c.what;
  }
  // Each Content-Type with a body framed by its own boundary: refused for the header alone.
  for (const auto& [type, boundary] : std::vector<std::pair<std::string, std::string>>{
           {"multipart/form-data; boundary=", ""},
           {"multipart/form-data; boundary=\"\"", ""},
           {"multipart/form-data; boundary=" + std::string(71, 'b'), std::string(71, 'b')},
           {"multipart/form-data; boundary=a b", "a b"},
           {"multipart/form-data; boundary=a<b", "a<b"},
           {"multipart/form-data; boundary=a; boundary=a", "a"},
           {"multipart/mixed; boundary=a", "a"}}) {
    const auto body = "--" + boundary +
                      "\r\nContent-Disposition: form-data; name=\"csv\"\r\n\r\nx\r\n--" + boundary +
                      "--\r\n";
    EXPECT_FALSE(ParseForm(FormRequest(body, type), {{"csv", 64, true}})) << type;
  }
  // The same bodies are read with an acceptable header: the refusals above are the header's.
  EXPECT_TRUE(ParseForm(
      FormRequest("--a b\r\nContent-Disposition: form-data; name=\"csv\"\r\n\r\nx\r\n--a b--\r\n",
                  "multipart/form-data; boundary=\"a b\""),
      {{"csv", 64, true}}));
  EXPECT_TRUE(ParseForm(
      FormRequest("--a\r\nContent-Disposition: form-data; name=\"csv\"\r\n\r\nx\r\n--a--\r\n",
                  "multipart/form-data; boundary=a"),
      {{"csv", 64, true}}));
}

}  // namespace
}  // namespace strongroom::http
