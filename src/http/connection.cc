// One TLS connection: handshake, then requests one after another (keep-alive), each bounded in
// header size and time, body size and time; handlers run inline or on the worker pool.
//
// All of a connection's state is touched only on its own io_context's thread; the worker pool hands
// results back by posting to it.

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>

#include "common/secret.h"
#include "crypto/random.h"
#include "http/error_response.h"
#include "http/framing.h"
#include "http/server_impl.h"
#include "http/wire.h"

namespace strongroom::http {
namespace {

namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;

bool IsParseError(const boost::system::error_code& ec) {
  return ec.category() == beast_http::make_error_code(beast_http::error::bad_target).category();
}

// Request ids must be unique and unguessable but are not secrets, so they are drawn from a
// per-thread pool filled from the system generator 64 ids at a time (one CSPRNG call per request
// was 3 % of an I/O thread's time).
std::string NewRequestId() {
  constexpr size_t kIdBytes = 8;
  thread_local std::array<uint8_t, 64 * kIdBytes> pool;
  thread_local size_t used = pool.size();
  if (used == pool.size()) {
    crypto::DefaultRandom().Fill(pool);
    used = 0;
  }
  const auto id = HexEncode(std::span<const uint8_t>(pool.data() + used, kIdBytes));
  used += kIdBytes;
  return id;
}

constexpr std::string_view kBusy = "the service is busy; retry shortly";

// A request to a route for people signed in that presents credentials is theirs (reads before
// writes); everything else, and whatever presents none, is anonymous and shed first. The
// credentials are not checked here: forged ones buy a place in the queue for a request that is
// refused after a look-up (an unknown API token's refusal is audited), never the expensive
// anonymous work (sign-in, Argon2id), whose routes take none.
Priority PriorityOf(const Request& request, Caller caller) {
  if (caller == Caller::kOperations) return Priority::kSignedInRead;
  if (caller != Caller::kSignedIn || !PresentsCredentials(request)) return Priority::kAnonymous;
  const auto m = request.method();
  return m == beast_http::verb::get || m == beast_http::verb::head ? Priority::kSignedInRead
                                                                   : Priority::kSignedInWrite;
}

Result<Response> Invoke(const Handler& handler, Request& request) {
  try {
    return handler(request);
  } catch (const std::exception&) {
    return Fail(ErrorCode::kInternal, "handler threw");
  }
}

class TlsConnection final : public ConnectionBase,
                            public std::enable_shared_from_this<TlsConnection> {
 public:
  TlsConnection(Server::Impl& server, tcp::socket socket, std::string source,
                const Listener& listener, Surface reach)
      : server_(server),
        stream_(std::move(socket), listener.tls != nullptr ? *listener.tls : server.tls),
        source_(std::move(source)),
        allowance_(SourceKey(source_)),
        listener_(listener),
        reach_(reach) {}

  ~TlsConnection() override { server_.Release(this, source_); }

  void Start() {
    server_.Register(this, weak_from_this());
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Handshake(); });
  }

  void Drain() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->keep_alive_ = false;
      if (self->state_ == State::kIdle || self->state_ == State::kHandshake) {
        beast::get_lowest_layer(self->stream_).cancel();
      }
    });
  }

 private:
  enum class State { kHandshake, kReading, kProcessing, kIdle, kClosing };

  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void Handshake() {
    Tcp().expires_after(server_.options.limits.handshake_timeout);
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code ec) {
                              // A failed handshake (plaintext, old protocol, bad suite) gets no
                              // HTTP response: the connection is simply dropped.
                              if (!ec) self->ReadHeader();
                            });
  }

  void ReadHeader() {
    state_ = State::kReading;
    request_id_ = NewRequestId();
    started_ = Clock::now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options.limits.max_header_bytes));
    parser_->body_limit(server_.options.limits.max_body_bytes);
    Tcp().expires_after(server_.options.limits.header_timeout);
    beast_http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  // A read that failed: a size limit hit is answered (431, 413), anything else closes.
  void ReadFailed(beast::error_code ec) {
    if (ec == beast_http::error::header_limit) {
      // Not inspected: its header was never parsed, and its first line alone is not the request.
      return SendProtocolError(431, ErrorCode::kResourceExhausted, "request header too large",
                               nullptr, false);
    }
    // The parser compares a declared Content-Length with its body limit once the header is in.
    if (ec == beast_http::error::body_limit) {
      // Inspected without the part of the body read so far: up to the limit of bytes that will
      // never be served, and costly to scan.
      auto request = RefusedRequest();
      if (request) request->message.body().clear();
      return SendProtocolError(413, ErrorCode::kResourceExhausted, "request body too large",
                               std::move(request));
    }
    OnReadError(ec);
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return ReadFailed(ec);
    switch (CheckFraming(parser_->get())) {
      case Framing::kOk:
        break;
      case Framing::kBadRequest:
        return SendProtocolError(400, ErrorCode::kInvalidArgument,
                                 "request framing is ambiguous (Transfer-Encoding)");
      case Framing::kNotImplemented:
        return SendProtocolError(501, ErrorCode::kInvalidArgument,
                                 "only the chunked transfer coding is accepted");
    }
    if (parser_->is_done()) return Dispatch();
    Tcp().expires_after(server_.options.limits.body_timeout);
    beast_http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code e, size_t) { self->OnBody(e); });
  }

  void OnBody(beast::error_code ec) {
    if (ec) return ReadFailed(ec);
    Dispatch();
  }

  void OnReadError(beast::error_code ec) {
    // A malformed request is answered once, then the connection is closed: after a framing error
    // nothing that follows on the stream can be trusted. Timeouts and resets are just closed.
    if (IsParseError(ec) && ec != beast_http::error::end_of_stream &&
        ec != beast_http::error::partial_message) {
      return SendProtocolError(400, ErrorCode::kInvalidArgument, "malformed HTTP request");
    }
  }

  // Refuses a request that cannot be served as sent, and has what was read of it inspected: an
  // attack that is also malformed is still an attack.
  void SendProtocolError(unsigned status, ErrorCode code, std::string_view message,
                         std::shared_ptr<Request> request = nullptr, bool inspect = true) {
    keep_alive_ = false;
    method_ = "-";
    route_ = "-";
    if (server_.hooks.refused) {
      server_.hooks.refused(
          Refusal{Refusal::Kind::kRequest, source_, request_id_, status, code, message});
    }
    if (server_.hooks.inspector != nullptr && inspect) {
      if (!request) request = RefusedRequest();
      if (request) server_.hooks.inspector->Observe(std::move(request));
    }
    Send(ProtocolErrorResponse(status, code, message, request_id_), false);
  }

  // Over the source's request allowance: 429 with Retry-After, keeping the connection. Audited
  // at most once a minute per source; the rest are counted and answered.
  void RateLimited(const Request& request, int64_t wait, bool report) {
    route_ = "-";
    static constexpr std::string_view kWhy = "too many requests from this address";
    if (server_.hooks.refused) {
      server_.hooks.refused(Refusal{Refusal::Kind::kRequest, source_, request_id_, 429,
                                    ErrorCode::kResourceExhausted,
                                    "over the per-source request rate (further refusals within a "
                                    "minute are not audited)",
                                    report});
    }
    Send(RefusalAnswer(request, Error{ErrorCode::kResourceExhausted, std::string(kWhy), wait}),
         keep_alive_);
  }

  // The answer to a request refused here: the API's JSON, or the page the hook makes of it (with
  // the JSON's status and Retry-After).
  Response RefusalAnswer(const Request& request, const Error& error,
                         std::optional<Response> json = std::nullopt) {
    if (!json) json = ErrorResponse(error, request_id_);
    if (!server_.hooks.refusal_page) return std::move(*json);
    auto page = server_.hooks.refusal_page(request, error);
    if (!page) return std::move(*json);
    page->status = json->status;
    for (auto& header : json->headers) {
      if (header.first == "Retry-After") page->headers.push_back(std::move(header));
    }
    return std::move(*page);
  }

  void Dispatch() {
    state_ = State::kProcessing;
    Tcp().expires_never();
    auto request = NewRequest();
    request->message = parser_->release();
    parser_.reset();
    keep_alive_ = request->message.keep_alive() && !server_.draining;
    method_ = std::string(request->message.method_string());

    bool report = false;
    SplitTarget(*request);
    if (const int64_t wait = server_.TakeRequest(allowance_, &report); wait > 0) {
      return RateLimited(*request, wait, report);
    }
    if (const unsigned refused = RefuseTarget(request->message.target()); refused != 0) {
      route_ = "-";
      return SendProtocolError(
          refused, ErrorCode::kInvalidArgument,
          refused == 414 ? "request target too long" : "request target must be a path", request);
    }
    // Found once, here: the inspector is told what the path names, and the route runs after it.
    auto match = std::make_shared<Router::Match>(
        server_.router.Find(request->method(), request->path, reach_));
    Inspector* inspector = server_.hooks.inspector;
    if (inspector == nullptr) return Route(request, *match);
    // What the path names here: nothing (scanners ask for many such paths), or a route for anyone,
    // or one for people signed in (its handler authenticates before it reads the body, so what the
    // body holds is theirs: record content, not an anonymous visitor's).
    const auto route = match->handler == nullptr && match->async == nullptr ? RouteKind::kNone
                       : match->caller == Caller::kSignedIn                 ? RouteKind::kSignedIn
                                                                            : RouteKind::kAnonymous;
    auto self = shared_from_this();
    auto verdict = inspector->Inspect(request, route, [self, request, match](Verdict v) {
      asio::post(self->stream_.get_executor(),
                 [self, request, match, v = std::move(v)] { self->Inspected(request, *match, v); });
    });
    if (verdict) Inspected(request, *match, *verdict);
  }

  std::shared_ptr<Request> NewRequest() const {
    auto request = std::make_shared<Request>();
    request->remote_address = source_;
    request->request_id = request_id_;
    request->reach = reach_;
    request->origin = listener_.origin;
    return request;
  }

  // What was read of a request refused before routing, for the inspector to look at: what the
  // parser made of it (its start line and the fields before the fault, or all of it), else, when
  // the start line itself is at fault, that line as sent.
  std::shared_ptr<Request> RefusedRequest() {
    auto request = NewRequest();
    if (parser_ && !parser_->get().target().empty()) {
      request->message = parser_->get();
    } else {
      std::string_view raw(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      raw = raw.substr(0, raw.find_first_of("\r\n"));
      const auto first = raw.find(' ');
      const auto last = raw.rfind(' ');
      if (raw.empty() || first == std::string_view::npos) return nullptr;
      request->message.method_string(raw.substr(0, first));
      request->message.target(last > first ? raw.substr(first + 1, last - first - 1)
                                           : raw.substr(first + 1));
    }
    SplitTarget(*request);
    return request;
  }

  // The inspector's answer: refused, or on to the route.
  void Inspected(const std::shared_ptr<Request>& request, Router::Match& match,
                 const Verdict& verdict) {
    if (!verdict.refuse) return Route(request, match);
    route_ = "-";
    const auto code = verdict.status == 503   ? ErrorCode::kUnavailable
                      : verdict.status == 429 ? ErrorCode::kResourceExhausted
                                              : ErrorCode::kPermissionDenied;
    Send(RefusalAnswer(*request, Error{code, verdict.reason, verdict.retry_after}), keep_alive_);
  }

  void Route(const std::shared_ptr<Request>& request, Router::Match& match) {
    if (match.handler == nullptr && match.async == nullptr) {
      route_ = "-";
      if (match.elsewhere != Surface::kNone && server_.hooks.refused) {
        server_.hooks.refused(Refusal{
            Refusal::Kind::kProbe, source_, request_id_, 404, ErrorCode::kNotFound,
            fmt::format("a route of the {} surface asked on a listener reaching {} (further "
                        "probes from this address within a minute are not audited)",
                        SurfaceName(match.elsewhere), SurfaceName(reach_)),
            server_.ShouldReport("probe " + allowance_)});
      }
      if (match.method_mismatch) {
        static constexpr std::string_view kNotAllowed = "method not allowed on this path";
        return Send(
            RefusalAnswer(
                *request, Error{ErrorCode::kInvalidArgument, std::string(kNotAllowed)},
                ProtocolErrorResponse(405, ErrorCode::kInvalidArgument, kNotAllowed, request_id_)),
            keep_alive_);
      }
      return Send(RefusalAnswer(*request, Error{ErrorCode::kNotFound, "no such resource"}),
                  keep_alive_);
    }
    route_ = *match.pattern;
    request->route = route_;
    request->params = std::move(match.params);
    const Handler* handler = match.handler;
    if (handler != nullptr && match.dispatch == Dispatch::kInline) {
      return Complete(Invoke(*handler, *request));
    }
    auto self = shared_from_this();
    // Called from any thread; hops back to this connection's thread, where an error becomes the
    // route's own response if it has one. Only the first call counts.
    auto answered = std::make_shared<std::atomic<bool>>(false);
    Respond respond = [self, request, answered, errors = match.errors](Result<Response> result) {
      if (answered->exchange(true)) return;
      asio::post(self->stream_.get_executor(),
                 [self, errors, result = std::move(result)]() mutable {
                   if (!result && errors != nullptr && *errors) {
                     self->NoteFailure(result.error());
                     result = (*errors)(result.error());
                   }
                   self->Complete(std::move(result));
                 });
    };
    const AsyncHandler* async = match.async;
    auto start = [request, handler, async, respond] {
      if (handler != nullptr) return respond(Invoke(*handler, *request));
      try {
        (*async)(*request, respond);
      } catch (...) {
        respond(Fail(ErrorCode::kInternal, "handler threw"));
      }
    };
    if (async != nullptr && match.inline_if != nullptr && match.inline_if(*request)) {
      return start();
    }
    // Shed later (it waited too long, or a signed-in request needed its place): answered 503.
    auto shed = [self, request, respond] {
      respond(self->RefusalAnswer(*request, Error{ErrorCode::kUnavailable, std::string(kBusy)}));
    };
    if (!server_.pool->TrySubmit(PriorityOf(*request, match.caller), std::move(start),
                                 std::move(shed))) {
      Send(RefusalAnswer(*request, Error{ErrorCode::kUnavailable, std::string(kBusy)}),
           keep_alive_);
    }
  }

  void Complete(Result<Response> result) {
    if (!result) NoteFailure(result.error());
    Send(result ? std::move(*result) : ErrorResponse(result.error(), request_id_), keep_alive_);
  }

  void NoteFailure(const Error& error) {
    if (error.code != ErrorCode::kInternal && error.code != ErrorCode::kDataLoss) return;
    if (server_.hooks.failed) server_.hooks.failed(request_id_, error);
  }

  void Send(Response r, bool keep_alive) {
    // One buffer, one write: the response is serialised here rather than by Beast's serializer
    // (a quarter of the I/O thread's time went to its buffer sequences), and head and body leave
    // together. (Not a two-buffer sequence: through Beast's flat_stream, asio::async_write takes
    // the empty remainder of the first buffer for the end and never sends a large second one.)
    wire_.clear();
    status_ = r.status;
    if (!AppendResponse(r, request_id_, keep_alive, wire_)) {
      // A handler produced a header that cannot be sent; the error answer always can.
      wire_.clear();
      r = ErrorResponse(Error{ErrorCode::kInternal, "internal error"}, request_id_);
      status_ = r.status;
      (void)AppendResponse(r, request_id_, keep_alive, wire_);
    }
    Tcp().expires_after(server_.options.limits.body_timeout);
    asio::async_write(stream_, asio::buffer(wire_),
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        self->OnWrite(ec, keep_alive);
                      });
  }

  void OnWrite(beast::error_code ec, bool keep_alive) {
    // The answer may hold decrypted records or keys: wiped once sent, not left for the keep-alive.
    // The capacity is kept for the next answer, unless a large body grew it.
    SecureWipe(std::span(reinterpret_cast<uint8_t*>(wire_.data()), wire_.size()));
    wire_.clear();
    if (wire_.capacity() > kKeptCapacity) wire_ = std::string();
    if (server_.hooks.access_log) {
      server_.hooks.access_log(AccessRecord{
          method_, route_, status_,
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_),
          request_id_});
    }
    if (ec) return;
    if (!keep_alive || !keep_alive_ || server_.draining) return Close();
    if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
    state_ = State::kIdle;
    Tcp().expires_after(server_.options.limits.keepalive_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code e, size_t n) {
                              if (e) return;  // idle timeout, drain or the client left
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void Close() {
    state_ = State::kClosing;
    Tcp().expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      self->Tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  Server::Impl& server_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  const std::string source_;
  const std::string allowance_;  // whose request allowance this connection's requests take
  const Listener& listener_;     // the server's, which outlives its connections
  const Surface reach_;          // what this connection's requests may reach
  beast::flat_buffer buffer_;
  std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
  // The response being written.
  static constexpr size_t kKeptCapacity = 64 * 1024;
  std::string wire_;
  State state_ = State::kHandshake;
  bool keep_alive_ = true;
  std::string request_id_;
  std::string method_;
  std::string route_;
  unsigned status_ = 0;
  Clock::time_point started_;
};

}  // namespace

void StartTlsConnection(Server::Impl& server, tcp::socket socket, std::string source,
                        const Listener& listener, Surface reach) {
  std::make_shared<TlsConnection>(server, std::move(socket), std::move(source), listener, reach)
      ->Start();
}

}  // namespace strongroom::http
