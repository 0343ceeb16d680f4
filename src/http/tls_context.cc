#include "http/tls_context.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

namespace strongroom::http {
namespace {

constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const TlsOptions& options) {
  struct stat st {};
  if (::stat(options.private_key.c_str(), &st) != 0) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("cannot read TLS private key {}", options.private_key.string()));
  }
  if ((st.st_mode & 077) != 0) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("TLS private key {} is readable by group or others; run: chmod 600 {}",
                            options.private_key.string(), options.private_key.string()));
  }
  auto ctx = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  const int min = options.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(native, min) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(native, kTls13Suites) != 1 ||
      SSL_CTX_set1_groups_list(native, "X25519:P-256:P-384") != 1) {
    return Fail(ErrorCode::kInternal, "cannot configure TLS");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  SSL_CTX_set_alpn_select_cb(native, SelectAlpn, nullptr);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(options.certificate.string(), ec);
  if (ec) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("cannot load TLS certificate {}", options.certificate.string()));
  }
  ctx->use_private_key_file(options.private_key.string(), boost::asio::ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(native) != 1) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("cannot load TLS private key {}, or it does not match the certificate",
                            options.private_key.string()));
  }
  return ctx;
}

}  // namespace strongroom::http
