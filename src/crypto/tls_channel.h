#pragma once
// A blocking TLS client connection with mutual authentication, for talking to remote services
// (the audit collector). TLS 1.2 or later; the server's certificate must chain to `ca_file` and
// name `host` (or `server_name` when set); the client presents `cert_file`/`key_file`.
// Every operation is bounded by `timeout`.
//
// Thread-safety: none; one thread uses a channel at a time.

#include <openssl/ssl.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

namespace strongroom::crypto {

struct TlsClientConfig {
  std::string host;
  uint16_t port = 0;
  std::string server_name;  // name the server's certificate must carry; "" = host
  std::filesystem::path ca_file;
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
  std::chrono::milliseconds timeout{10'000};
};

class TlsChannel {
 public:
  static Result<std::unique_ptr<TlsChannel>> Connect(const TlsClientConfig& config);
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  Result<void> Write(std::string_view bytes);
  // Appends what arrives (at least one byte) to `out`; kUnavailable on timeout or close.
  Result<void> Read(std::string& out);

 private:
  TlsChannel() = default;
  Result<void> Wait(bool for_write);
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  std::chrono::milliseconds timeout_{10'000};
};

}  // namespace strongroom::crypto
