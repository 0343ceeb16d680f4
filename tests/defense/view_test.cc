#include "defense/view.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace strongroom::defense {
namespace {

http::Request Post(std::string content_type, std::string body) {
  http::Request r;
  r.message.method(http::beast_http::verb::post);
  r.message.target("/api/v1/records");
  r.message.set("Host", "records.example.org");
  if (!content_type.empty()) r.message.set("Content-Type", content_type);
  r.message.body() = std::move(body);
  return r;
}

TEST(WindowsTest, AShortValueIsOneWindow) {
  const std::string text(kWindow, 'a');
  const auto w = Windows(text);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], text);
  EXPECT_EQ(Windows("").size(), 1u);
}

TEST(WindowsTest, EveryStretchUpToTheOverlapIsWholeInSomeWindow) {
  // Distinct marks at every position, so that a stretch can be found only where it really is.
  std::string text;
  for (int i = 0; text.size() < 5 * kWindow + 123; ++i) text += std::to_string(i) + ",";
  const auto windows = Windows(text);
  ASSERT_GT(windows.size(), 5u);
  size_t covered = 0;
  for (auto w : windows) {
    EXPECT_LE(w.size(), kWindow);
    covered = std::max(covered, static_cast<size_t>(w.data() - text.data()) + w.size());
  }
  EXPECT_EQ(covered, text.size()) << "the end is in the last window";
  for (size_t at = 0; at + kOverlap <= text.size(); at += 97) {
    const std::string_view stretch(text.data() + at, kOverlap);
    bool whole = false;
    for (auto w : windows) {
      const size_t start = static_cast<size_t>(w.data() - text.data());
      whole |= start <= at && at + kOverlap <= start + w.size();
    }
    EXPECT_TRUE(whole) << "at " << at;
  }
}

TEST(WindowsTest, NeverSplitsAUtf8Character) {
  std::string text;
  while (text.size() < 3 * kWindow) text += "é€😀a";  // 2, 3, 4 and 1 bytes
  for (auto w : Windows(text)) {
    ASSERT_FALSE(w.empty());
    EXPECT_NE(static_cast<unsigned char>(w.front()) & 0xC0, 0x80) << "starts mid-character";
    const auto end = static_cast<size_t>(w.data() - text.data()) + w.size();
    if (end < text.size()) {
      EXPECT_NE(static_cast<unsigned char>(text[end]) & 0xC0, 0x80) << "ends mid-character";
    }
  }
}

TEST(ViewTest, LongJsonStringsBecomeArraysOfWindowsAndShortOnesStay) {
  const std::string longer(3 * kWindow, 'x');
  const auto view = ViewOf(Post("application/json; charset=utf-8",
                                R"({"title":"short","body":{"summary":")" + longer + R"("}})"));
  const auto parsed = boost::json::parse(view.body);
  EXPECT_EQ(parsed.at("title").as_string(), "short");
  const auto& windows = parsed.at("body").at("summary").as_array();
  EXPECT_EQ(windows.size(), Windows(longer).size());
  EXPECT_EQ(windows.at(0).as_string().size(), kWindow);
}

TEST(ViewTest, LongKeysAreCut) {
  const std::string key(2 * kWindow, 'k');
  const auto view = ViewOf(Post("application/json", R"({")" + key + R"(":1})"));
  const auto parsed = boost::json::parse(view.body);
  const auto& o = parsed.as_object();
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o.begin()->key().size(), kWindow);
}

TEST(ViewTest, AnyOtherBodyIsShownAsAJsonArrayOfItsWindows) {
  for (const auto& [type, body] : std::vector<std::pair<std::string, std::string>>{
           {"text/csv", "username\nann\n"},
           {"application/json", "{not json"},
           {"", "a=1&b=2"},
           {"text/plain", std::string(3 * kWindow, 'z')}}) {
    const auto view = ViewOf(Post(type, body));
    const auto parsed = boost::json::parse(view.body);
    ASSERT_TRUE(parsed.is_array()) << type;
    std::string joined;
    for (const auto& w : parsed.as_array()) joined += std::string(w.as_string());
    EXPECT_NE(joined.find(body.substr(0, 100)), std::string::npos) << type;
    bool typed = false;
    for (const auto& [name, value] : view.headers) {
      if (name == "Content-Type") typed = value == "application/json";
    }
    EXPECT_TRUE(typed || type.empty()) << type;
  }
}

TEST(ViewTest, FormsAreShownAsTheirFieldsWithoutTheirFramingOrSecrets) {
  const std::string multipart =
      "--b0\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ncsrf-marker-1\r\n"
      "--b0\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"l.csv\"\r\n"
      "Content-Type: text/csv\r\n\r\nusername\r\n<script>x</script>\r\n"
      "--b0\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\nA\r\n"
      "--b0\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\nB\r\n--b0--\r\n";
  const auto view = ViewOf(Post("multipart/form-data; boundary=b0", multipart));
  const auto fields = boost::json::parse(view.body).as_object();
  EXPECT_EQ(fields.at("csv").as_string(), "username\r\n<script>x</script>") << "content is shown";
  EXPECT_EQ(fields.at("tags"), (boost::json::array{"A", "B"}));
  EXPECT_EQ(fields.at("csrf_token").as_string(), "");
  EXPECT_EQ(view.body.find("Content-Disposition"), std::string::npos) << "framing is not";
  EXPECT_EQ(view.body.find("csrf-marker"), std::string::npos);

  // A url-encoded form: values decoded, the sign-in's secrets emptied.
  const auto login = ViewOf(Post("application/x-www-form-urlencoded",
                                 "username=ann&password=pw%2Dmarker&challenge=ch-marker"
                                 "&code=123456&title=%3Cimg+src%3Dx%3E"));
  const auto form = boost::json::parse(login.body).as_object();
  EXPECT_EQ(form.at("username").as_string(), "ann");
  EXPECT_EQ(form.at("title").as_string(), "<img src=x>");
  for (const char* marker : {"pw-marker", "pw%2Dmarker", "ch-marker", "123456"}) {
    EXPECT_EQ(login.body.find(marker), std::string::npos) << marker;
  }
  // The Content-Type is read as the form parser reads it (one decision: http::IsFormBody).
  const auto tabbed = ViewOf(Post("multipart/form-data\t; boundary=b0", multipart));
  EXPECT_TRUE(boost::json::parse(tabbed.body).is_object());
  EXPECT_EQ(tabbed.body.find("csrf-marker"), std::string::npos);
  // Names the same once shown (bytes that are not UTF-8 become '?') keep every value.
  const auto twins =
      ViewOf(Post("application/x-www-form-urlencoded", "a\xFF=%3Cscript%3Ex&a\xFE=benign&b=1"));
  EXPECT_EQ(boost::json::parse(twins.body).at("a?"), (boost::json::array{"<script>x", "benign"}));
}

TEST(ViewTest, AFormThatDoesNotParseIsShownAsSentWithoutItsSecrets) {
  for (const auto& [type, body] : std::vector<std::pair<std::string, std::string>>{
           {"application/x-www-form-urlencoded",
            "username=ann&password=pw-marker-1&x=%zz&code=123456&csrf_token=tok-marker-2"},
           {"multipart/form-data; boundary=b0",
            "--b0\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\npw-marker-1\r\n"
            "--b0\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n<b>shown</b>\r\n"
            "--b0\r\njunk"}}) {
    const auto view = ViewOf(Post(type, body));
    const auto parsed = boost::json::parse(view.body);
    ASSERT_TRUE(parsed.is_array()) << type;
    std::string joined;
    for (const auto& w : parsed.as_array()) joined += std::string(w.as_string());
    for (const char* marker : {"pw-marker", "123456", "tok-marker"}) {
      EXPECT_EQ(joined.find(marker), std::string::npos) << type << ": " << marker;
    }
    EXPECT_NE(joined.find(type.starts_with("multipart") ? "<b>shown</b>" : "x=%zz"),
              std::string::npos)
        << type << ": the rest is inspected";
  }
}

TEST(ViewTest, BytesThatAreNotUtf8AreShownAsQuestionMarks) {
  const auto view = ViewOf(Post("text/plain",
                                "a\xc0\xaf"
                                "b\xff"));
  EXPECT_EQ(boost::json::parse(view.body).as_array().at(0).as_string(), "a??b?");
}

TEST(ViewTest, LongHeadersBecomeSeveralFieldsAndTheTargetIsCut) {
  auto r = Post("application/json", "{}");
  r.message.set("User-Agent", std::string(2 * kWindow + 10, 'u'));
  r.message.target("/x?q=" + std::string(2 * kMaxTarget, 'q'));
  const auto view = ViewOf(r);
  int agents = 0;
  for (const auto& [name, value] : view.headers) {
    if (name == "User-Agent") {
      ++agents;
      EXPECT_LE(value.size(), kWindow);
    }
  }
  EXPECT_EQ(agents, 3);
  EXPECT_EQ(view.target.size(), kMaxTarget);
}

TEST(ViewTest, SecretsAreNotShownAtAll) {
  auto r = Post("application/json",
                R"({"username":"ann","password":"pw-marker-1","mfa":{"code":"123456"},)"
                R"("items":[{"token":"tok-marker-2"}],"enrolment_token":"tok-marker-3"})");
  r.message.set("Authorization", "Bearer api-marker-4");
  // A long Cookie header: cut into windows, a boundary inside the token would make a cookie of
  // its bytes.
  r.message.set("Cookie", "a=" + std::string(3 * kWindow, 'x') +
                              "; __Host-strongroom-session=sess-marker-5; b=2; "
                              "__Host-strongroom-admin-session=sess-marker-6");
  const auto view = ViewOf(r);
  std::string all = view.body;
  int cookies = 0;
  for (const auto& [name, value] : view.headers) {
    all += name + ": " + value + "\n";
    cookies += name == "Cookie";
  }
  for (const char* marker : {"pw-marker", "123456", "tok-marker", "api-marker", "sess-marker"}) {
    EXPECT_EQ(all.find(marker), std::string::npos) << marker;
  }
  EXPECT_EQ(cookies, 1) << "the Cookie header is never cut";
  EXPECT_NE(all.find("__Host-strongroom-session=;"), std::string::npos) << "the name stays";
  EXPECT_NE(all.find("\"username\":\"ann\""), std::string::npos);
  EXPECT_NE(all.find("b=2"), std::string::npos);
}

TEST(ViewTest, KeysThatAreTheSameOnceCutAreToldApart) {
  const std::string stem(kWindow, 'k');
  const auto view =
      ViewOf(Post("application/json", R"({")" + stem + R"(a":"one",")" + stem + R"(b":"two"})"));
  const auto parsed = boost::json::parse(view.body);
  ASSERT_EQ(parsed.as_object().size(), 2u) << "no value is lost";
}

}  // namespace
}  // namespace strongroom::defense
