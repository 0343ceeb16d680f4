#include "crypto/tls_channel.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace strongroom::crypto {
namespace {

std::unexpected<Error> Unavailable(std::string what) {
  ERR_clear_error();
  return Fail(ErrorCode::kUnavailable, std::move(what));
}

}  // namespace

Result<std::unique_ptr<TlsChannel>> TlsChannel::Connect(const TlsClientConfig& c) {
  std::unique_ptr<TlsChannel> ch(new TlsChannel());
  ch->timeout_ = c.timeout;
  ch->ctx_ = SSL_CTX_new(TLS_client_method());
  if (ch->ctx_ == nullptr) return Fail(ErrorCode::kInternal, "cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ch->ctx_, TLS1_2_VERSION);
  SSL_CTX_set_verify(ch->ctx_, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ch->ctx_, c.ca_file.c_str(), nullptr) != 1 ||
      SSL_CTX_use_certificate_chain_file(ch->ctx_, c.cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ch->ctx_, c.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ch->ctx_) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kFailedPrecondition,
                "cannot load the collector CA, client certificate or client key");
  }

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(c.host.c_str(), std::to_string(c.port).c_str(), &hints, &res) != 0) {
    return Unavailable(fmt::format("cannot resolve {}", c.host));
  }
  // Each address in turn until one connects: a name may resolve to addresses (IPv6 first, say)
  // the collector does not listen on.
  for (addrinfo* ai = res; ai != nullptr && ch->fd_ < 0; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    ch->fd_ = fd;
    const bool started = ::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS;
    int so_error = started ? 0 : errno;
    if (started && ch->Wait(true)) {
      socklen_t len = sizeof so_error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    } else if (started) {
      so_error = ETIMEDOUT;
    }
    if (so_error != 0) {
      ::close(fd);
      ch->fd_ = -1;
    }
  }
  ::freeaddrinfo(res);
  if (ch->fd_ < 0) return Unavailable(fmt::format("cannot connect to {}:{}", c.host, c.port));

  ch->ssl_ = SSL_new(ch->ctx_);
  SSL_set_fd(ch->ssl_, ch->fd_);
  const std::string& name = c.server_name.empty() ? c.host : c.server_name;
  SSL_set_tlsext_host_name(ch->ssl_, name.c_str());
  SSL_set1_host(ch->ssl_, name.c_str());
  for (;;) {
    const int r = SSL_connect(ch->ssl_);
    if (r == 1) break;
    const int err = SSL_get_error(ch->ssl_, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      RETURN_IF_ERROR(ch->Wait(err == SSL_ERROR_WANT_WRITE));
      continue;
    }
    const long verify = SSL_get_verify_result(ch->ssl_);
    return Unavailable(verify != X509_V_OK
                           ? fmt::format("collector certificate refused: {}",
                                         X509_verify_cert_error_string(verify))
                           : std::string("TLS handshake with the collector failed"));
  }
  return ch;
}

TlsChannel::~TlsChannel() {
  if (ssl_ != nullptr) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

Result<void> TlsChannel::Wait(bool for_write) {
  pollfd p{fd_, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  const int n = ::poll(&p, 1, static_cast<int>(timeout_.count()));
  if (n <= 0) return Unavailable("the collector did not answer in time");
  return {};
}

Result<void> TlsChannel::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    const int n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      RETURN_IF_ERROR(Wait(err == SSL_ERROR_WANT_WRITE));
      continue;
    }
    return Unavailable("the connection to the collector broke");
  }
  return {};
}

Result<void> TlsChannel::Read(std::string& out) {
  char buf[4096];
  for (;;) {
    const int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      return {};
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      RETURN_IF_ERROR(Wait(err == SSL_ERROR_WANT_WRITE));
      continue;
    }
    return Unavailable("the collector closed the connection");
  }
}

}  // namespace strongroom::crypto
