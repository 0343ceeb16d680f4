#include "api/webauthn_json.h"

#include <fmt/format.h>

#include "api/route.h"
#include "http/json.h"

namespace strongroom::api {
namespace {

// Base64url lengths of what a browser sends: a credential id is at most 1023 bytes (WebAuthn's
// limit), clientDataJSON a few hundred, an attestation object at most what the verifier reads
// (16 KiB, webauthn/cbor_check.h), authenticator data of an assertion and an ES256 signature
// less than a hundred.
constexpr size_t kIdChars = 1364;
constexpr size_t kClientDataChars = 4096;
constexpr size_t kAttestationChars = 21848;
constexpr size_t kAuthDataChars = 1024;
constexpr size_t kSignatureChars = 256;

boost::json::array Descriptors(const std::vector<Bytes>& ids) {
  boost::json::array out;
  for (const auto& id : ids) {
    out.push_back(boost::json::object{{"type", "public-key"}, {"id", Base64UrlEncode(id)}});
  }
  return out;
}

const char* Verification(bool required) { return required ? "required" : "discouraged"; }

Result<Bytes> Decoded(http::FieldReader& f, std::string_view name, size_t max_chars) {
  ASSIGN_OR_RETURN(auto text, f.String(name, max_chars));
  auto bytes = Base64UrlDecode(text);
  if (!bytes || bytes->empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("credential.{} must be base64url without padding", name));
  }
  return std::move(*bytes);
}

}  // namespace

boost::json::object CreationOptionsJson(const identity::CreationOptions& o) {
  return {{"rp", {{"id", o.rp_id}, {"name", "Strongroom"}}},
          {"user",
           {{"id", Base64UrlEncode(o.user_handle)},
            {"name", o.user_name},
            {"displayName", o.user_name}}},
          {"challenge", Base64UrlEncode(o.challenge)},
          {"pubKeyCredParams", boost::json::array{{{"type", "public-key"}, {"alg", -7}}}},
          {"timeout", o.timeout_ms},
          {"excludeCredentials", Descriptors(o.exclude)},
          {"authenticatorSelection",
           {{"residentKey", "discouraged"},
            {"requireResidentKey", false},
            {"userVerification", Verification(o.user_verification)}}},
          // The statement is verified when the authenticator gives one (webauthn/webauthn.h), and
          // its format and model (AAGUID) are kept with the key.
          {"attestation", "direct"}};
}

boost::json::object RequestOptionsJson(const identity::RequestOptions& o) {
  return {{"challenge", Base64UrlEncode(o.challenge)},
          {"timeout", o.timeout_ms},
          {"rpId", o.rp_id},
          {"allowCredentials", Descriptors(o.allow)},
          {"userVerification", Verification(o.user_verification)}};
}

Result<identity::KeyRegistration> ReadKeyRegistration(const boost::json::object& credential) {
  http::FieldReader f(credential);
  identity::KeyRegistration out;
  ASSIGN_OR_RETURN(out.id, Decoded(f, "id", kIdChars));
  ASSIGN_OR_RETURN(out.client_data_json, Decoded(f, "client_data_json", kClientDataChars));
  ASSIGN_OR_RETURN(out.attestation_object, Decoded(f, "attestation_object", kAttestationChars));
  RETURN_IF_ERROR(f.Finish());
  return out;
}

Result<identity::KeyAssertion> ReadKeyAssertion(const boost::json::object& credential) {
  http::FieldReader f(credential);
  identity::KeyAssertion out;
  ASSIGN_OR_RETURN(out.id, Decoded(f, "id", kIdChars));
  ASSIGN_OR_RETURN(out.client_data_json, Decoded(f, "client_data_json", kClientDataChars));
  ASSIGN_OR_RETURN(out.authenticator_data, Decoded(f, "authenticator_data", kAuthDataChars));
  ASSIGN_OR_RETURN(out.signature, Decoded(f, "signature", kSignatureChars));
  RETURN_IF_ERROR(f.Finish());
  return out;
}

namespace {
template <typename T>
Result<T> ParseCredential(std::string_view json, int max_depth,
                          Result<T> (*read)(const boost::json::object&)) {
  ASSIGN_OR_RETURN(auto value, http::ParseJson(json, max_depth));
  if (!value.is_object()) return Fail(ErrorCode::kInvalidArgument, "credential must be an object");
  return read(value.as_object());
}
}  // namespace

Result<identity::KeyRegistration> ParseKeyRegistration(std::string_view json, int max_depth) {
  return ParseCredential(json, max_depth, &ReadKeyRegistration);
}

Result<identity::KeyAssertion> ParseKeyAssertion(std::string_view json, int max_depth) {
  return ParseCredential(json, max_depth, &ReadKeyAssertion);
}

std::string KeyRegistrationSchema() {
  return ObjectSchema({{"id", StringSchema(kIdChars)},
                       {"client_data_json", StringSchema(kClientDataChars)},
                       {"attestation_object", StringSchema(kAttestationChars)}});
}

std::string KeyAssertionSchema() {
  return ObjectSchema({{"id", StringSchema(kIdChars)},
                       {"client_data_json", StringSchema(kClientDataChars)},
                       {"authenticator_data", StringSchema(kAuthDataChars)},
                       {"signature", StringSchema(kSignatureChars)}});
}

}  // namespace strongroom::api
