#include "http/json.h"

#include <cmath>

namespace strongroom::http {
namespace {

// Boost.JSON turns an out-of-range number into infinity; JSON has no such value.
bool AllNumbersFinite(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      return std::isfinite(v.get_double());
    case boost::json::kind::array:
      for (const auto& e : v.get_array()) {
        if (!AllNumbersFinite(e)) return false;
      }
      return true;
    case boost::json::kind::object:
      for (const auto& kv : v.get_object()) {
        if (!AllNumbersFinite(kv.value())) return false;
      }
      return true;
    default:
      return true;
  }
}

bool IsJsonContentType(std::string_view ct) {
  const auto semi = ct.find(';');
  auto media = ct.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (media.size() != 16) return false;
  for (size_t i = 0; i < media.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(media[i])) != "application/json"[i]) return false;
  }
  return true;
}

}  // namespace

Result<boost::json::value> ParseJson(std::string_view text, int max_depth) {
  boost::json::parse_options opts;
  opts.max_depth = static_cast<std::size_t>(max_depth);
  opts.allow_comments = false;
  opts.allow_trailing_commas = false;
  opts.allow_invalid_utf8 = false;
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(text, ec, {}, opts);
  if (ec) {
    if (ec == boost::json::error::too_deep) {
      return Fail(ErrorCode::kInvalidArgument,
                  "request body is nested too deeply (at most " + std::to_string(max_depth) + ")");
    }
    return Fail(ErrorCode::kInvalidArgument, "request body is not valid JSON");
  }
  if (!AllNumbersFinite(v)) {
    return Fail(ErrorCode::kInvalidArgument, "request body has a number out of range");
  }
  return v;
}

Result<boost::json::object> ParseJsonObject(const Request& request, int max_depth) {
  if (!IsJsonContentType(request.Header("Content-Type"))) {
    return Fail(ErrorCode::kInvalidArgument, "Content-Type must be application/json");
  }
  ASSIGN_OR_RETURN(auto v, ParseJson(request.body(), max_depth));
  if (!v.is_object())
    return Fail(ErrorCode::kInvalidArgument, "request body must be a JSON object");
  return std::move(v.as_object());
}

Result<std::vector<std::string>> RequireStringFields(const boost::json::object& object,
                                                     std::initializer_list<StringField> fields) {
  for (const auto& kv : object) {
    bool known = false;
    for (const auto& f : fields) known = known || kv.key() == f.name;
    if (!known) return Fail(ErrorCode::kInvalidArgument, "request body has an unknown field");
  }
  std::vector<std::string> out;
  for (const auto& f : fields) {
    const auto* v = object.if_contains(f.name);
    if (v == nullptr || !v->is_string()) {
      return Fail(ErrorCode::kInvalidArgument, std::string(f.name) + " must be a string");
    }
    if (v->as_string().size() > f.max_bytes) {
      return Fail(ErrorCode::kInvalidArgument, std::string(f.name) + " is too long");
    }
    out.emplace_back(v->as_string());
  }
  return out;
}

}  // namespace strongroom::http
