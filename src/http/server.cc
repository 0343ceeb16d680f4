#include "http/server.h"

#include <fmt/format.h>

#include <thread>

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

Result<void> Bind(asio::io_context& ioc, std::optional<tcp::acceptor>& acceptor,
                  const std::string& host, uint16_t port) {
  ASSIGN_OR_RETURN(auto endpoint, Resolve(host, port));
  boost::system::error_code ec;
  acceptor.emplace(ioc);
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

std::string AllowanceKey(const std::string& source) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(source, ec);
  if (ec || !address.is_v6() || address.to_v6().is_v4_mapped()) return source;
  auto bytes = address.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return asio::ip::address_v6(bytes).to_string() + "/64";
}

int64_t Server::Impl::TakeRequest(const std::string& key, bool* report) {
  *report = false;
  if (!request_buckets) return 0;
  const int64_t wait = request_buckets->Take(key);
  if (wait == 0) return 0;
  // Reported at most once a minute per source, however its requests come and go.
  const auto now = clock.Now();
  std::lock_guard lock(limited_mu);
  if (limited.size() >= 100'000) limited.clear();  // bounded; at worst a source is reported again
  auto [it, first] = limited.try_emplace(key, now);
  if (first || now - it->second >= std::chrono::minutes(1)) {
    it->second = now;
    *report = true;
  }
  return wait;
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

void Server::Impl::Accept(tcp::acceptor& on, Start start) {
  on.async_accept(
      NextContext(), [this, &on, start](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !on.is_open()) return;
        if (!ec) {
          boost::system::error_code ep_ec;
          auto remote = socket.remote_endpoint(ep_ec);
          std::string source = ep_ec ? "unknown" : remote.address().to_string();
          if (Admit(source)) {
            start(*this, std::move(socket), std::move(source));
          } else {
            socket.close(ep_ec);  // over a connection cap: refuse without reading a byte
          }
        }
        Accept(on, start);
      });
}

void Server::Impl::BeginDrain() {
  draining = true;
  boost::system::error_code ec;
  if (acceptor) acceptor->close(ec);
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
  RETURN_IF_ERROR(Bind(first, impl_->acceptor, o.host, o.port));
  if (o.redirect_enabled) {
    RETURN_IF_ERROR(Bind(first, impl_->redirect_acceptor, o.redirect_host, o.redirect_port));
  }
  // Signals are caught from here on, so a SIGTERM that arrives before Run is not lost.
  impl_->signals.emplace(first, SIGTERM, SIGINT);
  impl_->signals->async_wait([this](boost::system::error_code ec, int) {
    if (!ec) Shutdown();
  });
  impl_->redirect_origin = o.public_origin.empty() ? HttpsUrl(o.host, port()) : o.public_origin;
  return {};
}

uint16_t Server::port() const {
  return impl_->acceptor ? impl_->acceptor->local_endpoint().port() : 0;
}

const std::string& Server::origin() const { return impl_->redirect_origin; }

uint16_t Server::redirect_port() const {
  return impl_->redirect_acceptor ? impl_->redirect_acceptor->local_endpoint().port() : 0;
}

void Server::Run() {
  auto& s = *impl_;
  s.pool = std::make_unique<WorkerPool>(s.options.worker_threads, s.options.worker_queue);
  s.Accept(*s.acceptor, StartTlsConnection);
  if (s.redirect_acceptor) s.Accept(*s.redirect_acceptor, StartRedirectConnection);

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
