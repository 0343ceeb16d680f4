#pragma once
// JSON request bodies, parsed strictly: valid UTF-8 only, bounded nesting depth, finite numbers,
// no comments or trailing commas. Size is bounded before parsing by the server's body limit.

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

}  // namespace strongroom::http
