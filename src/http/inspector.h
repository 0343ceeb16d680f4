#pragma once
// Inspection of every request before any handler runs: the server asks an Inspector (defense/)
// about each request it has read, on every listener, and about each request it refuses as
// malformed or oversize. The HTTP layer knows nothing of what is looked for; it only carries out
// the verdict.
//
// Thread-safety: the server calls Inspect and Observe from its I/O threads, concurrently.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/message.h"

namespace strongroom::http {

struct Verdict {
  bool refuse = false;
  unsigned status = 403;    // when refused: 403 (an attack), 429 (a blocked source), 503 (busy)
  std::string reason;       // for the client; names no rule and quotes nothing of the request
  int64_t retry_after = 0;  // seconds, when a retry can help; 0 = none
};

// What the request's method and path name on its listener, as the router sees it.
enum class RouteKind : uint8_t {
  kNone,       // nothing: the answer will be 404 or 405
  kAnonymous,  // a route anyone may call
  kSignedIn,   // a route for people signed in, which authenticates them before it reads the body
};

class Inspector {
 public:
  virtual ~Inspector() = default;
  // Decides at once (a request that cannot match anything, a blocked source), or returns nullopt
  // and calls `done` exactly once later, from another thread. Must not block.
  virtual std::optional<Verdict> Inspect(std::shared_ptr<const Request> request, RouteKind route,
                                         std::function<void(Verdict)> done) = 0;
  // A request the server refused before routing it (malformed, ambiguously framed, oversize): it
  // is answered without waiting, and inspected only for the record. Must not block.
  virtual void Observe(std::shared_ptr<const Request> request) = 0;
};

}  // namespace strongroom::http
