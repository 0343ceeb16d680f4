#pragma once
// HTML form bodies, parsed strictly, as the console's pages post them: url-encoded
// (application/x-www-form-urlencoded: `name=value` pairs separated by '&', percent-decoded, '+' a
// space), or multipart/form-data for a form that uploads a file (RFC 7578: each part a
// Content-Disposition of form-data with a quoted name, perhaps a filename and a Content-Type, and
// nothing else; the file's bytes are the field's value, its name and type are not kept). Either
// way each name at most once and from the page's list; values valid UTF-8, within their field's
// length, and
// without control characters (a multi-line field may hold line breaks and tabs; CR LF becomes
// LF). A field of checkboxes (`repeated`) may be given more than once: its values are kept
// joined by line breaks, which no value of a one-line field can hold (read them with
// FormValues). Anything else is kInvalidArgument naming the field, never echoing its value.
//
// Every form of the console carries the session's CSRF token in the field `csrf_token`: it is
// always allowed, and read by authentication (api::Authenticate), not by the page.
//
//   ASSIGN_OR_RETURN(auto form, http::ParseForm(request, {{"title", 800}, {"body", 65536, true}}));
//   form["title"]  // "" when the field was not sent

#include <functional>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "http/message.h"

namespace strongroom::http {

inline constexpr std::string_view kCsrfField = "csrf_token";

struct FormField {
  std::string_view name;
  size_t max_bytes = 256;
  bool multiline = false;
  bool repeated = false;  // one-line values only
};

using Form = std::map<std::string, std::string, std::less<>>;

Result<Form> ParseForm(const Request& request, std::initializer_list<FormField> fields);
// As above, for fields put together at run time.
Result<Form> ParseForm(const Request& request, std::span<const FormField> fields);

// The values of a repeated field, in the order sent (empty ones left out); none when it was not
// sent.
std::vector<std::string> FormValues(const Form& form, std::string_view name);

// Whether the request says its body is a form this parser reads (by its Content-Type: the one
// place that decides it).
bool IsFormBody(const Request& request);

// Calls `each(name, value)` for every field of a form body of either encoding, in the order sent,
// each value as sent (percent-decoded when url-encoded) and not otherwise checked: for the attack
// inspection's view of a form (defense/view.h), which must see whatever was sent. Stops at, and
// returns, `each`'s first error; kInvalidArgument when the body is not a form or not well formed.
Result<void> ForEachFormValue(
    const Request& request,
    const std::function<Result<void>(std::string_view name, std::string_view value)>& each);

// The CSRF token a form carries; "" when the body is not a form or does not carry one.
std::string FormCsrfToken(const Request& request);

}  // namespace strongroom::http
