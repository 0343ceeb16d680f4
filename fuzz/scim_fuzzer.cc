// SCIM requests (api/scim_request.h): list filters, new users, replacements and PATCH
// operations. Whatever is accepted is within the attribute bounds the identity service relies
// on; an accepted filter names userName or externalId and, written again, parses to itself.
// Input: a filter line, then a JSON body.

#include <boost/json.hpp>

#include "api/scim_request.h"
#include "fuzz_check.h"
#include "http/json.h"

namespace {

using namespace strongroom;

void CheckChange(const lifecycle::ScimChange& c) {
  FUZZ_CHECK(!c.name || c.name->size() <= 800, "a name past its bound");
  FUZZ_CHECK(!c.external_id || c.external_id->size() <= 800, "an externalId past its bound");
  FUZZ_CHECK(!c.username || c.username->size() <= 256, "a userName past its bound");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = fuzz::Text(data, size);
  const auto nl = text.find('\n');
  const auto filter_text = text.substr(0, nl);
  const auto body_text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);

  if (auto filter = api::ParseFilter(filter_text)) {
    FUZZ_CHECK(filter->first == "userName" || filter->first == "externalId",
               "a filter on an attribute that is not supported");
    const auto again_text =
        filter->first + " eq " + boost::json::serialize(boost::json::string(filter->second));
    auto again = api::ParseFilter(again_text);
    FUZZ_CHECK(again.has_value() && *again == *filter, "a filter did not round-trip");
  } else {
    FUZZ_CHECK(filter.error().error.code == ErrorCode::kInvalidArgument &&
                   filter.error().scim_type == "invalidFilter",
               "a bad filter not said to be one");
  }

  auto body = http::ParseJson(body_text, 64);
  if (!body || !body->is_object()) return 0;
  const auto& object = body->as_object();
  if (auto user = api::ReadNewUser(object)) {
    FUZZ_CHECK(!user->username.empty() || object.at("userName").as_string().empty(),
               "a userName lost");
    FUZZ_CHECK(user->username.size() <= 256 && user->name.size() <= 800 &&
                   user->email.size() <= 254 && user->external_id.size() <= 800,
               "a new user's attribute past its bound");
    FUZZ_CHECK(!user->email.empty(), "a new user without an email");
    FUZZ_CHECK(!user->name.empty() || user->username.empty(), "a new user without a name");
  }
  if (auto change = api::ReadReplacement(object)) CheckChange(*change);
  if (auto change = api::ReadPatch(object)) CheckChange(*change);
  return 0;
}
