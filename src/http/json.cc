#include "http/json.h"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <charconv>
#include <cmath>
#include <set>

namespace strongroom::http {
namespace {

// Puts `doubles` (in document order) in place of the numbers Boost.JSON read, and checks that
// each is finite: Boost.JSON turns an out-of-range number into infinity, and JSON has no such
// value. Objects keep their members in document order, and hold no key twice by now.
bool SetNumbers(boost::json::value& v, const std::vector<double>& doubles, size_t& next) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      if (next >= doubles.size()) {
        ++next;  // a mismatch, reported by the caller
        return true;
      }
      v = doubles[next++];
      return std::isfinite(v.get_double());
    case boost::json::kind::array:
      for (auto& e : v.get_array()) {
        if (!SetNumbers(e, doubles, next)) return false;
      }
      return true;
    case boost::json::kind::object:
      for (auto& kv : v.get_object()) {
        if (!SetNumbers(kv.value(), doubles, next)) return false;
      }
      return true;
    default:
      return true;
  }
}

// A parse that builds nothing, and stops at an object with a repeated key: Boost.JSON keeps the
// last of repeated keys where other parsers keep the first, so a body with one would mean one
// thing to us and another to whatever read it before us (a proxy, a filter, an auditor's tool).
// For the same reason it reads every number that is not an integer again with std::from_chars,
// which rounds correctly: Boost 1.81 reads some a little off (found by fuzz/json_fuzzer.cc, e.g.
// 123456789.123456789), and ParseJson puts the correct values in their place.
class StrictScan {
 public:
  static constexpr std::size_t max_array_size = -1;
  static constexpr std::size_t max_object_size = -1;
  static constexpr std::size_t max_string_size = -1;
  static constexpr std::size_t max_key_size = -1;

  bool duplicate = false;
  std::vector<double> doubles;  // every non-integer number, correctly rounded, in document order

  bool on_document_begin(boost::json::error_code&) { return true; }
  bool on_document_end(boost::json::error_code&) { return true; }
  bool on_array_begin(boost::json::error_code&) { return true; }
  bool on_array_end(std::size_t, boost::json::error_code&) { return true; }
  bool on_object_begin(boost::json::error_code&) {
    keys_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, boost::json::error_code&) {
    keys_.pop_back();
    return true;
  }
  bool on_string_part(boost::json::string_view, std::size_t, boost::json::error_code&) {
    return true;
  }
  bool on_string(boost::json::string_view, std::size_t, boost::json::error_code&) { return true; }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code& ec) {
    key_.append(s.data(), s.size());
    const bool fresh = keys_.back().insert(std::move(key_)).second;
    key_.clear();
    if (!fresh) {
      duplicate = true;
      ec = boost::json::error::syntax;  // stop here
    }
    return fresh;
  }
  bool on_number_part(boost::json::string_view s, boost::json::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t, boost::json::string_view, boost::json::error_code&) {
    number_.clear();
    return true;
  }
  bool on_uint64(uint64_t, boost::json::string_view, boost::json::error_code&) {
    number_.clear();
    return true;
  }
  bool on_double(double d, boost::json::string_view s, boost::json::error_code&) {
    number_.append(s.data(), s.size());
    double exact = 0;
    const auto [end, err] = std::from_chars(number_.data(), number_.data() + number_.size(), exact);
    number_.clear();
    if (err == std::errc()) {
      doubles.push_back(exact);
    } else {
      // Out of range, where Boost's own value is least to be trusted: too large is refused (as
      // infinity, below), too small is zero, as any reader makes of it.
      doubles.push_back(std::fabs(d) >= 1 ? HUGE_VAL : std::copysign(0.0, d));
    }
    return true;
  }
  bool on_bool(bool, boost::json::error_code&) { return true; }
  bool on_null(boost::json::error_code&) { return true; }
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

 private:
  std::vector<std::set<std::string, std::less<>>> keys_;
  std::string key_;
  std::string number_;
};

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
  std::vector<double> doubles;
  if (!ec) {
    boost::json::basic_parser<StrictScan> scan(opts);
    scan.write_some(false, text.data(), text.size(), ec);
    if (scan.handler().duplicate) {
      return Fail(ErrorCode::kInvalidArgument, "request body repeats a key in one object");
    }
    doubles = std::move(scan.handler().doubles);
  }
  if (ec) {
    if (ec == boost::json::error::too_deep) {
      return Fail(ErrorCode::kInvalidArgument,
                  "request body is nested too deeply (at most " + std::to_string(max_depth) + ")");
    }
    return Fail(ErrorCode::kInvalidArgument, "request body is not valid JSON");
  }
  size_t next = 0;
  // The walk stops at the first number out of range; else it must have used every number.
  if (!SetNumbers(v, doubles, next)) {
    return Fail(ErrorCode::kInvalidArgument, "request body has a number out of range");
  }
  if (next != doubles.size()) {
    return Fail(ErrorCode::kInternal, "json: the numbers read twice do not match");
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

const boost::json::value* FieldReader::Find(std::string_view name) {
  read_.emplace_back(name);
  return object_.if_contains(name);
}

Result<std::string> FieldReader::String(std::string_view name, size_t max_bytes) {
  const auto* v = Find(name);
  if (v == nullptr || !v->is_string()) {
    return Fail(ErrorCode::kInvalidArgument, std::string(name) + " must be a string");
  }
  if (v->as_string().size() > max_bytes) {
    return Fail(ErrorCode::kInvalidArgument, std::string(name) + " is too long");
  }
  return std::string(v->as_string());
}

Result<std::string> FieldReader::OptionalString(std::string_view name, size_t max_bytes) {
  if (object_.if_contains(name) == nullptr) {
    read_.emplace_back(name);
    return std::string();
  }
  return String(name, max_bytes);
}

Result<std::vector<std::string>> FieldReader::StringArray(std::string_view name, size_t max_items,
                                                          size_t max_bytes, bool required) {
  const auto* v = Find(name);
  std::vector<std::string> out;
  if (v == nullptr && !required) return out;
  if (v == nullptr || !v->is_array()) {
    return Fail(ErrorCode::kInvalidArgument, std::string(name) + " must be an array of strings");
  }
  if (v->as_array().size() > max_items) {
    return Fail(ErrorCode::kInvalidArgument, std::string(name) + " has too many entries");
  }
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) {
      return Fail(ErrorCode::kInvalidArgument, std::string(name) + " must be an array of strings");
    }
    if (item.as_string().size() > max_bytes) {
      return Fail(ErrorCode::kInvalidArgument, std::string(name) + " has an entry too long");
    }
    out.emplace_back(item.as_string());
  }
  return out;
}

Result<const boost::json::object*> FieldReader::Object(std::string_view name, bool required) {
  const auto* v = Find(name);
  if (v == nullptr && !required) return nullptr;
  if (v == nullptr || !v->is_object()) {
    return Fail(ErrorCode::kInvalidArgument, std::string(name) + " must be a JSON object");
  }
  return &v->as_object();
}

Result<std::vector<const boost::json::object*>> FieldReader::ObjectArray(std::string_view name,
                                                                         size_t max_items,
                                                                         bool required) {
  const auto* v = Find(name);
  std::vector<const boost::json::object*> out;
  if (v == nullptr && !required) return out;
  const auto bad = [&] {
    return Fail(ErrorCode::kInvalidArgument, std::string(name) + " must be an array of objects");
  };
  if (v == nullptr || !v->is_array()) return bad();
  if (v->as_array().size() > max_items) {
    return Fail(ErrorCode::kInvalidArgument, std::string(name) + " has too many entries");
  }
  for (const auto& item : v->as_array()) {
    if (!item.is_object()) return bad();
    out.push_back(&item.as_object());
  }
  return out;
}

Result<bool> FieldReader::Bool(std::string_view name, bool fallback) {
  const auto* v = Find(name);
  if (v == nullptr) return fallback;
  if (!v->is_bool())
    return Fail(ErrorCode::kInvalidArgument, std::string(name) + " must be true or false");
  return v->as_bool();
}

Result<int64_t> FieldReader::Int(std::string_view name, int64_t lo, int64_t hi, int64_t fallback,
                                 bool required) {
  const auto* v = Find(name);
  if (v == nullptr && !required) return fallback;
  const auto bad = [&] {
    return Fail(ErrorCode::kInvalidArgument, std::string(name) + " must be a whole number from " +
                                                 std::to_string(lo) + " to " + std::to_string(hi));
  };
  if (v == nullptr) return bad();
  int64_t n = 0;
  if (v->is_int64()) {
    n = v->as_int64();
  } else if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(hi)) {
    n = static_cast<int64_t>(v->as_uint64());
  } else {
    return bad();
  }
  if (n < lo || n > hi) return bad();
  return n;
}

Result<void> FieldReader::Finish() const {
  for (const auto& kv : object_) {
    if (std::find(read_.begin(), read_.end(), kv.key()) == read_.end()) {
      return Fail(ErrorCode::kInvalidArgument, "request body has an unknown field");
    }
  }
  return {};
}

}  // namespace strongroom::http
