#include "http/form.h"

#include <algorithm>
#include <functional>

#include "common/text.h"
#include "common/utf8.h"
#include "http/query.h"

namespace strongroom::http {
namespace {

constexpr FormField kCsrf{kCsrfField, 128, false};

// A field's value, checked: percent-decoded first when the body is url-encoded.
std::optional<std::string> Decode(std::string_view raw, const FormField& field, bool encoded) {
  std::optional<std::string> decoded;
  if (encoded) {
    decoded = PercentDecode(raw, true);
    if (!decoded) return std::nullopt;
  } else {
    if (raw.size() > 2 * field.max_bytes + 2) return std::nullopt;  // before copying it
    decoded.emplace(raw);
  }
  std::string out;
  out.reserve(decoded->size());
  for (const char c : *decoded) {
    const auto u = static_cast<unsigned char>(c);
    const bool line = c == '\n' || c == '\r' || c == '\t';
    if ((u < 0x20 || u == 0x7f) && !(line && field.multiline)) return std::nullopt;
    if (c == '\n' && !out.empty() && out.back() == '\r') out.pop_back();
    out.push_back(c);
  }
  if (out.size() > field.max_bytes || !Utf8CodePoints(out)) return std::nullopt;
  // A lone CR is a line break too.
  std::replace(out.begin(), out.end(), '\r', '\n');
  return out;
}

enum class Encoding : uint8_t { kNone, kUrlEncoded, kMultipart };

// How the body is encoded, and a multipart body's boundary (RFC 7578, RFC 2046 §5.1.1: 1 to 70
// characters of a small set; quoted or not).
Encoding EncodingOf(const Request& request, std::string* boundary) {
  const auto header = request.Header("Content-Type");
  const auto type = AsciiLower(TrimBlanks(header.substr(0, header.find(';'))));
  if (type == "application/x-www-form-urlencoded") return Encoding::kUrlEncoded;
  if (type != "multipart/form-data" || header.find(';') == std::string_view::npos) {
    return Encoding::kNone;
  }
  const auto params = SplitList(header.substr(header.find(';') + 1), ';');
  bool found = false;
  for (const auto& param : params) {
    std::string_view p = TrimBlanks(param);
    if (!AsciiLower(p).starts_with("boundary=")) continue;
    if (found) return Encoding::kNone;  // given twice
    found = true;
    auto value = p.substr(9);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    } else if (value.find(' ') != std::string_view::npos) {
      return Encoding::kNone;  // a space only inside quotes
    }
    *boundary = std::string(value);
  }
  constexpr std::string_view kBoundaryChars =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'()+_,-./:=? ";
  if (boundary->empty() || boundary->size() > 70 || boundary->back() == ' ' ||
      boundary->find_first_not_of(kBoundaryChars) != std::string::npos) {
    return Encoding::kNone;
  }
  return Encoding::kMultipart;
}

using EachField = std::function<Result<void>(std::string_view, std::string_view)>;

std::unexpected<Error> Malformed() {
  return Fail(ErrorCode::kInvalidArgument, "the form's multipart body is malformed");
}

// The name in a part's headers: exactly one Content-Disposition of `form-data` with a quoted
// name (and perhaps a filename, which is not kept), and perhaps a Content-Type (not kept either:
// a file's bytes are checked as the field's text). Any other header is refused.
Result<std::string_view> PartName(std::string_view headers) {
  std::string_view name;
  bool disposition = false, type = false;
  for (size_t at = 0; at <= headers.size();) {
    auto end = headers.find("\r\n", at);
    if (end == std::string_view::npos) end = headers.size();
    const auto line = headers.substr(at, end - at);
    at = end + 2;
    // No control character in a header line (a file's name may be UTF-8: it is not kept).
    if (std::ranges::any_of(line, [](char c) {
          const auto u = static_cast<unsigned char>(c);
          return (u < 0x20 && c != '\t') || u == 0x7f;
        })) {
      return Malformed();
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return Malformed();
    const auto header = AsciiLower(line.substr(0, colon));
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (header == "content-type" && !type) {
      type = true;
      continue;
    }
    if (header != "content-disposition" || disposition) return Malformed();
    disposition = true;
    if (AsciiLower(value.substr(0, 9)) != "form-data") return Malformed();
    value.remove_prefix(9);
    bool has_name = false, has_filename = false;
    while (!value.empty()) {
      // ; key="value"   (browsers write a '"' inside a value as %22: none is unescaped here)
      if (!value.starts_with("; ")) return Malformed();
      value.remove_prefix(2);
      const auto eq = value.find("=\"");
      if (eq == std::string_view::npos) return Malformed();
      const auto key = AsciiLower(value.substr(0, eq));
      const auto close = value.find('"', eq + 2);
      if (close == std::string_view::npos) return Malformed();
      const auto v = value.substr(eq + 2, close - eq - 2);
      value.remove_prefix(close + 1);
      if (key == "name" && !has_name) {
        has_name = true;
        name = v;
      } else if (key == "filename" && !has_filename) {
        has_filename = true;
      } else {
        return Malformed();
      }
    }
    if (!has_name || name.empty()) return Malformed();
  }
  if (!disposition) return Malformed();
  return name;
}

// Calls `each(name, raw value)` for every part of a multipart/form-data body: each part opens
// with "--boundary" CRLF and its headers, then a blank line, then its bytes up to CRLF and the
// next delimiter; the last delimiter is followed by "--" and at most a CRLF.
Result<void> ForEachPart(std::string_view body, std::string_view boundary, const EachField& each) {
  const std::string delimiter = "--" + std::string(boundary);
  const std::string next_delimiter = "\r\n" + delimiter;
  if (!body.starts_with(delimiter)) return Malformed();
  size_t at = delimiter.size();
  for (;;) {
    const auto rest = body.substr(at);
    if (rest == "--" || rest == "--\r\n") return {};
    if (!rest.starts_with("\r\n")) return Malformed();
    at += 2;
    const auto headers_end = body.find("\r\n\r\n", at);
    if (headers_end == std::string_view::npos) return Malformed();
    ASSIGN_OR_RETURN(const auto name, PartName(body.substr(at, headers_end - at)));
    const auto content = headers_end + 4;
    const auto end = body.find(next_delimiter, content);
    if (end == std::string_view::npos) return Malformed();
    RETURN_IF_ERROR(each(name, body.substr(content, end - content)));
    at = end + next_delimiter.size();
  }
}

// Calls `each(name, raw value, whether the value is percent-encoded)` for every field of a form
// body of either encoding.
Result<void> ForEachField(
    const Request& request,
    const std::function<Result<void>(std::string_view, std::string_view, bool)>& each) {
  std::string boundary;
  switch (EncodingOf(request, &boundary)) {
    case Encoding::kUrlEncoded:
      return ForEachPair(request.body(), [&](std::string_view name, std::string_view raw) {
        return each(name, raw, true);
      });
    case Encoding::kMultipart:
      return ForEachPart(
          request.body(), boundary,
          [&](std::string_view name, std::string_view raw) { return each(name, raw, false); });
    case Encoding::kNone:
      break;
  }
  return Fail(ErrorCode::kInvalidArgument,
              "a form must be sent as application/x-www-form-urlencoded or multipart/form-data");
}

}  // namespace

Result<Form> ParseForm(const Request& request, std::initializer_list<FormField> fields) {
  return ParseForm(request, std::span<const FormField>(fields.begin(), fields.size()));
}

Result<Form> ParseForm(const Request& request, std::span<const FormField> fields) {
  Form out;
  RETURN_IF_ERROR(ForEachField(
      request, [&](std::string_view name, std::string_view raw, bool encoded) -> Result<void> {
        const FormField* field = name == kCsrfField ? &kCsrf : nullptr;
        for (const auto& f : fields) {
          if (f.name == name) field = &f;
        }
        if (field == nullptr) return Fail(ErrorCode::kInvalidArgument, "unknown form field");
        const std::string key(name);
        const auto seen = out.find(key);
        if (seen != out.end() && !field->repeated) {
          return Fail(ErrorCode::kInvalidArgument, "form field '" + key + "' given more than once");
        }
        auto value = Decode(raw, *field, encoded);
        if (!value || (field->repeated && value->find('\n') != std::string::npos)) {
          return Fail(ErrorCode::kInvalidArgument,
                      "form field '" + key + "' is malformed or too long");
        }
        if (seen != out.end()) {
          seen->second += '\n' + *value;
        } else {
          out.emplace(key, std::move(*value));
        }
        return {};
      }));
  return out;
}

std::vector<std::string> FormValues(const Form& form, std::string_view name) {
  const auto at = form.find(name);
  return at == form.end() ? std::vector<std::string>() : SplitList(at->second, '\n');
}

bool IsFormBody(const Request& request) {
  std::string boundary;
  return EncodingOf(request, &boundary) != Encoding::kNone;
}

Result<void> ForEachFormValue(
    const Request& request,
    const std::function<Result<void>(std::string_view name, std::string_view value)>& each) {
  return ForEachField(
      request, [&](std::string_view name, std::string_view raw, bool encoded) -> Result<void> {
        if (!encoded) return each(name, raw);
        const auto value = PercentDecode(raw, true);
        if (!value) {
          return Fail(ErrorCode::kInvalidArgument, "a form value is malformed");
        }
        return each(name, *value);
      });
}

std::string FormCsrfToken(const Request& request) {
  std::string token;
  (void)ForEachField(request, [&](std::string_view name, std::string_view raw, bool encoded) {
    if (name == kCsrfField) token = Decode(raw, kCsrf, encoded).value_or("");
    return Result<void>{};
  });
  return token;
}

}  // namespace strongroom::http
