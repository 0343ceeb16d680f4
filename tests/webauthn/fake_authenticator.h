#pragma once
// A software authenticator for the WebAuthn verifier's tests: a P-256 key pair per credential,
// the CBOR it would send (written here byte by byte, so that tests can also write what no
// authenticator would), and attestations in the formats the verifier knows ("none", "packed"
// self or with a certificate, "fido-u2f"), signed as an authenticator signs them.

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace strongroom::testing {

// CBOR, encoded by hand.
namespace cbor {
inline Bytes Head(uint8_t major, uint64_t n) {
  Bytes out;
  const auto put = [&](uint8_t info, int bytes) {
    out.push_back(static_cast<uint8_t>(major << 5 | info));
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  };
  if (n < 24) {
    put(static_cast<uint8_t>(n), 0);
  } else if (n <= 0xff) {
    put(24, 1);
  } else if (n <= 0xffff) {
    put(25, 2);
  } else if (n <= 0xffffffff) {
    put(26, 4);
  } else {
    put(27, 8);
  }
  return out;
}
inline Bytes Join(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
inline Bytes Int(int64_t v) {
  return v >= 0 ? Head(0, static_cast<uint64_t>(v)) : Head(1, static_cast<uint64_t>(-1 - v));
}
inline Bytes Text(std::string_view s) {
  return Join({Head(3, s.size()), Bytes(s.begin(), s.end())});
}
inline Bytes Blob(std::span<const uint8_t> b) {
  return Join({Head(2, b.size()), Bytes(b.begin(), b.end())});
}
inline Bytes Array(const std::vector<Bytes>& items) {
  Bytes out = Head(4, items.size());
  for (const auto& i : items) out.insert(out.end(), i.begin(), i.end());
  return out;
}
inline Bytes Map(const std::vector<std::pair<Bytes, Bytes>>& pairs) {
  Bytes out = Head(5, pairs.size());
  for (const auto& [k, v] : pairs) {
    out.insert(out.end(), k.begin(), k.end());
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}
}  // namespace cbor

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using TestKey = std::unique_ptr<EVP_PKEY, PkeyFree>;

inline TestKey NewP256Key() { return TestKey(EVP_EC_gen("P-256")); }

// The key's uncompressed point, 04 || x || y.
inline Bytes PointOf(EVP_PKEY* key) {
  Bytes point(65);
  size_t length = 0;
  EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(),
                                  &length);
  point.resize(length);
  return point;
}

// Its COSE_Key (ES256), as authenticators write it.
inline Bytes CoseKeyOf(EVP_PKEY* key) {
  const auto point = PointOf(key);
  const std::span<const uint8_t> p(point);
  return cbor::Map({{cbor::Int(1), cbor::Int(2)},
                    {cbor::Int(3), cbor::Int(-7)},
                    {cbor::Int(-1), cbor::Int(1)},
                    {cbor::Int(-2), cbor::Blob(p.subspan(1, 32))},
                    {cbor::Int(-3), cbor::Blob(p.subspan(33, 32))}});
}

// An ECDSA SHA-256 signature (DER), as WebAuthn's ES256.
inline Bytes Sign(EVP_PKEY* key, std::span<const uint8_t> message) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key);
  size_t length = 0;
  EVP_DigestSign(ctx.get(), nullptr, &length, message.data(), message.size());
  Bytes sig(length);
  EVP_DigestSign(ctx.get(), sig.data(), &length, message.data(), message.size());
  sig.resize(length);
  return sig;
}

// What an attestation certificate says of itself.
struct CertificateSpec {
  std::string ou = "Authenticator Attestation";
  bool country = true;  // C in the subject (O and CN always)
  bool ca = false;
  Bytes aaguid;  // its AAGUID extension; none if empty
};

// A self-signed attestation certificate for `key` (DER).
inline Bytes AttestationCertificate(EVP_PKEY* key, const CertificateSpec& spec) {
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  const auto add = [&](const char* field, const std::string& value) {
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
  };
  if (spec.country) add("C", "GB");
  add("O", "Test Authenticators Ltd");
  if (!spec.ou.empty()) add("OU", spec.ou);
  add("CN", "Test Batch Certificate");
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key);
  BASIC_CONSTRAINTS* bc = BASIC_CONSTRAINTS_new();
  bc->ca = spec.ca ? 0xff : 0;
  X509_add1_ext_i2d(cert.get(), NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT);
  BASIC_CONSTRAINTS_free(bc);
  if (!spec.aaguid.empty()) {
    const Bytes value = cbor::Join({{0x04, static_cast<uint8_t>(spec.aaguid.size())}, spec.aaguid});
    std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> oid(
        OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1), ASN1_OBJECT_free);
    ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(data, value.data(), static_cast<int>(value.size()));
    X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, data);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(data);
  }
  X509_sign(cert.get(), key, EVP_sha256());
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert.get(), &der);
  Bytes out(der, der + length);
  OPENSSL_free(der);
  return out;
}

inline constexpr uint8_t kUp = 0x01;
inline constexpr uint8_t kUv = 0x04;
inline constexpr uint8_t kBs = 0x10;
inline constexpr uint8_t kAt = 0x40;
inline constexpr uint8_t kEd = 0x80;

// What a browser hands the page: clientDataJSON, for a ceremony type, challenge and origin.
inline Bytes ClientData(std::string_view type, std::span<const uint8_t> challenge,
                        std::string_view origin, std::string_view extra = "") {
  const auto json = fmt::format(R"({{"type":"{}","challenge":"{}","origin":"{}"{}}})", type,
                                Base64UrlEncode(challenge), origin, extra);
  return Bytes(json.begin(), json.end());
}

// authenticatorData: the RP ID's hash, flags, counter, and what follows (attested credential
// data, extensions).
inline Bytes AuthData(std::string_view rp_id, uint8_t flags, uint32_t counter,
                      const Bytes& rest = {}) {
  const auto hash = crypto::Sha256(AsBytes(rp_id));
  Bytes out(hash.begin(), hash.end());
  out.push_back(flags);
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(counter >> (8 * i)));
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

// Attested credential data: AAGUID, the id's length and the id, the COSE key.
inline Bytes AttestedCredential(const Bytes& aaguid, const Bytes& id, const Bytes& cose_key) {
  return cbor::Join({aaguid,
                     {static_cast<uint8_t>(id.size() >> 8), static_cast<uint8_t>(id.size())},
                     id,
                     cose_key});
}

// A security key as a browser drives it: one credential (a P-256 key under a random id), made
// with a "none" attestation, and assertions whose counter moves on by one each. Copies share the
// key: a copy is a clone.
class SoftKey {
 public:
  SoftKey()
      : key_(NewP256Key().release(), PkeyFree()), id_(crypto::DefaultRandom().RandomBytes(16)) {}

  struct Made {
    Bytes id;
    Bytes client_data_json;
    Bytes attestation_object;
  };
  // navigator.credentials.create() for `rp_id`, at `origin`, with the ceremony's challenge.
  Made Create(std::string_view rp_id, std::string_view origin, std::span<const uint8_t> challenge,
              uint8_t flags = kUp | kAt) const {
    const auto data = AuthData(rp_id, flags, counter,
                               AttestedCredential(Bytes(16, 0), id_, CoseKeyOf(key_.get())));
    return {id_, ClientData("webauthn.create", challenge, origin),
            cbor::Map({{cbor::Text("fmt"), cbor::Text("none")},
                       {cbor::Text("attStmt"), cbor::Map({})},
                       {cbor::Text("authData"), cbor::Blob(data)}})};
  }

  struct Asserted {
    Bytes id;
    Bytes client_data_json;
    Bytes authenticator_data;
    Bytes signature;
  };
  // navigator.credentials.get(): the counter moves on first.
  Asserted Get(std::string_view rp_id, std::string_view origin, std::span<const uint8_t> challenge,
               uint8_t flags = kUp) {
    ++counter;
    auto client = ClientData("webauthn.get", challenge, origin);
    auto data = AuthData(rp_id, flags, counter);
    const auto hash = crypto::Sha256(client);
    auto signature = Sign(key_.get(), cbor::Join({data, Bytes(hash.begin(), hash.end())}));
    return {id_, std::move(client), std::move(data), std::move(signature)};
  }

  const Bytes& id() const { return id_; }
  uint32_t counter = 0;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  Bytes id_;
};

}  // namespace strongroom::testing
