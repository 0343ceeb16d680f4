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

class Inspector {
 public:
  virtual ~Inspector() = default;
  // Decides at once (a request that cannot match anything, a blocked source), or returns nullopt
  // and calls `done` exactly once later, from another thread. Must not block. `for_signed_in`:
  // the request's route serves people signed in, and authenticates them before it reads the body.
  virtual std::optional<Verdict> Inspect(std::shared_ptr<const Request> request, bool for_signed_in,
                                         std::function<void(Verdict)> done) = 0;
  // A request the server refused before routing it (malformed, ambiguously framed, oversize): it
  // is answered without waiting, and inspected only for the record. Must not block.
  virtual void Observe(std::shared_ptr<const Request> request) = 0;
};

}  // namespace strongroom::http
