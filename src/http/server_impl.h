#pragma once
// Internals shared by the server, its TLS connections and its redirect connections. Not part of
// the http module's interface.

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/source_buckets.h"
#include "http/server.h"
#include "http/worker_pool.h"

namespace strongroom::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// What the server can ask of any live connection.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // Finish the request in progress, if any, then close; close at once when idle. Thread-safe.
  virtual void Drain() = 0;
};

struct Server::Impl {
  Impl(ServerOptions opts, asio::ssl::context& tls_ctx, const Router& r, ServerHooks h);

  // Connection accounting. Admit refuses over the total or per-source cap.
  bool Admit(const std::string& source);
  void Register(ConnectionBase* c, std::weak_ptr<ConnectionBase> w);
  void Release(ConnectionBase* c, const std::string& source);

  // What a connection from `source` to `listener` reaches: the listener's surfaces less those
  // whose allow-list leaves the source out.
  Surface Reach(const Listener& listener, const std::string& source) const;
  // True at most once a minute for each `key`: whether to report (audit) one more refusal of
  // it, so that a flood cannot flood the audit log as well.
  bool ShouldReport(const std::string& key);

  // Accepts connections on `on` for ever, admitting each (per-source cap) to `start`.
  using Start = void (*)(Impl& server, tcp::socket socket, std::string source,
                         const Listener& listener, Surface reach);
  void Accept(tcp::acceptor& on, const Listener& listener, Start start);
  // Serves an accepted connection from `source` (its peer, or the client a load balancer's PROXY
  // header names): refused outside the listener's allow-lists or over a cap, else `start`ed.
  void Arrive(tcp::socket socket, std::string source, const Listener& listener, Start start);
  // Reads the PROXY protocol header a balancer in `proxy_from` opens with, then Arrives.
  struct ProxyRead;
  void ReadProxyHeader(std::shared_ptr<ProxyRead> read, const Listener& listener, Start start);
  // Refuses a header that failed or names what its balancer may not (MayName), else Arrives.
  void ProxyHeaderRead(ProxyRead& read, const Listener& listener, Start start);
  void BeginDrain();
  // 0 if the allowance `key` (common/cidr.h: SourceKey) may take another request now, else the
  // seconds until it may. `*report`: whether to report this refusal (ShouldReport).
  int64_t TakeRequest(const std::string& key, bool* report);

  ServerOptions options;
  asio::ssl::context& tls;
  const Router& router;
  ServerHooks hooks;
  std::string redirect_origin;
  std::vector<Listener> bound;  // options.listeners once bound: set by Listen, then read-only
  Listener redirect_listener;   // the plain-HTTP one: public, and answering only 308s

  std::mutex mu;
  std::condition_variable cv;
  bool shutdown_requested = false;                                    // guarded by mu
  int active = 0;                                                     // guarded by mu
  std::unordered_map<std::string, int> per_source;                    // guarded by mu
  std::map<ConnectionBase*, std::weak_ptr<ConnectionBase>> registry;  // guarded by mu
  std::atomic<bool> draining{false};
  std::atomic<int> awaiting_header{0};  // connections from balancers before their PROXY header

  // The per-source request allowance (null when there is no limit), and when each source over it
  // was last reported.
  SystemClock clock;
  std::unique_ptr<SourceBuckets> request_buckets;
  std::mutex limited_mu;
  std::unordered_map<std::string, TimePoint> limited;  // guarded by limited_mu

  // One single-threaded io_context per I/O thread: a connection lives on one of them for its whole
  // life, so its handlers never run concurrently and need no strand or lock. The acceptors and
  // signals live on the first.
  // Declared after the bookkeeping above: destroying the io_contexts destroys connections that
  // outlived the grace period, and their destructors release themselves under `mu`.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  size_t next_context = 0;  // used only by the accept handlers, which run on contexts[0]
  asio::io_context& NextContext();
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;  // one per listener, in order
  std::optional<tcp::acceptor> redirect_acceptor;
  std::optional<asio::signal_set> signals;
  std::unique_ptr<WorkerPool> pool;
};

// Starts serving one accepted TLS connection, which reaches `reach` (never kNone).
void StartTlsConnection(Server::Impl& server, tcp::socket socket, std::string source,
                        const Listener& listener, Surface reach);
// Starts serving one accepted plain-HTTP connection with a redirect.
void StartRedirectConnection(Server::Impl& server, tcp::socket socket, std::string source,
                             const Listener& listener, Surface reach);

}  // namespace strongroom::http
