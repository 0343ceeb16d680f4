#include "integration/tls_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace strongroom::testing {
namespace {

// A server closing a connection mid-write must fail the write, not kill the test.
const bool kIgnoreSigpipe = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string OpenSslError() {
  std::string out;
  unsigned long e;
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof buf);
    out += std::string(buf) + "; ";
  }
  return out;
}

// Number of bytes of a complete response at the front of `raw`, or 0 if incomplete.
size_t CompleteLength(const std::string& raw) {
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  auto r = ParseHttpResponse(raw.substr(0, end + 4));
  size_t body = 0;
  if (auto it = r.headers.find("content-length"); it != r.headers.end())
    body = std::stoul(it->second);
  return raw.size() >= end + 4 + body ? end + 4 + body : 0;
}

}  // namespace

HttpResponse ParseHttpResponse(const std::string& raw) {
  HttpResponse r;
  r.raw = raw;
  const auto end = raw.find("\r\n\r\n");
  if (!raw.starts_with("HTTP/1.1 ") || end == std::string::npos) return r;
  r.status = std::stoi(raw.substr(9, 3));
  size_t pos = raw.find("\r\n") + 2;
  while (pos < end) {
    const auto eol = raw.find("\r\n", pos);
    const auto line = raw.substr(pos, eol - pos);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      const auto name = Lower(line.substr(0, colon));
      if (name == "set-cookie") r.set_cookies.push_back(value);
      r.headers.emplace(name, value);  // the first of repeated fields
    }
    pos = eol + 2;
  }
  size_t len = 0;
  if (auto it = r.headers.find("content-length"); it != r.headers.end())
    len = std::stoul(it->second);
  r.body = raw.substr(end + 4, len);
  return r;
}

int TcpConnect(uint16_t port, const std::string& source) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (!source.empty()) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source.c_str(), &from.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::unique_ptr<TlsClient> TlsClient::Connect(uint16_t port, const TlsOptions& o,
                                              std::string* error) {
  std::unique_ptr<TlsClient> c(new TlsClient());
  c->ctx_ = SSL_CTX_new(TLS_client_method());
  if (o.allow_legacy) SSL_CTX_set_security_level(c->ctx_, 0);
  if (o.min_version) SSL_CTX_set_min_proto_version(c->ctx_, o.min_version);
  if (o.max_version) SSL_CTX_set_max_proto_version(c->ctx_, o.max_version);
  if (!o.tls12_ciphers.empty()) SSL_CTX_set_cipher_list(c->ctx_, o.tls12_ciphers.c_str());
  c->fd_ = TcpConnect(port, o.source_address);
  if (c->fd_ < 0) {
    if (error) *error = "connect failed";
    return nullptr;
  }
  timeval tv{10, 0};
  ::setsockopt(c->fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (!o.before_handshake.empty() &&
      ::send(c->fd_, o.before_handshake.data(), o.before_handshake.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(o.before_handshake.size())) {
    if (error) *error = "send failed";
    return nullptr;
  }
  c->ssl_ = SSL_new(c->ctx_);
  SSL_set_fd(c->ssl_, c->fd_);
  SSL_set_tlsext_host_name(c->ssl_, "localhost");
  ERR_clear_error();
  if (SSL_connect(c->ssl_) != 1) {
    if (error) *error = OpenSslError();
    return nullptr;
  }
  return c;
}

TlsClient::~TlsClient() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool TlsClient::Send(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const int n = SSL_write(ssl_, bytes.data() + off, static_cast<int>(bytes.size() - off));
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

int TlsClient::ReadSome(char* buf, int n, std::chrono::milliseconds timeout) {
  if (SSL_pending(ssl_) == 0) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return -2;  // timed out
  }
  return SSL_read(ssl_, buf, n);
}

HttpResponse TlsClient::ReadResponse(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[16384];
  for (;;) {
    if (size_t n = CompleteLength(pending_); n > 0) {
      auto r = ParseHttpResponse(pending_.substr(0, n));
      pending_.erase(0, n);
      return r;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    const int n = ReadSome(buf, sizeof buf, left);
    if (n <= 0) return HttpResponse{0, {}, {}, pending_};
    pending_.append(buf, static_cast<size_t>(n));
  }
}

HttpResponse TlsClient::Request(const std::string& request) {
  if (!Send(request)) return {};
  return ReadResponse();
}

bool TlsClient::WaitClosed(std::chrono::milliseconds timeout, std::string* received) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    const int n = ReadSome(buf, sizeof buf, left);
    if (n == -2) return false;
    if (n <= 0) return true;
    if (received) received->append(buf, static_cast<size_t>(n));
  }
}

int TlsClient::version() const { return SSL_version(ssl_); }
std::string TlsClient::cipher() const { return SSL_get_cipher_name(ssl_); }

std::string TlsClient::PeerCommonName() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return "";
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof name);
  X509_free(cert);
  return name;
}

HttpResponse HttpsGet(uint16_t port, const std::string& path) {
  auto c = TlsClient::Connect(port);
  if (!c) return {};
  return c->Request("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
}

}  // namespace strongroom::testing
