#pragma once
// WebAuthn in the API's JSON: the options a browser is handed, as WebAuthn's own JSON forms
// (PublicKeyCredentialCreationOptionsJSON and ...RequestOptionsJSON: camel case, bytes in
// base64url), and the credential it answers with, as our bodies carry it (snake case, strict):
//
//   {"id", "client_data_json", "attestation_object"}                  a new key
//   {"id", "client_data_json", "authenticator_data", "signature"}     an assertion
//
// each value base64url without padding. Messages name the field, never its value.

#include <boost/json.hpp>

#include "common/error.h"
#include "identity/security_keys.h"

namespace strongroom::api {

boost::json::object CreationOptionsJson(const identity::CreationOptions& options);
boost::json::object RequestOptionsJson(const identity::RequestOptions& options);

Result<identity::KeyRegistration> ReadKeyRegistration(const boost::json::object& credential);
Result<identity::KeyAssertion> ReadKeyAssertion(const boost::json::object& credential);

// The same from JSON text (a form's hidden field, as the console's script fills it).
Result<identity::KeyRegistration> ParseKeyRegistration(std::string_view json, int max_depth);
Result<identity::KeyAssertion> ParseKeyAssertion(std::string_view json, int max_depth);

// JSON Schemas of the two, for the route table.
std::string KeyRegistrationSchema();
std::string KeyAssertionSchema();

}  // namespace strongroom::api
