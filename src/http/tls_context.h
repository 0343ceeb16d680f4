#pragma once
// The server's TLS configuration, in one place (OpenSSL 3 through Boost.Asio):
// - TLS 1.2 minimum (1.3 can be required), TLS 1.3 preferred by the handshake itself;
// - TLS 1.2 suites: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 only, server order;
// - no compression, no renegotiation, no session tickets (keys never outlive the process);
// - ALPN offers http/1.1 only.
// The private key file must not be readable by group or others.

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "common/error.h"

namespace strongroom::http {

struct TlsOptions {
  std::filesystem::path certificate;
  std::filesystem::path private_key;
  std::string min_version = "1.2";
};

Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const TlsOptions& options);

}  // namespace strongroom::http
