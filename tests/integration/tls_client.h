#pragma once
// A deliberately plain, blocking TLS client for integration tests, built on OpenSSL directly so
// that tests can choose protocol versions and suites the server must refuse, and send bytes that
// no well-behaved HTTP library would.

#include <openssl/ssl.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace strongroom::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased; the first of repeated fields
  std::vector<std::string> set_cookies;        // every Set-Cookie, in order
  std::string body;
  std::string raw;
};

// Parses one response (status line, headers, Content-Length body) from the front of `raw`.
HttpResponse ParseHttpResponse(const std::string& raw);

// `source`: a local address to connect from (e.g. "127.0.0.7"), "" for any.
int TcpConnect(uint16_t port, const std::string& source = "");

struct TlsOptions {
  int min_version = 0;  // e.g. TLS1_VERSION; 0 = library default
  int max_version = 0;
  std::string tls12_ciphers;     // "" = library default
  bool allow_legacy = false;     // security level 0, so the client itself can offer old protocols
  std::string source_address;    // connect from this loopback address ("" = any)
  std::string before_handshake;  // bytes sent in the clear first (a PROXY protocol header)

  // Offers exactly one protocol version.
  static TlsOptions Exactly(int version) {
    TlsOptions o;
    o.min_version = o.max_version = version;
    return o;
  }
};

class TlsClient {
 public:
  // Connects and handshakes; on failure returns null and puts OpenSSL's reason in `*error`.
  static std::unique_ptr<TlsClient> Connect(uint16_t port, const TlsOptions& options = {},
                                            std::string* error = nullptr);
  ~TlsClient();

  bool Send(const std::string& bytes);
  // Reads one complete response; status 0 if the connection closed or timed out first.
  HttpResponse ReadResponse(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Sends a request and reads its response.
  HttpResponse Request(const std::string& request);
  // Reads until the server closes; true if it closed within `timeout`.
  bool WaitClosed(std::chrono::milliseconds timeout, std::string* received = nullptr);

  int version() const;
  std::string cipher() const;
  // The common name on the certificate the server presented.
  std::string PeerCommonName() const;

 private:
  TlsClient() = default;
  int ReadSome(char* buf, int n, std::chrono::milliseconds timeout);
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  std::string pending_;
};

// One GET on a fresh connection.
HttpResponse HttpsGet(uint16_t port, const std::string& path);

}  // namespace strongroom::testing
