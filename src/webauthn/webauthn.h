#pragma once
// WebAuthn (Level 2) ceremonies checked on the server: a security key or passkey registered as a
// second factor, and an assertion made with it at sign-in. Phishing-resistant because the browser
// binds what the authenticator signs to the page's origin, and the authenticator to the RP ID.
//
// Registration (navigator.credentials.create) is accepted only when:
//   - clientDataJSON says "webauthn.create", carries this ceremony's challenge, and comes from
//     exactly the expected origin (and not from a frame of another origin);
//   - the attestation object (CBOR, checked by CheckCborItem before libcbor reads it) holds
//     exactly fmt, attStmt and authData; authData names the RP ID's SHA-256, the user was present
//     (UP), verified (UV) when asked, and a credential is attested with an ES256 (P-256) key;
//   - the attestation verifies: "none" (an empty statement), "packed" (self attestation with the
//     credential's own key, or a certificate that says it is an authenticator's: version 3,
//     OU "Authenticator Attestation", not a CA, its AAGUID extension if any matching), or
//     "fido-u2f" (a P-256 certificate over the U2F layout). Certificates are not chained to a
//     root (the policy accepts any authenticator), so "basic" means the statement verifies, not
//     that its maker is trusted.
// An assertion (navigator.credentials.get) is accepted only when clientDataJSON says
// "webauthn.get" with this ceremony's challenge and origin, authenticatorData names the RP ID with
// UP (and UV when asked), the signature over authenticatorData || SHA-256(clientDataJSON) verifies
// under the credential's stored key, and the signature counter moved forward (or both it and the
// stored count are zero: authenticators without a counter).
//
// What the verifier leaves to its caller: the challenge is random, at least 16 bytes, and used
// once; a registered credential id is not already registered (to anyone); an assertion names a
// credential of the account signing in. Messages are for the audit log, not the client.
//
// Errors: kInvalidArgument for what is malformed (bad CBOR, JSON, lengths, types, unsupported
// formats or algorithms); kUnauthenticated for what is well formed but does not prove the
// ceremony (wrong type, challenge, origin, RP ID, flags, signature); kPermissionDenied only for a
// counter that did not move forward with a valid signature: the authenticator may have been
// cloned, and the caller locks the credential and reports it. kInternal for the caller's own
// mistakes (a short challenge, a stored key that does not decode).
//
// Thread-safety: free functions over their arguments.

#include <cstdint>
#include <span>
#include <string>

#include "common/bytes.h"
#include "common/error.h"

namespace strongroom::webauthn {

// COSE algorithm ES256 (ECDSA with P-256 and SHA-256): the one accepted.
inline constexpr int kEs256 = -7;

struct Expected {
  std::string rp_id;   // the RP ID: the host name people reach the service by
  std::string origin;  // the exact origin its pages are served from, "https://host[:port]"
  Bytes challenge;     // this ceremony's, 16 or more random bytes, used once
  bool user_verification = false;  // the policy asks for UV (a PIN or biometric on the key)
};

struct NewCredential {
  Bytes id;          // the credential id, as the browser will name it
  Bytes public_key;  // its COSE_Key (ES256), as the authenticator gave it
  uint32_t sign_count = 0;
  std::string format;       // "none", "packed", "fido-u2f"
  std::string attestation;  // "none", "self", "basic"
  std::string aaguid;       // hex; all zeros when the authenticator does not say
  bool user_verified = false;
  bool backup_eligible = false;  // a passkey that may be synced to other devices (BE)
  bool backed_up = false;        // and is (BS)
};

Result<NewCredential> VerifyRegistration(const Expected& expected,
                                         std::span<const uint8_t> client_data_json,
                                         std::span<const uint8_t> attestation_object);

struct StoredCredential {
  std::span<const uint8_t> public_key;  // NewCredential::public_key
  uint32_t sign_count = 0;              // as last accepted
};

struct Assertion {
  uint32_t sign_count = 0;  // to store for the next one
  bool user_verified = false;
  bool backup_eligible = false;  // fixed for a credential: the caller compares it with the stored
  bool backed_up = false;
};

Result<Assertion> VerifyAssertion(const Expected& expected, const StoredCredential& credential,
                                  std::span<const uint8_t> client_data_json,
                                  std::span<const uint8_t> authenticator_data,
                                  std::span<const uint8_t> signature);

}  // namespace strongroom::webauthn
