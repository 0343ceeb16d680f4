#pragma once
// What SCIM 2.0 clients send, read strictly and apart from the routes that act on it, so that it
// can be tested and fuzzed alone (fuzz/scim_fuzzer.cc): list filters, new users, replacements and
// PATCH operations (RFC 7644). Errors carry the scimType a client is told; messages name the
// attribute, never its value.
//
// Pure functions; safe from any thread.

#include <boost/json.hpp>
#include <expected>
#include <string>
#include <utility>

#include "common/error.h"
#include "lifecycle/scim.h"

namespace strongroom::api {

inline constexpr std::string_view kScimPatchSchema =
    "urn:ietf:params:scim:api:messages:2.0:PatchOp";

// An error in SCIM's shape (RFC 7644 section 3.12), carrying the status of the one mapping.
struct ScimError {
  Error error;
  std::string scim_type;  // "" = none
};

template <typename T>
using ScimResult = std::expected<T, ScimError>;

// An invalid request: kInvalidArgument with `scim_type`.
std::unexpected<ScimError> Bad(std::string scim_type, std::string detail);

// `attribute eq "value"` for userName or externalId (the filters provisioning clients send):
// the attribute's canonical name and the value.
ScimResult<std::pair<std::string, std::string>> ParseFilter(std::string_view filter);

// A query parameter that must be a whole number; `fallback` when empty.
ScimResult<int64_t> QueryNumber(const std::string& text, std::string_view name, int64_t fallback);

// The bodies of POST (a new user), PUT (a replacement) and PATCH (operations).
ScimResult<lifecycle::ScimUserInput> ReadNewUser(const boost::json::object& body);
ScimResult<lifecycle::ScimChange> ReadReplacement(const boost::json::object& body);
ScimResult<lifecycle::ScimChange> ReadPatch(const boost::json::object& body);

}  // namespace strongroom::api
