// HTML form bodies (http/form.h), url-encoded and multipart: the input's first line is the
// Content-Type, the rest the body. What parses names only the page's fields (and the CSRF
// token), each value within its bound, valid UTF-8, without CR and without control characters
// other than a multi-line field's LF and tab, a one-line field's without LF; and the same fields
// sent again in either encoding parse to the same form. The attack inspection's view of the body
// (defense/view.h) is JSON, with a form's CSRF token emptied; a form that parses is read the same
// field by field (ForEachFormValue) and its CSRF token alike by FormCsrfToken.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "common/utf8.h"
#include "defense/view.h"
#include "fuzz_check.h"
#include "http/form.h"

namespace {

using namespace strongroom;

constexpr std::initializer_list<http::FormField> kFields = {
    {"title", 64}, {"text", 256, true}, {"csv", 512, true}, {"tags", 16, false, true}};
constexpr std::string_view kBoundary = "fuzzBoundary0";

http::Request Post(std::string_view type, std::string body) {
  http::Request r;
  r.message.method(http::beast_http::verb::post);
  r.message.set(http::beast_http::field::content_type, type);
  r.message.body() = std::move(body);
  return r;
}

const http::FormField* FieldNamed(std::string_view name) {
  for (const auto& f : kFields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// Every value of the form as (name, value) pairs, a repeated field's one by one.
std::vector<std::pair<std::string, std::string>> Pairs(const http::Form& form) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : form) {
    const auto* field = FieldNamed(name);
    if (field != nullptr && field->repeated) {
      // Its values as sent, empty ones too (which FormValues leaves out).
      size_t at = 0;
      for (auto end = value.find('\n'); end != std::string::npos; end = value.find('\n', at)) {
        out.emplace_back(name, value.substr(at, end - at));
        at = end + 1;
      }
      out.emplace_back(name, value.substr(at));
    } else {
      out.emplace_back(name, value);
    }
  }
  return out;
}

std::string UrlEncoded(const http::Form& form) {
  std::string out;
  for (const auto& [name, value] : Pairs(form)) {
    if (!out.empty()) out += '&';
    out += name + "=";
    for (const unsigned char c : value) out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string Multipart(const http::Form& form) {
  std::string out;
  for (const auto& [name, value] : Pairs(form)) {
    out += fmt::format("--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{}\r\n",
                       kBoundary, name, value);
  }
  return out + fmt::format("--{}--\r\n", kBoundary);
}

// What the attack inspection is shown of any body (defense/view.h): JSON, and a form's CSRF token
// emptied.
void CheckView(const http::Request& request) {
  const auto view = defense::ViewOf(request);
  if (view.body.empty()) return;
  boost::system::error_code ec;
  const auto shown = boost::json::parse(view.body, ec);
  FUZZ_CHECK(!ec, "the inspection's view of a body is not JSON");
  if (shown.is_object()) {
    // (Sent more than once, it is an array of them.)
    const auto* token = shown.as_object().if_contains(http::kCsrfField);
    const auto empty = [](const boost::json::value& v) {
      return v.is_string() && v.as_string().empty();
    };
    FUZZ_CHECK(token == nullptr || empty(*token) ||
                   (token->is_array() && std::ranges::all_of(token->as_array(), empty)),
               "a CSRF token shown to the inspection");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = fuzz::Text(data, size);
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos) return 0;
  const auto type = text.substr(0, newline);
  const auto request = Post(type, std::string(text.substr(newline + 1)));
  CheckView(request);
  size_t values = 0;
  const auto each = http::ForEachFormValue(request, [&](std::string_view, std::string_view) {
    ++values;
    return Result<void>{};
  });
  auto form = http::ParseForm(request, kFields);
  if (!form) return 0;
  FUZZ_CHECK(each.has_value(), "a form that parses, not read field by field");
  FUZZ_CHECK(values >= form->size(), "fewer values read than fields parsed");
  const auto token = form->find(http::kCsrfField);
  FUZZ_CHECK(http::FormCsrfToken(request) == (token == form->end() ? "" : token->second),
             "the CSRF token read apart from the form is not the form's");
  for (const auto& [name, value] : *form) {
    const auto* field = name == http::kCsrfField ? nullptr : FieldNamed(name);
    FUZZ_CHECK(field != nullptr || name == http::kCsrfField, "a field that is not the page's");
    FUZZ_CHECK(Utf8CodePoints(value).has_value(), "a value that is not UTF-8");
    const bool multiline = field != nullptr && field->multiline;
    const bool repeated = field != nullptr && field->repeated;
    for (const unsigned char c : value) {
      const bool allowed = c >= 0x20 && c != 0x7f;
      FUZZ_CHECK(allowed || (c == '\n' && (multiline || repeated)) || (c == '\t' && multiline),
                 "a control character kept");
    }
    if (repeated) {
      for (const auto& v : http::FormValues(*form, name)) {
        FUZZ_CHECK(v.size() <= field->max_bytes, "a checkbox value longer than its bound");
      }
    } else {
      FUZZ_CHECK(value.size() <= (field == nullptr ? 128 : field->max_bytes),
                 "a value longer than its bound");
    }
  }
  auto again =
      http::ParseForm(Post("application/x-www-form-urlencoded", UrlEncoded(*form)), kFields);
  FUZZ_CHECK(again.has_value() && *again == *form, "a form did not round-trip url-encoded");
  // A value holding the boundary cannot be sent in a body of that boundary.
  for (const auto& [name, value] : *form) {
    if (value.find(kBoundary) != std::string::npos) return 0;
  }
  auto multipart = http::ParseForm(
      Post(fmt::format("multipart/form-data; boundary={}", kBoundary), Multipart(*form)), kFields);
  FUZZ_CHECK(multipart.has_value() && *multipart == *form, "a form did not round-trip multipart");
  return 0;
}
