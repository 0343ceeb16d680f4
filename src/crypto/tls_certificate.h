#pragma once
// A self-signed TLS certificate for a new instance (`strongroom init` without real certificate
// paths): ECDSA P-256, SHA-256, valid for one year, with the given DNS names and IP addresses as
// subjectAltName. Operators replace it with a certificate from their own CA.

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "common/secret.h"

namespace strongroom::crypto {

struct CertificateAndKey {
  std::string certificate_pem;
  Secret private_key_pem;
};

Result<CertificateAndKey> MakeSelfSignedCertificate(const std::vector<std::string>& names);

// What an assessor checks about a certificate: when it expires, whether it is self-signed, and the
// strength of its key.
struct CertificateFacts {
  TimePoint not_after{};
  bool self_signed = false;
  std::string key_type;  // "RSA", "EC", "ED25519", ...
  int key_bits = 0;      // the key's size (RSA modulus, EC curve order)
};
Result<CertificateFacts> InspectCertificate(const std::string& certificate_pem);

// SHA-256 fingerprint of a PEM certificate, as colon-separated upper-case hex (what browsers show).
Result<std::string> CertificateFingerprint(const std::string& certificate_pem);

}  // namespace strongroom::crypto
