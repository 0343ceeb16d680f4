#pragma once
// JSON request bodies, parsed strictly: valid UTF-8 only, bounded nesting depth, finite numbers,
// no comments or trailing commas, no key repeated within an object. Size is bounded before parsing
// by the server's body limit.

#include <boost/json.hpp>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "http/message.h"

namespace strongroom::http {

Result<boost::json::value> ParseJson(std::string_view text, int max_depth);

// The request's body as a JSON object; kInvalidArgument unless the Content-Type is
// application/json and the body is one JSON object.
Result<boost::json::object> ParseJsonObject(const Request& request, int max_depth);

// A strict schema for objects of string fields: every field in `fields` must be present, be a
// string of at most its length in bytes, and no other field may appear. Returns the values in the
// order given. Messages name the field, never its value.
struct StringField {
  std::string_view name;
  size_t max_bytes;
};
Result<std::vector<std::string>> RequireStringFields(const boost::json::object& object,
                                                     std::initializer_list<StringField> fields);

// A strict schema for objects of mixed fields, read one field at a time. Every field read is
// remembered; `Finish` refuses any other field. Messages name the field, never its value.
//
//   FieldReader f(body);
//   ASSIGN_OR_RETURN(auto title, f.String("title", 800));
//   ASSIGN_OR_RETURN(auto tags, f.StringArray("tags", 16, 32, /*required=*/false));
//   RETURN_IF_ERROR(f.Finish());
class FieldReader {
 public:
  explicit FieldReader(const boost::json::object& object) : object_(object) {}

  Result<std::string> String(std::string_view name, size_t max_bytes);
  // "" when absent.
  Result<std::string> OptionalString(std::string_view name, size_t max_bytes);
  Result<std::vector<std::string>> StringArray(std::string_view name, size_t max_items,
                                               size_t max_bytes, bool required = true);
  // nullptr when absent and not required.
  Result<const boost::json::object*> Object(std::string_view name, bool required = true);
  // An array of at most `max_items` objects (each read with its own FieldReader); empty when
  // absent and not required.
  Result<std::vector<const boost::json::object*>> ObjectArray(std::string_view name,
                                                              size_t max_items,
                                                              bool required = true);
  Result<bool> Bool(std::string_view name, bool fallback);
  Result<int64_t> Int(std::string_view name, int64_t lo, int64_t hi, int64_t fallback,
                      bool required = false);
  Result<void> Finish() const;

 private:
  const boost::json::value* Find(std::string_view name);

  const boost::json::object& object_;
  std::vector<std::string> read_;
};

}  // namespace strongroom::http
