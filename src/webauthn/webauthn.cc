#include "webauthn/webauthn.h"

#include <cbor.h>
#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/json.hpp>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>

#include "crypto/hash.h"
#include "webauthn/cbor_check.h"

namespace strongroom::webauthn {
namespace {

constexpr size_t kMaxClientData = 4096;
constexpr size_t kMaxCredentialId = 1023;
constexpr size_t kMaxCertificates = 4;
constexpr size_t kAuthDataHead = 37;  // RP ID hash (32), flags (1), counter (4)
constexpr uint8_t kUserPresent = 0x01;
constexpr uint8_t kUserVerified = 0x04;
constexpr uint8_t kBackupEligible = 0x08;
constexpr uint8_t kBackedUp = 0x10;
constexpr uint8_t kAttested = 0x40;
constexpr uint8_t kExtensions = 0x80;
// The certificate extension in which an authenticator names its model (FIDO's
// id-fido-gen-ce-aaguid).
constexpr const char* kAaguidExtension = "1.3.6.1.4.1.45724.1.1.4";

// (Each refusal also clears what OpenSSL queued on the way, so that nothing later on this thread
// reads it as its own.)
std::unexpected<Error> Malformed(std::string what) {
  ERR_clear_error();
  return Fail(ErrorCode::kInvalidArgument, std::move(what));
}
std::unexpected<Error> Unproven(std::string what) {
  ERR_clear_error();
  return Fail(ErrorCode::kUnauthenticated, std::move(what));
}

struct CborFree {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};
using Cbor = std::unique_ptr<cbor_item_t, CborFree>;
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct X509Free {
  void operator()(X509* c) const { X509_free(c); }
};
using Certificate = std::unique_ptr<X509, X509Free>;

// The one item `data` holds, whole, decoded once CheckCborItem has passed it. `what` names it.
Result<Cbor> Decode(std::span<const uint8_t> data, std::string_view what) {
  auto length = CheckCborItem(data);
  if (!length) return Malformed(fmt::format("{}: {}", what, length.error().message));
  if (*length != data.size()) return Malformed(fmt::format("{} has bytes after its end", what));
  cbor_load_result result{};
  Cbor item(cbor_load(data.data(), data.size(), &result));
  if (!item || result.error.code != CBOR_ERR_NONE || result.read != data.size()) {
    return Malformed(fmt::format("{} does not decode", what));
  }
  return item;
}

std::optional<int64_t> IntOf(const cbor_item_t* item) {
  if (item == nullptr) return std::nullopt;
  if (!cbor_isa_uint(item) && !cbor_isa_negint(item)) return std::nullopt;
  const uint64_t v = cbor_get_int(item);
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return cbor_isa_uint(item) ? static_cast<int64_t>(v) : -1 - static_cast<int64_t>(v);
}

std::optional<std::string_view> TextOf(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_string(item) || !cbor_string_is_definite(item)) {
    return std::nullopt;
  }
  return std::string_view(reinterpret_cast<const char*>(cbor_string_handle(item)),
                          cbor_string_length(item));
}

std::optional<std::span<const uint8_t>> BytesOf(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item)) {
    return std::nullopt;
  }
  return std::span<const uint8_t>(cbor_bytestring_handle(item), cbor_bytestring_length(item));
}

// The map's pairs (none if it is not a map).
std::span<cbor_pair> PairsOf(const cbor_item_t* map) {
  if (map == nullptr || !cbor_isa_map(map)) return {};
  return {cbor_map_handle(map), cbor_map_size(map)};
}

// The value under a text key, or under an integer key; null if absent.
const cbor_item_t* Find(const cbor_item_t* map, std::string_view key) {
  for (const auto& pair : PairsOf(map)) {
    if (TextOf(pair.key) == key) return pair.value;
  }
  return nullptr;
}
const cbor_item_t* Find(const cbor_item_t* map, int64_t key) {
  for (const auto& pair : PairsOf(map)) {
    if (IntOf(pair.key) == key) return pair.value;
  }
  return nullptr;
}

// Whether every key of `map` is one of `text_keys` (a statement has no keys it should not).
bool OnlyKeys(const cbor_item_t* map, std::initializer_list<std::string_view> text_keys) {
  for (const auto& pair : PairsOf(map)) {
    const auto key = TextOf(pair.key);
    if (!key || std::find(text_keys.begin(), text_keys.end(), *key) == text_keys.end()) {
      return false;
    }
  }
  return true;
}

Bytes Concat(std::initializer_list<std::span<const uint8_t>> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A P-256 public key from its uncompressed point (04 || x || y), which must be on the curve.
Result<Pkey> P256Key(std::span<const uint8_t> point) {
  char group[] = "P-256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<uint8_t*>(point.data()),
                                        point.size()),
      OSSL_PARAM_construct_end()};
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return Malformed("the credential's key is not a P-256 point");
  }
  Pkey key(raw);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> check(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr), EVP_PKEY_CTX_free);
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return Malformed("the credential's key is not a P-256 point");
  }
  return key;
}

// Whether `key` is a P-256 key.
bool IsP256(EVP_PKEY* key) {
  if (key == nullptr || !EVP_PKEY_is_a(key, "EC")) return false;
  char group[32] = {};
  size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                     &length) != 1) {
    return false;
  }
  return std::string_view(group, length) == "prime256v1" ||
         std::string_view(group, length) == "P-256";
}

// An ES256 COSE_Key: kty 2 (EC2), alg -7, crv 1 (P-256), x and y of 32 bytes, nothing else. Its
// point (04 || x || y) goes to `point` if asked.
Result<Pkey> Es256Key(std::span<const uint8_t> cose, Bytes* point = nullptr) {
  ASSIGN_OR_RETURN(auto item, Decode(cose, "the credential's key"));
  const cbor_item_t* map = item.get();
  if (!cbor_isa_map(map)) return Malformed("the credential's key is not a COSE key");
  for (const auto& pair : PairsOf(map)) {
    const auto key = IntOf(pair.key);
    if (!key || (*key != 1 && *key != 3 && *key != -1 && *key != -2 && *key != -3)) {
      return Malformed("the credential's key has a parameter ES256 keys do not");
    }
  }
  if (IntOf(Find(map, 1)) != 2 || IntOf(Find(map, 3)) != kEs256 || IntOf(Find(map, -1)) != 1) {
    return Malformed("only ES256 (ECDSA P-256) credentials are accepted");
  }
  const auto x = BytesOf(Find(map, -2));
  const auto y = BytesOf(Find(map, -3));
  if (!x || !y || x->size() != 32 || y->size() != 32) {
    return Malformed("the credential's key has no 32-byte x and y");
  }
  const uint8_t uncompressed[] = {0x04};
  Bytes p = Concat({uncompressed, *x, *y});
  ASSIGN_OR_RETURN(auto key, P256Key(p));
  if (point != nullptr) *point = std::move(p);
  return key;
}

Result<void> VerifySignature(EVP_PKEY* key, std::span<const uint8_t> message,
                             std::span<const uint8_t> signature, std::string_view what) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    return Fail(ErrorCode::kInternal, "cannot verify a signature");
  }
  if (EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                       message.size()) != 1) {
    return Unproven(fmt::format("the {} does not verify", what));
  }
  return {};
}

// clientDataJSON: the ceremony `type`, this one's challenge, the expected origin, not a frame of
// another. Gives its SHA-256 (what the authenticator signed).
Result<crypto::Sha256Digest> CheckClientData(const Expected& expected,
                                             std::span<const uint8_t> json, std::string_view type) {
  if (json.size() > kMaxClientData) {
    return Malformed(fmt::format("clientDataJSON is longer than {} bytes", kMaxClientData));
  }
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 4;
  const auto value = boost::json::parse(AsChars(json), ec, {}, options);
  if (ec || !value.is_object()) return Malformed("clientDataJSON is not a JSON object");
  const auto& object = value.as_object();
  const auto text = [&](std::string_view key) -> std::optional<std::string_view> {
    const auto* v = object.if_contains(key);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string_view(v->as_string());
  };
  const auto got_type = text("type");
  const auto challenge = text("challenge");
  const auto origin = text("origin");
  if (!got_type || !challenge || !origin) {
    return Malformed("clientDataJSON lacks its type, challenge or origin");
  }
  if (*got_type != type) return Unproven(fmt::format("clientDataJSON is not for {}", type));
  const auto decoded = Base64UrlDecode(*challenge);
  if (!decoded) return Malformed("clientDataJSON's challenge is not base64url");
  if (expected.challenge.size() < 16) {
    return Fail(ErrorCode::kInternal, "a ceremony's challenge is at least 16 random bytes");
  }
  if (!crypto::ConstantTimeEqual(*decoded, expected.challenge)) {
    return Unproven("clientDataJSON carries another challenge than this ceremony's");
  }
  if (*origin != expected.origin) return Unproven("clientDataJSON comes from another origin");
  if (const auto* cross = object.if_contains("crossOrigin"); cross != nullptr) {
    if (!cross->is_bool()) return Malformed("clientDataJSON's crossOrigin is not true or false");
    if (cross->as_bool()) return Unproven("clientDataJSON was made in a frame of another origin");
  }
  return crypto::Sha256(json);
}

struct AuthData {
  std::span<const uint8_t> rp_id_hash;
  uint8_t flags = 0;
  uint32_t sign_count = 0;
  std::span<const uint8_t> aaguid;
  std::span<const uint8_t> credential_id;
  std::span<const uint8_t> public_key;  // COSE_Key
};

// authenticatorData, attesting a credential (registration) or not (assertion), checked against
// the RP ID and the flags the policy asks for.
Result<AuthData> ParseAuthData(const Expected& expected, std::span<const uint8_t> data,
                               bool registration) {
  if (data.size() < kAuthDataHead) return Malformed("the authenticator data is too short");
  AuthData a;
  a.rp_id_hash = data.first(32);
  a.flags = data[32];
  a.sign_count = (uint32_t{data[33]} << 24) | (uint32_t{data[34]} << 16) |
                 (uint32_t{data[35]} << 8) | uint32_t{data[36]};
  auto rest = data.subspan(kAuthDataHead);
  if ((a.flags & kAttested) != 0) {
    if (!registration) return Malformed("an assertion's authenticator data attests a credential");
    if (rest.size() < 18) return Malformed("the attested credential data is too short");
    a.aaguid = rest.first(16);
    const size_t id_length = (size_t{rest[16]} << 8) | rest[17];
    rest = rest.subspan(18);
    if (id_length == 0 || id_length > kMaxCredentialId || id_length > rest.size()) {
      return Malformed("the credential id's length is out of range");
    }
    a.credential_id = rest.first(id_length);
    rest = rest.subspan(id_length);
    auto key_length = CheckCborItem(rest);
    if (!key_length) return Malformed("the credential's key: " + key_length.error().message);
    a.public_key = rest.first(*key_length);
    rest = rest.subspan(*key_length);
  } else if (registration) {
    return Malformed("the authenticator data attests no credential");
  }
  if ((a.flags & kExtensions) != 0) {
    auto length = CheckCborItem(rest);
    if (!length) return Malformed("the extensions: " + length.error().message);
    if ((rest[0] >> 5) != 5) return Malformed("the extensions are not a map");
    rest = rest.subspan(*length);
  }
  if (!rest.empty()) return Malformed("the authenticator data has bytes after its end");
  if ((a.flags & kBackedUp) != 0 && (a.flags & kBackupEligible) == 0) {
    return Malformed("the authenticator data says backed up but not eligible for backup");
  }

  const auto rp_id_hash = crypto::Sha256(AsBytes(expected.rp_id));
  if (!crypto::ConstantTimeEqual(a.rp_id_hash, rp_id_hash)) {
    return Unproven("the authenticator data is for another RP ID");
  }
  if ((a.flags & kUserPresent) == 0) return Unproven("the user was not present");
  if (expected.user_verification && (a.flags & kUserVerified) == 0) {
    return Unproven("the user was not verified by the authenticator, which the policy asks for");
  }
  return a;
}

// The DER certificates of a statement's x5c (1 to kMaxCertificates), each whole.
Result<std::vector<Certificate>> Certificates(const cbor_item_t* x5c) {
  if (x5c == nullptr || !cbor_isa_array(x5c) || cbor_array_size(x5c) == 0 ||
      cbor_array_size(x5c) > kMaxCertificates) {
    return Malformed("the attestation's x5c is not a list of 1 to 4 certificates");
  }
  std::vector<Certificate> out;
  for (size_t i = 0; i < cbor_array_size(x5c); ++i) {
    const auto der = BytesOf(cbor_array_handle(x5c)[i]);
    if (!der || der->empty()) return Malformed("the attestation's x5c holds a non-certificate");
    const unsigned char* p = der->data();
    Certificate cert(d2i_X509(nullptr, &p, static_cast<long>(der->size())));
    if (!cert || p != der->data() + der->size()) {
      return Malformed("the attestation's x5c holds a certificate that does not parse");
    }
    out.push_back(std::move(cert));
  }
  return out;
}

// What WebAuthn asks of a packed attestation certificate (L2 section 8.2.1).
Result<void> CheckPackedCertificate(X509* cert, std::span<const uint8_t> aaguid) {
  if (X509_get_version(cert) != 2) return Unproven("the attestation certificate is not version 3");
  X509_NAME* subject = X509_get_subject_name(cert);
  for (int nid : {NID_countryName, NID_organizationName, NID_commonName}) {
    if (X509_NAME_get_index_by_NID(subject, nid, -1) < 0) {
      return Unproven("the attestation certificate's subject lacks its C, O or CN");
    }
  }
  const int ou = X509_NAME_get_index_by_NID(subject, NID_organizationalUnitName, -1);
  const ASN1_STRING* ou_value =
      ou < 0 ? nullptr : X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, ou));
  if (ou_value == nullptr ||
      std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(ou_value)),
                       static_cast<size_t>(ASN1_STRING_length(ou_value))) !=
          "Authenticator Attestation") {
    return Unproven("the attestation certificate is not an authenticator's");
  }
  auto* constraints = static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert, NID_basic_constraints, nullptr, nullptr));
  const bool is_ca = constraints == nullptr || constraints->ca != 0;
  BASIC_CONSTRAINTS_free(constraints);
  if (is_ca) return Unproven("the attestation certificate may be a CA's");
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> oid(OBJ_txt2obj(kAaguidExtension, 1),
                                                                ASN1_OBJECT_free);
  if (!oid) return Fail(ErrorCode::kInternal, "cannot name the AAGUID extension");
  if (const int at = X509_get_ext_by_OBJ(cert, oid.get(), -1); at >= 0) {
    X509_EXTENSION* ext = X509_get_ext(cert, at);
    const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
    // Its value is an OCTET STRING of the 16 bytes: 04 10 <aaguid>.
    const std::span<const uint8_t> value(ASN1_STRING_get0_data(data),
                                         static_cast<size_t>(ASN1_STRING_length(data)));
    if (X509_EXTENSION_get_critical(ext) != 0 || value.size() != 18 || value[0] != 0x04 ||
        value[1] != 16 || !std::equal(aaguid.begin(), aaguid.end(), value.begin() + 2)) {
      return Unproven("the attestation certificate names another authenticator model");
    }
  }
  return {};
}

// The attestation statement of format `format` over `auth_data` and the client data's hash.
// Gives the attestation type ("none", "self", "basic").
Result<std::string> VerifyStatement(std::string_view format, const cbor_item_t* statement,
                                    std::span<const uint8_t> auth_data, const AuthData& a,
                                    EVP_PKEY* credential_key, std::span<const uint8_t> point,
                                    std::span<const uint8_t> client_data_hash) {
  if (format == "none") {
    if (cbor_map_size(statement) != 0) return Malformed("a \"none\" attestation has a statement");
    return std::string("none");
  }
  if (format != "packed" && format != "fido-u2f") {
    return Malformed("the attestation format is not one of none, packed and fido-u2f");
  }
  const auto signature = BytesOf(Find(statement, "sig"));
  if (!signature || signature->empty()) return Malformed("the attestation has no signature");
  if (format == "packed") {
    if (!OnlyKeys(statement, {"alg", "sig", "x5c"}) || IntOf(Find(statement, "alg")) != kEs256) {
      return Malformed("a packed attestation must be ES256 with alg, sig and x5c only");
    }
    const auto message = Concat({auth_data, client_data_hash});
    if (const auto* x5c = Find(statement, "x5c"); x5c != nullptr) {
      ASSIGN_OR_RETURN(auto chain, Certificates(x5c));
      X509* cert = chain.front().get();
      RETURN_IF_ERROR(CheckPackedCertificate(cert, a.aaguid));
      if (!IsP256(X509_get0_pubkey(cert))) {
        return Malformed("the attestation certificate's key is not P-256, as ES256 needs");
      }
      RETURN_IF_ERROR(
          VerifySignature(X509_get0_pubkey(cert), message, *signature, "attestation signature"));
      return std::string("basic");
    }
    RETURN_IF_ERROR(VerifySignature(credential_key, message, *signature, "attestation signature"));
    return std::string("self");
  }
  if (format == "fido-u2f") {
    if (!OnlyKeys(statement, {"sig", "x5c"})) {
      return Malformed("a fido-u2f attestation has sig and x5c only");
    }
    ASSIGN_OR_RETURN(auto chain, Certificates(Find(statement, "x5c")));
    if (chain.size() != 1) return Malformed("a fido-u2f attestation has one certificate");
    EVP_PKEY* key = X509_get0_pubkey(chain.front().get());
    if (!IsP256(key)) return Malformed("the fido-u2f certificate's key is not P-256");
    const uint8_t reserved[] = {0x00};
    const auto message = Concat({reserved, a.rp_id_hash, client_data_hash, a.credential_id, point});
    RETURN_IF_ERROR(VerifySignature(key, message, *signature, "attestation signature"));
    return std::string("basic");
  }
  return Fail(ErrorCode::kInternal, "an attestation format went unchecked");
}

}  // namespace

Result<NewCredential> VerifyRegistration(const Expected& expected,
                                         std::span<const uint8_t> client_data_json,
                                         std::span<const uint8_t> attestation_object) {
  ASSIGN_OR_RETURN(const auto client_data_hash,
                   CheckClientData(expected, client_data_json, "webauthn.create"));
  ASSIGN_OR_RETURN(auto object, Decode(attestation_object, "the attestation object"));
  const cbor_item_t* map = object.get();
  const auto format = TextOf(Find(map, "fmt"));
  const cbor_item_t* statement = Find(map, "attStmt");
  const auto auth_data = BytesOf(Find(map, "authData"));
  if (!cbor_isa_map(map) || !OnlyKeys(map, {"fmt", "attStmt", "authData"}) || !format ||
      statement == nullptr || !cbor_isa_map(statement) || !auth_data) {
    return Malformed("the attestation object is not a map of fmt, attStmt and authData");
  }
  ASSIGN_OR_RETURN(const auto a, ParseAuthData(expected, *auth_data, /*registration=*/true));
  Bytes point;
  ASSIGN_OR_RETURN(auto key, Es256Key(a.public_key, &point));
  ASSIGN_OR_RETURN(auto attestation, VerifyStatement(*format, statement, *auth_data, a, key.get(),
                                                     point, client_data_hash));
  NewCredential out;
  out.id.assign(a.credential_id.begin(), a.credential_id.end());
  out.public_key.assign(a.public_key.begin(), a.public_key.end());
  out.sign_count = a.sign_count;
  out.format = std::string(*format);
  out.attestation = std::move(attestation);
  out.aaguid = HexEncode(a.aaguid);
  out.user_verified = (a.flags & kUserVerified) != 0;
  out.backup_eligible = (a.flags & kBackupEligible) != 0;
  out.backed_up = (a.flags & kBackedUp) != 0;
  return out;
}

Result<Assertion> VerifyAssertion(const Expected& expected, const StoredCredential& credential,
                                  std::span<const uint8_t> client_data_json,
                                  std::span<const uint8_t> authenticator_data,
                                  std::span<const uint8_t> signature) {
  ASSIGN_OR_RETURN(const auto client_data_hash,
                   CheckClientData(expected, client_data_json, "webauthn.get"));
  ASSIGN_OR_RETURN(const auto a,
                   ParseAuthData(expected, authenticator_data, /*registration=*/false));
  if (signature.empty() || signature.size() > 256) {
    return Malformed("the assertion's signature is empty or too long");
  }
  auto key = Es256Key(credential.public_key);
  if (!key) return Fail(ErrorCode::kInternal, "a stored credential's key: " + key.error().message);
  RETURN_IF_ERROR(VerifySignature(key->get(), Concat({authenticator_data, client_data_hash}),
                                  signature, "assertion's signature"));
  if ((a.sign_count != 0 || credential.sign_count != 0) && a.sign_count <= credential.sign_count) {
    return Fail(ErrorCode::kPermissionDenied,
                fmt::format("the authenticator's signature counter went back ({} after {}): it "
                            "may have been cloned",
                            a.sign_count, credential.sign_count));
  }
  return Assertion{a.sign_count, (a.flags & kUserVerified) != 0, (a.flags & kBackupEligible) != 0,
                   (a.flags & kBackedUp) != 0};
}

}  // namespace strongroom::webauthn
