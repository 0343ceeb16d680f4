#include "defense/view.h"

#include <boost/json.hpp>
#include <optional>
#include <unordered_map>

#include "common/utf8.h"
#include "http/form.h"

namespace strongroom::defense {
namespace {

namespace json = boost::json;

// Back from `at` to the start of a UTF-8 character (at most 3 bytes back).
size_t CharStart(std::string_view text, size_t at) {
  for (int i = 0;
       i < 3 && at > 0 && at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80;
       ++i) {
    --at;
  }
  return at;
}

// `text` with each byte that does not start a valid UTF-8 sequence shown as '?'.
std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    uint32_t cp = 0;
    const size_t n = Utf8SequenceLength(text, cp);
    if (n == 0) {
      out += '?';
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, n));
      text.remove_prefix(n);
    }
  }
  return out;
}

json::value Windowed(std::string_view text) {
  const auto windows = Windows(text);
  if (windows.size() == 1) return json::string(windows.front());
  json::array a;
  for (auto w : windows) a.emplace_back(json::string(w));
  return a;
}

bool IsSecretField(std::string_view key) {
  for (auto secret : kSecretFields) {
    if (key == secret) return true;
  }
  return false;
}

json::value WindowedJson(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return Windowed(v.get_string());
    case json::kind::array: {
      json::array a;
      for (const auto& item : v.get_array()) a.push_back(WindowedJson(item));
      return a;
    }
    case json::kind::object: {
      json::object o;
      for (const auto& [key, item] : v.get_object()) {
        // A long key is cut; keys that are the same once cut are told apart by a suffix, so that
        // no value is lost.
        std::string name(key.substr(0, CharStart(key, std::min(key.size(), kWindow))));
        for (int n = 1; o.contains(name); ++n) {
          name = std::string(key.substr(0, CharStart(key, std::min(key.size(), kWindow)))) + "~" +
                 std::to_string(n);
        }
        o[name] = IsSecretField(key) ? json::value(json::string()) : WindowedJson(item);
      }
      return o;
    }
    default:
      return v;
  }
}

// The Cookie header with the secret cookies' values emptied; everything else as sent.
std::string WithoutSecretCookies(std::string_view header) {
  std::string out;
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    const auto eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    bool secret = false;
    for (auto c : kSecretCookies) secret = secret || name == c;
    if (secret && eq != std::string_view::npos) pair = pair.substr(0, eq + 1);
    out += pair;
    if (semi == std::string_view::npos) break;
    out += ';';
    header.remove_prefix(semi + 1);
  }
  return out;
}

bool IsJson(std::string_view content_type) {
  auto media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  std::string lower;
  for (char c : media) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return lower == "application/json" || lower.ends_with("+json");
}

// A form's fields as a JSON object of their values (a field sent more than once: an array of
// them), each windowed, the secret ones emptied: the parts' framing of a multipart body is never
// shown as if it were content. Nothing when the body does not parse.
std::optional<std::string> FormView(const http::Request& request) {
  std::vector<std::pair<std::string, std::vector<json::value>>> fields;
  std::unordered_map<std::string, size_t> index;  // name as shown -> place in `fields`
  const auto read = http::ForEachFormValue(
      request, [&](std::string_view name, std::string_view value) -> Result<void> {
        auto key = ValidUtf8(name.substr(0, CharStart(name, std::min(name.size(), kWindow))));
        auto shown = IsSecretField(key) ? json::value(json::string()) : Windowed(ValidUtf8(value));
        const auto [at, added] = index.try_emplace(key, fields.size());
        if (added) fields.emplace_back(std::move(key), std::vector<json::value>());
        fields[at->second].second.push_back(std::move(shown));
        return {};
      });
  if (!read) return std::nullopt;
  json::object out;
  for (auto& [key, values] : fields) {
    if (values.size() == 1) {
      out[key] = std::move(values.front());
    } else {
      out[key] = json::array(std::make_move_iterator(values.begin()),
                             std::make_move_iterator(values.end()));
    }
  }
  return json::serialize(out);
}

// A form body that does not parse, as it was sent but with whatever follows a secret field's name
// blanked: in a url-encoded body up to the next '&', in a multipart one the part's content.
std::string WithoutSecretValues(std::string body) {
  const auto blank = [&body](size_t from, size_t to) {
    std::fill(body.begin() + static_cast<std::ptrdiff_t>(from),
              body.begin() + static_cast<std::ptrdiff_t>(std::min(to, body.size())), '_');
  };
  for (const auto secret : kSecretFields) {
    const std::string encoded = std::string(secret) + "=";
    for (auto at = body.find(encoded); at != std::string::npos; at = body.find(encoded, at + 1)) {
      if (at == 0 || body[at - 1] == '&') blank(at + encoded.size(), body.find('&', at));
    }
    const std::string quoted = "\"" + std::string(secret) + "\"";
    for (auto at = body.find(quoted); at != std::string::npos; at = body.find(quoted, at + 1)) {
      const auto content = body.find("\r\n\r\n", at);
      if (content != std::string::npos) blank(content + 4, body.find("\r\n--", content + 4));
    }
  }
  return body;
}

}  // namespace

std::vector<std::string_view> Windows(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = start + kWindow >= text.size() ? text.size() : CharStart(text, start + kWindow);
    if (end <= start) end = std::min(text.size(), start + kWindow);  // no boundary: cut anyway
    out.push_back(text.substr(start, end - start));
    if (end == text.size()) return out;
    size_t next = CharStart(text, end - kOverlap);
    if (next <= start) next = end;
    start = next;
  }
}

RequestView ViewOf(const http::Request& request) {
  RequestView view;
  const std::string_view target = request.message.target();
  view.target =
      std::string(target.substr(0, CharStart(target, std::min(target.size(), kMaxTarget))));
  const std::string& body = request.message.body();
  bool reencoded = false;
  if (!body.empty()) {
    json::value parsed;
    boost::system::error_code ec;
    std::optional<std::string> form;
    const bool is_form = http::IsFormBody(request);
    if (IsJson(request.Header("Content-Type"))) parsed = json::parse(body, ec);
    if (is_form) form = FormView(request);
    if (IsJson(request.Header("Content-Type")) && !ec) {
      view.body = json::serialize(WindowedJson(parsed));
    } else if (form) {
      view.body = std::move(*form);
      reencoded = true;
    } else {
      json::array windows;
      const auto valid = ValidUtf8(is_form ? WithoutSecretValues(body) : body);
      for (auto w : Windows(valid)) windows.emplace_back(json::string(w));
      view.body = json::serialize(windows);
      reencoded = true;
    }
  }
  for (const auto& field : request.message) {
    const std::string name(field.name_string());
    switch (field.name()) {
      case http::beast_http::field::content_type:
        view.headers.emplace_back(name,
                                  reencoded ? "application/json" : std::string(field.value()));
        continue;
      case http::beast_http::field::authorization:
        view.headers.emplace_back(name, "[secret]");
        continue;
      case http::beast_http::field::cookie:
        view.headers.emplace_back(name, WithoutSecretCookies(field.value()));
        continue;
      default:
        for (auto w : Windows(field.value())) view.headers.emplace_back(name, std::string(w));
    }
  }
  return view;
}

}  // namespace strongroom::defense
