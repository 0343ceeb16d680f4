#include "crypto/tls_certificate.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace strongroom::crypto {
namespace {

TEST(TlsCertificateTest, SelfSignedCertificateCoversNamesAndMatchesKey) {
  auto made = MakeSelfSignedCertificate({"records.example", "127.0.0.1", "::1"});
  ASSERT_TRUE(made);
  BIO* bio = BIO_new_mem_buf(made->certificate_pem.data(), -1);
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert, "records.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert, "evil.example", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "::1", 0), 1);
  BIO* kbio = BIO_new_mem_buf(made->private_key_pem.view().data(),
                              static_cast<int>(made->private_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kbio, nullptr, nullptr, nullptr);
  BIO_free(kbio);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(X509_check_private_key(cert, key), 1);
  EVP_PKEY_free(key);
  X509_free(cert);
  auto fp = CertificateFingerprint(made->certificate_pem);
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->size(), 32u * 3 - 1);
}

}  // namespace
}  // namespace strongroom::crypto
