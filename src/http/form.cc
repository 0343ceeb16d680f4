#include "http/form.h"

#include <algorithm>

#include "common/text.h"
#include "common/utf8.h"
#include "http/query.h"

namespace strongroom::http {
namespace {

constexpr FormField kCsrf{kCsrfField, 128, false};

std::optional<std::string> Decode(std::string_view raw, const FormField& field) {
  auto decoded = PercentDecode(raw, true);
  if (!decoded) return std::nullopt;
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

bool IsForm(const Request& request) {
  auto type = request.Header("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return type == "application/x-www-form-urlencoded";
}

}  // namespace

Result<Form> ParseForm(const Request& request, std::initializer_list<FormField> fields) {
  if (!IsForm(request)) {
    return Fail(ErrorCode::kInvalidArgument,
                "a form must be sent as application/x-www-form-urlencoded");
  }
  Form out;
  RETURN_IF_ERROR(
      ForEachPair(request.body(), [&](std::string_view name, std::string_view raw) -> Result<void> {
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
        auto value = Decode(raw, *field);
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

std::string FormCsrfToken(const Request& request) {
  if (!IsForm(request)) return "";
  std::string token;
  (void)ForEachPair(request.body(), [&](std::string_view name, std::string_view raw) {
    if (name == kCsrfField) token = Decode(raw, kCsrf).value_or("");
    return Result<void>{};
  });
  return token;
}

}  // namespace strongroom::http
