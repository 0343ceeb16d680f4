#pragma once
// The HTTPS server: Boost.Beast over Asio with OpenSSL, asynchronous I/O on a fixed number of
// threads (no thread per connection), handlers that may block run on a bounded worker pool.
//
// Every resource a client can consume is bounded: total and per-source connections, TLS handshake
// time, time to send the header (from the first byte of a request), header size, body size and
// time, and keep-alive idle time. Over a limit the client gets 408/413/431/503 or is cut off, and
// everyone else goes on being served. Plaintext sent to the TLS port fails the handshake and gets
// no HTTP response. An optional plain-HTTP listener answers every request with a 308 to the https
// origin and nothing else.
//
// Listeners by purpose: each HTTPS listener serves a set of surfaces (common/surface.h). A
// connection from a source outside a surface's allow-list does not reach that surface; one that
// reaches none of its listener's (an outsider at the admin listener) is closed before the TLS
// handshake, without reading a byte, and reported. A route asked on a listener that does not serve
// its surface is answered 404, exactly as a path that does not exist, and reported as a probe.
//
// Lifecycle: construct, Listen() (binds, and from then on catches SIGTERM/SIGINT; ports are known
// after it), Run() (blocks), and Shutdown() from any thread (or on those signals) to stop
// accepting, let in-flight requests finish within the grace period, and return from Run.
//
// Thread-safety: Shutdown and the port accessors may be called from any thread.

#include <algorithm>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/cidr.h"
#include "common/config.h"
#include "common/error.h"
#include "common/surface.h"
#include "http/inspector.h"
#include "http/router.h"

namespace strongroom::http {

struct Listener {
  Surface surfaces = Surface::kPublic;
  std::string host = "127.0.0.1";
  uint16_t port = 8443;
  std::string origin;  // its https origin, for the Origin check; "" = https://host:port once bound
  int fd = -1;         // its socket, bound and listening already (Prebind); -1 = Listen binds it
  // Its own certificate, if it has one; null = the server's. Must outlive the server.
  boost::asio::ssl::context* tls = nullptr;
};

struct ServerOptions {
  // The first serves the public surface; its origin is where the plain-HTTP listener redirects.
  std::vector<Listener> listeners = {Listener{}};
  CidrList admin_allow = LoopbackOnly();
  CidrList metrics_allow = LoopbackOnly();
  // Load balancers that open each connection with a PROXY protocol header naming the client
  // (proxy_protocol.h): the client's address is then the connection's source for everything
  // (allow-lists, caps, limits, blocks, the audit log). Empty: none; no header is read.
  CidrList proxy_from;
  bool redirect_enabled = false;
  std::string redirect_host;
  uint16_t redirect_port = 0;
  int redirect_fd = -1;
  int io_threads = 1;
  int worker_threads = 2;
  int worker_queue = 1024;
  // Anonymous requests (sign-in, enrolment: an Argon2id hash each) that may hash at once: the
  // caller bounds the hashes (crypto::LimitConcurrentHashes). They run on kAnonymousThreadsPer-
  // Worker times as many threads, so that one's durable writes wait on the disk while another
  // hashes.
  int anonymous_workers = 1;
  std::chrono::milliseconds anonymous_target{250};  // their queue's CoDel target and interval
  std::chrono::milliseconds anonymous_interval{1000};
  ClientLimits limits;
};

inline constexpr int kAnonymousThreadsPerWorker = 4;
// The threads that run anonymous requests.
inline int AnonymousThreads(const ServerOptions& o) {
  return kAnonymousThreadsPerWorker * std::max(1, o.anonymous_workers);
}

// One line per completed request: method, route template (never the raw path or query), status,
// duration, request id.
struct AccessRecord {
  std::string_view method;
  std::string_view route;
  unsigned status;
  std::chrono::microseconds duration;
  std::string_view request_id;
};
using AccessLogFn = std::function<void(const AccessRecord&)>;

// A request or connection the HTTP layer refused itself before any handler ran (malformed or
// ambiguously framed, oversize header or body, over the rate limit, a probe of another surface or
// from outside an allow-list): never reaches a service, so the composition root counts it and, when
// `audit`, audits it. Refusals a flood repeats (rate limit, probes) are marked for audit at most
// once a minute per source, so that a flood cannot flood the audit log too. Called on an I/O
// thread: it must not block.
struct Refusal {
  enum class Kind : uint8_t {
    kRequest,  // refused as malformed or over a limit
    kProbe,    // asked for what this listener does not serve, or from outside its allow-list
  };
  Kind kind = Kind::kRequest;
  std::string_view source;
  std::string_view request_id;
  unsigned status;
  ErrorCode code;
  std::string_view reason;
  bool audit = true;
};
using RefusalFn = std::function<void(const Refusal&)>;

// How a refusal the HTTP layer makes itself (no such route, a method not allowed, the rate limit,
// inspection, shedding) is answered, when not as the API's JSON (error_response.h): a page for a
// request a browser makes, or nullopt for the JSON. Called on I/O threads, and on a worker for a
// request shed from the queue: it must be thread-safe and must not block.
using RefusalPageFn = std::function<std::optional<Response>(const Request&, const Error&)>;

// What the server reports as it serves, and whom it asks about each request; any may be empty.
// An answer a handler could not complete (kInternal, kDataLoss): the client is told only to
// quote the request id, so the operator's log must say what went wrong under it.
using FailureFn = std::function<void(std::string_view request_id, const Error& error)>;

struct ServerHooks {
  AccessLogFn access_log;
  FailureFn failed;
  RefusalFn refused;
  Inspector* inspector = nullptr;  // must outlive the server
  RefusalPageFn refusal_page;
};

// Binds every listener of `options` now, the redirect one too, and keeps their sockets in it for
// Listen to adopt: for a process that gives up its privileges before it serves (a port below 1024
// needs them, nothing after binding does).
Result<void> Prebind(ServerOptions& options);

// "https://host:port", with an IPv6 host in brackets.
std::string HttpsUrl(const std::string& host, uint16_t port);

class Server {
 public:
  // `tls` and `router` must outlive the server.
  Server(ServerOptions options, boost::asio::ssl::context& tls, const Router& router,
         ServerHooks hooks);
  ~Server();

  Result<void> Listen();
  // The listeners as bound (ports chosen, origins known), in the order of ServerOptions.
  const std::vector<Listener>& listeners() const;
  uint16_t port() const { return listeners().empty() ? 0 : listeners().front().port; }
  uint16_t redirect_port() const;
  // Connections open, and requests waiting for a worker: for the metrics. Thread-safe.
  struct Load {
    int connections = 0;
    size_t queued = 0;
    uint64_t shed = 0;  // requests shed by admission control since start (http/worker_pool.h)
  };
  Load load() const;
  // Serves until Shutdown (or SIGTERM/SIGINT, which call it). Closes all connections on return.
  void Run();
  void Shutdown();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace strongroom::http
