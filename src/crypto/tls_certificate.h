#pragma once
// A self-signed TLS certificate for a new instance (`strongroom init` without real certificate
// paths): ECDSA P-256, SHA-256, valid for one year, with the given DNS names and IP addresses as
// subjectAltName. Operators replace it with a certificate from their own CA.

#include <string>
#include <vector>

#include "common/error.h"
#include "common/secret.h"

namespace strongroom::crypto {

struct CertificateAndKey {
  std::string certificate_pem;
  Secret private_key_pem;
};

Result<CertificateAndKey> MakeSelfSignedCertificate(const std::vector<std::string>& names);

// SHA-256 fingerprint of a PEM certificate, as colon-separated upper-case hex (what browsers show).
Result<std::string> CertificateFingerprint(const std::string& certificate_pem);

}  // namespace strongroom::crypto
