// WebAuthn's hostile bytes (webauthn/webauthn.h). The first byte says what the rest is: 0 an
// attestation object, 1 authenticator data, 2 clientDataJSON, 3 base64url text. Whatever it is:
// the CBOR walk never accepts what libcbor cannot decode to exactly the length it gave; a
// registration accepted has a known format and a credential id in range; no assertion verifies
// under a forged signature, whatever its authenticator or client data; base64url decodes only
// from the one text its bytes encode to.

#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "fuzz_check.h"
#include "webauthn/cbor_check.h"
#include "webauthn/webauthn.h"

namespace {

using namespace strongroom;
using namespace strongroom::webauthn;

const Bytes kChallenge(16, 0x42);
const Expected kExpected{"localhost", "https://localhost:8443", kChallenge, false};
// A DER ECDSA signature no key made for these messages.
const Bytes kForged = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};

std::string ClientData(std::string_view type) {
  return R"({"type":")" + std::string(type) + R"(","challenge":")" + Base64UrlEncode(kChallenge) +
         R"(","origin":"https://localhost:8443"})";
}

// A real credential key (COSE, ES256), made once.
const Bytes& CredentialKey() {
  static const Bytes key = [] {
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    uint8_t point[65] = {};
    size_t length = 0;
    EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &length);
    EVP_PKEY_free(pkey);
    Bytes cose = {0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20};
    cose.insert(cose.end(), point + 1, point + 33);
    cose.insert(cose.end(), {0x22, 0x58, 0x20});
    cose.insert(cose.end(), point + 33, point + 65);
    return cose;
  }();
  return key;
}

// Authenticator data that passes every check but the signature's.
Bytes GoodAuthData() {
  const auto hash = crypto::Sha256(AsBytes(std::string_view("localhost")));
  Bytes out(hash.begin(), hash.end());
  out.insert(out.end(), {0x01, 0x00, 0x00, 0x00, 0x01});
  return out;
}

void ExpectForgeryRefused(const Result<Assertion>& r, bool only_the_signature) {
  FUZZ_CHECK(!r, "an assertion verified under a forged signature");
  if (only_the_signature) {
    FUZZ_CHECK(r.error().code == ErrorCode::kUnauthenticated,
               "a forged signature refused for something else than itself");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> rest(data + 1, size - 1);

  if (auto length = CheckCborItem(rest); length) {
    FUZZ_CHECK(*length >= 1 && *length <= rest.size(), "an item's length outside the input");
    cbor_load_result result{};
    cbor_item_t* item = cbor_load(rest.data(), *length, &result);
    FUZZ_CHECK(item != nullptr && result.error.code == CBOR_ERR_NONE && result.read == *length,
               "checked CBOR that libcbor cannot decode to its length");
    cbor_decref(&item);
  }

  const auto get = ClientData("webauthn.get");
  const StoredCredential stored{CredentialKey(), 0};
  switch (data[0] % 4) {
    case 0: {
      const auto create = ClientData("webauthn.create");
      if (auto made = VerifyRegistration(kExpected, AsBytes(create), rest); made) {
        FUZZ_CHECK(made->format == "none" || made->format == "packed" || made->format == "fido-u2f",
                   "an unknown format accepted");
        FUZZ_CHECK(!made->id.empty() && made->id.size() <= 1023, "a credential id out of range");
        ExpectForgeryRefused(VerifyAssertion(kExpected, {made->public_key, 0}, AsBytes(get),
                                             GoodAuthData(), kForged),
                             true);
      }
      break;
    }
    case 1:
      ExpectForgeryRefused(VerifyAssertion(kExpected, stored, AsBytes(get), rest, kForged), false);
      break;
    case 2:
      ExpectForgeryRefused(VerifyAssertion(kExpected, stored, rest, GoodAuthData(), kForged),
                           false);
      break;
    default:
      if (auto decoded = Base64UrlDecode(fuzz::Text(rest.data(), rest.size())); decoded) {
        FUZZ_CHECK(Base64UrlEncode(*decoded) == fuzz::Text(rest.data(), rest.size()),
                   "base64url decoded from a text its bytes do not encode to");
      }
      break;
  }
  // And the forgery with everything else right is refused for its signature.
  ExpectForgeryRefused(VerifyAssertion(kExpected, stored, AsBytes(get), GoodAuthData(), kForged),
                       true);
  return 0;
}
