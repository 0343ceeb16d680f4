// The optional plain-HTTP listener: every request, whatever its method, gets `308 Permanent
// Redirect` to the same path on the https origin, with no body, and the connection is closed.
// Nothing else is ever served in plaintext. The origin is configured, never taken from the
// request's Host header, so the redirect cannot be pointed elsewhere.

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http/server_impl.h"

namespace strongroom::http {
namespace {

namespace beast = boost::beast;

constexpr size_t kMaxRedirectTarget = 2048;

class RedirectConnection final : public ConnectionBase,
                                 public std::enable_shared_from_this<RedirectConnection> {
 public:
  RedirectConnection(Server::Impl& server, tcp::socket socket, std::string source)
      : server_(server), stream_(std::move(socket)), source_(std::move(source)) {}
  ~RedirectConnection() override { server_.Release(this, source_); }

  void Start() {
    server_.Register(this, weak_from_this());
    parser_.header_limit(static_cast<std::uint32_t>(server_.options.limits.max_header_bytes));
    parser_.body_limit(0);
    stream_.expires_after(server_.options.limits.header_timeout);
    beast_http::async_read_header(stream_, buffer_, parser_,
                                  [self = shared_from_this()](beast::error_code ec, size_t) {
                                    if (!ec) self->Redirect();
                                  });
  }

  void Drain() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->stream_.cancel(); });
  }

 private:
  void Redirect() {
    const std::string_view target = parser_.get().target();
    const bool path_ok =
        target.starts_with('/') && !target.starts_with("//") && target.size() <= kMaxRedirectTarget;
    response_.version(11);
    response_.result(beast_http::status::permanent_redirect);
    response_.set(beast_http::field::location,
                  server_.redirect_origin + (path_ok ? std::string(target) : std::string("/")));
    response_.keep_alive(false);
    response_.prepare_payload();
    beast_http::async_write(stream_, response_,
                            [self = shared_from_this()](beast::error_code, size_t) {
                              beast::error_code ignored;
                              self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                            });
  }

  Server::Impl& server_;
  beast::tcp_stream stream_;
  const std::string source_;
  beast::flat_buffer buffer_;
  beast_http::request_parser<beast_http::empty_body> parser_;
  beast_http::response<beast_http::empty_body> response_;
};

}  // namespace

void StartRedirectConnection(Server::Impl& server, tcp::socket socket, std::string source,
                             const Listener&, Surface) {
  std::make_shared<RedirectConnection>(server, std::move(socket), std::move(source))->Start();
}

}  // namespace strongroom::http
