#include "http/server.h"

#include <fmt/format.h>

#include <array>
#include <thread>

#include "http/proxy_protocol.h"
#include "http/server_impl.h"

namespace strongroom::http {
namespace {

Result<tcp::endpoint> Resolve(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(address, port);
  if (host == "localhost") return tcp::endpoint(asio::ip::make_address("127.0.0.1"), port);
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("listen address '{}' must be an IP address", host));
}

// Binds `host:port`, or adopts `fd` when it is a socket bound already (Prebind).
Result<void> Bind(asio::io_context& ioc, std::optional<tcp::acceptor>& acceptor,
                  const std::string& host, uint16_t port, int fd = -1) {
  ASSIGN_OR_RETURN(auto endpoint, Resolve(host, port));
  boost::system::error_code ec;
  acceptor.emplace(ioc);
  if (fd >= 0) {
    acceptor->assign(endpoint.protocol(), fd, ec);
    if (ec) return Fail(ErrorCode::kInternal, "cannot adopt a bound socket: " + ec.message());
    return {};
  }
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("cannot listen on {}:{}: {}", host, port, ec.message()));
  }
  return {};
}

}  // namespace

Result<void> Prebind(ServerOptions& options) {
  asio::io_context ioc;
  const auto bind = [&ioc](const std::string& host, uint16_t port, int* fd) -> Result<void> {
    std::optional<tcp::acceptor> acceptor;
    RETURN_IF_ERROR(Bind(ioc, acceptor, host, port));
    boost::system::error_code ec;
    *fd = acceptor->release(ec);
    if (ec) return Fail(ErrorCode::kInternal, "cannot keep a bound socket: " + ec.message());
    return {};
  };
  for (auto& l : options.listeners) RETURN_IF_ERROR(bind(l.host, l.port, &l.fd));
  if (options.redirect_enabled) {
    RETURN_IF_ERROR(bind(options.redirect_host, options.redirect_port, &options.redirect_fd));
  }
  return {};
}

std::string HttpsUrl(const std::string& host, uint16_t port) {
  return fmt::format("https://{}:{}", host.find(':') != std::string::npos ? "[" + host + "]" : host,
                     port);
}

Server::Impl::Impl(ServerOptions opts, asio::ssl::context& tls_ctx, const Router& r, ServerHooks h)
    : options(std::move(opts)), tls(tls_ctx), router(r), hooks(std::move(h)) {
  for (int i = 0; i < std::max(1, options.io_threads); ++i) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
  }
  if (options.limits.requests_per_second_per_source > 0) {
    request_buckets = std::make_unique<SourceBuckets>(
        clock, std::max(1, options.limits.request_burst_per_source),
        std::chrono::milliseconds(std::max<int64_t>(
            1, static_cast<int64_t>(1000.0 / options.limits.requests_per_second_per_source))));
  }
}

bool Server::Impl::ShouldReport(const std::string& key) {
  const auto now = clock.Now();
  std::lock_guard lock(limited_mu);
  if (limited.size() >= 100'000) limited.clear();  // bounded; at worst a source is reported again
  auto [it, first] = limited.try_emplace(key, now);
  if (first || now - it->second >= std::chrono::minutes(1)) {
    it->second = now;
    return true;
  }
  return false;
}

int64_t Server::Impl::TakeRequest(const std::string& key, bool* report) {
  *report = false;
  if (!request_buckets) return 0;
  const int64_t wait = request_buckets->Take(key);
  if (wait > 0) *report = ShouldReport(key);
  return wait;
}

Surface Server::Impl::Reach(const Listener& listener, const std::string& source) const {
  Surface reach = listener.surfaces;
  if (!options.admin_allow.Contains(source)) reach = Without(reach, Surface::kAdmin);
  if (!options.metrics_allow.Contains(source)) reach = Without(reach, Surface::kMetrics);
  return reach;
}

asio::io_context& Server::Impl::NextContext() {
  auto& ctx = *contexts[next_context];
  next_context = (next_context + 1) % contexts.size();
  return ctx;
}

bool Server::Impl::Admit(const std::string& source) {
  std::lock_guard lock(mu);
  if (draining || active >= options.limits.max_connections) return false;
  int& n = per_source[source];
  if (n >= options.limits.max_connections_per_source) {
    if (n == 0) per_source.erase(source);
    return false;
  }
  ++n;
  ++active;
  return true;
}

void Server::Impl::Register(ConnectionBase* c, std::weak_ptr<ConnectionBase> w) {
  std::lock_guard lock(mu);
  registry.emplace(c, std::move(w));
}

void Server::Impl::Release(ConnectionBase* c, const std::string& source) {
  std::lock_guard lock(mu);
  registry.erase(c);
  if (auto it = per_source.find(source); it != per_source.end() && --it->second <= 0) {
    per_source.erase(it);
  }
  if (--active == 0) cv.notify_all();
}

// A connection from a load balancer, until its PROXY protocol header is read; on the socket's
// own io_context throughout, so its handlers never run at once.
struct Server::Impl::ProxyRead {
  ProxyRead(std::atomic<int>& counted, tcp::socket s, std::string p)
      : awaiting(counted), socket(std::move(s)), timer(socket.get_executor()), peer(std::move(p)) {}
  ~ProxyRead() { --awaiting; }
  ProxyRead(const ProxyRead&) = delete;
  ProxyRead& operator=(const ProxyRead&) = delete;
  std::atomic<int>& awaiting;
  tcp::socket socket;
  asio::steady_timer timer;
  std::string peer;
  ProxyHeaderReader reader;
  std::array<char, 16 + ProxyHeaderReader::kMaxV2Body> buf{};
  bool started = false;
};

void Server::Impl::Accept(tcp::acceptor& on, const Listener& listener, Start start) {
  on.async_accept(NextContext(), [this, &on, &listener, start](boost::system::error_code ec,
                                                               tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !on.is_open()) return;
    if (!ec) {
      boost::system::error_code ep_ec;
      auto remote = socket.remote_endpoint(ep_ec);
      std::string peer = ep_ec ? "unknown" : remote.address().to_string();
      if (!ep_ec && options.proxy_from.Contains(peer)) {
        // Connections awaiting their header count against the total cap too.
        const int awaiting = awaiting_header.fetch_add(1);
        bool over;
        {
          std::lock_guard lock(mu);
          over = active + awaiting >= options.limits.max_connections;
        }
        if (over) {
          --awaiting_header;
          socket.close(ep_ec);
        } else {
          auto p = std::make_shared<ProxyRead>(awaiting_header, std::move(socket), std::move(peer));
          // On the socket's own io_context from here on, as a connection's handlers all are.
          asio::dispatch(p->socket.get_executor(),
                         [this, p, &listener, start] { ReadProxyHeader(p, listener, start); });
        }
      } else {
        Arrive(std::move(socket), std::move(peer), listener, start);
      }
    }
    Accept(on, listener, start);
  });
}

void Server::Impl::Arrive(tcp::socket socket, std::string source, const Listener& listener,
                          Start start) {
  boost::system::error_code ec;
  const Surface reach = Reach(listener, source);
  if (reach == Surface::kNone) {
    // An outsider at a listener it may not use: closed before TLS, without reading a byte.
    socket.close(ec);
    if (hooks.refused) {
      hooks.refused(Refusal{Refusal::Kind::kProbe, source, "-", 403, ErrorCode::kPermissionDenied,
                            "a connection to a listener from outside its allow-list (further "
                            "ones within a minute are not audited)",
                            ShouldReport("listener " + SourceKey(source))});
    }
  } else if (Admit(source)) {
    start(*this, std::move(socket), std::move(source), listener, reach);
  } else {
    socket.close(ec);  // over a connection cap: refuse without reading a byte
  }
}

void Server::Impl::ReadProxyHeader(std::shared_ptr<ProxyRead> p, const Listener& listener,
                                   Start start) {
  if (!p->started) {
    // The header comes at once or not at all: a balancer that sends none in the handshake's time
    // is cut off, as a client that never finishes its handshake is.
    p->started = true;
    p->timer.expires_after(options.limits.handshake_timeout);
    p->timer.async_wait([p](boost::system::error_code ec) {
      if (ec) return;  // the header came (cancelled)
      boost::system::error_code ignored;
      p->socket.close(ignored);
    });
  }
  asio::async_read(p->socket, asio::buffer(p->buf.data(), p->reader.Wanted()),
                   [this, p, &listener, start](boost::system::error_code ec, size_t n) {
                     if (ec) {
                       p->timer.cancel();
                       return;  // closed by the balancer, or past the timeout
                     }
                     p->reader.Add(std::string_view(p->buf.data(), n));
                     if (!p->reader.failed() && !p->reader.done()) {
                       return ReadProxyHeader(p, listener, start);
                     }
                     p->timer.cancel();
                     ProxyHeaderRead(*p, listener, start);
                   });
}

void Server::Impl::ProxyHeaderRead(ProxyRead& p, const Listener& listener, Start start) {
  // A balancer's own connection (a health check) names no client: it is its own source.
  std::string source = p.reader.source().empty() ? p.peer : p.reader.source();
  const std::string refused =
      p.reader.failed() ? p.reader.error()
      : !MayName(p.peer, source)
          ? "a PROXY protocol header naming this machine's own address from a balancer elsewhere"
          : "";
  boost::system::error_code ignored;
  if (!refused.empty()) {
    p.socket.close(ignored);
    if (hooks.refused) {
      hooks.refused(Refusal{Refusal::Kind::kRequest, p.peer, "-", 400, ErrorCode::kInvalidArgument,
                            refused, ShouldReport("proxy " + SourceKey(p.peer))});
    }
    return;
  }
  if (!p.socket.is_open()) return;  // the timer went off as the header came
  Arrive(std::move(p.socket), std::move(source), listener, start);
}

void Server::Impl::BeginDrain() {
  draining = true;
  boost::system::error_code ec;
  for (auto& a : acceptors) a->close(ec);
  if (redirect_acceptor) redirect_acceptor->close(ec);
  if (signals) signals->cancel(ec);
  std::vector<std::shared_ptr<ConnectionBase>> live;
  {
    std::lock_guard lock(mu);
    for (auto& [ptr, weak] : registry) {
      if (auto c = weak.lock()) live.push_back(std::move(c));
    }
  }
  for (auto& c : live) c->Drain();
}

Server::Server(ServerOptions options, asio::ssl::context& tls, const Router& router,
               ServerHooks hooks)
    : impl_(std::make_unique<Impl>(std::move(options), tls, router, std::move(hooks))) {}

Server::~Server() = default;

Result<void> Server::Listen() {
  auto& o = impl_->options;
  auto& first = *impl_->contexts.front();
  for (const auto& l : o.listeners) {
    std::optional<tcp::acceptor> acceptor;
    RETURN_IF_ERROR(Bind(first, acceptor, l.host, l.port, l.fd));
    auto& bound = impl_->bound.emplace_back(l);
    bound.port = acceptor->local_endpoint().port();
    if (bound.origin.empty()) bound.origin = HttpsUrl(l.host, bound.port);
    impl_->acceptors.push_back(std::make_unique<tcp::acceptor>(std::move(*acceptor)));
  }
  if (o.redirect_enabled) {
    RETURN_IF_ERROR(
        Bind(first, impl_->redirect_acceptor, o.redirect_host, o.redirect_port, o.redirect_fd));
  }
  // The workers are ready (and the anonymous ones at their priority) before the first request.
  impl_->pool = std::make_unique<WorkerPool>(
      impl_->clock, WorkerPoolOptions{o.worker_threads, o.worker_queue, AnonymousThreads(o),
                                      o.anonymous_target, o.anonymous_interval});
  // Signals are caught from here on, so a SIGTERM that arrives before Run is not lost.
  impl_->signals.emplace(first, SIGTERM, SIGINT);
  impl_->signals->async_wait([this](boost::system::error_code ec, int) {
    if (!ec) Shutdown();
  });
  impl_->redirect_origin = impl_->bound.front().origin;
  return {};
}

const std::vector<Listener>& Server::listeners() const { return impl_->bound; }

Server::Load Server::load() const {
  Load load;
  {
    std::lock_guard lock(impl_->mu);
    load.connections = impl_->active;
  }
  if (impl_->pool) {
    load.queued = impl_->pool->Queued();
    load.shed = impl_->pool->Shed();
  }
  return load;
}

uint16_t Server::redirect_port() const {
  return impl_->redirect_acceptor ? impl_->redirect_acceptor->local_endpoint().port() : 0;
}

void Server::Run() {
  auto& s = *impl_;
  for (size_t i = 0; i < s.acceptors.size(); ++i) {
    s.Accept(*s.acceptors[i], s.bound[i], StartTlsConnection);
  }
  if (s.redirect_acceptor) {
    s.Accept(*s.redirect_acceptor, s.redirect_listener, StartRedirectConnection);
  }

  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  for (auto& ctx : s.contexts) {
    guards.push_back(asio::make_work_guard(*ctx));
    threads.emplace_back([&ctx] { ctx->run(); });
  }

  std::unique_lock lock(s.mu);
  s.cv.wait(lock, [&] { return s.shutdown_requested; });
  lock.unlock();
  asio::post(*s.contexts.front(), [&s] { s.BeginDrain(); });
  lock.lock();
  s.cv.wait_for(lock, s.options.limits.shutdown_grace, [&] { return s.active == 0; });
  lock.unlock();

  guards.clear();
  for (auto& ctx : s.contexts) ctx->stop();
  for (auto& t : threads) t.join();
  s.pool->Stop();
  // Connections still open past the grace period are destroyed with the io_context.
}

void Server::Shutdown() {
  std::lock_guard lock(impl_->mu);
  impl_->shutdown_requested = true;
  impl_->cv.notify_all();
}

}  // namespace strongroom::http
