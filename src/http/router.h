#pragma once
// Maps (method, path) to a handler. Patterns are literal segments and `{name}` parameters, e.g.
// "/api/v1/records/{id}"; a parameter matches one non-empty segment, percent-decoded, and a
// segment that decodes to a control character or '/' does not match.
//
// Each route says where its handler runs: `kInline` handlers are quick and never block (they run
// on the I/O thread); `kWorker` handlers may block on the store or CPU-heavy work and run on the
// bounded worker pool.
//
// Each route belongs to one or more surfaces (common/surface.h), and is found only for a request
// that reaches one of them: to any other, it is as if it did not exist.
//
// Thread-safety: register every route before the server starts; matching is then read-only.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/surface.h"
#include "http/message.h"

namespace strongroom::http {

enum class Dispatch { kInline, kWorker };
// Whom a route serves, for admission control (http/worker_pool.h): a request to a route for
// people signed in that presents credentials is queued as theirs; one to an operations route
// (readiness, metrics: cheap, and needed most when the service is busiest) as a signed-in read;
// anything else as anonymous.
enum class Caller : uint8_t { kAnyone, kSignedIn, kOperations };
using InlineIf = bool (*)(const Request&);

class Router {
 public:
  void Add(Surface surfaces, beast_http::verb method, std::string pattern, Handler handler,
           Dispatch dispatch = Dispatch::kWorker, Caller caller = Caller::kAnyone);
  // Starts on the worker pool; the worker is free again as soon as the handler returns, while the
  // response waits for `respond`. With `inline_if`, a request for which it answers true starts on
  // the I/O thread instead, saving the hand-off to a worker: only for handlers whose every step on
  // that path is short and never waits for the store's writer (reads, then queued writes). With
  // `errors`, an error the handler answers is made the route's own response (a page, for the
  // console) on the connection's thread, never on whichever thread answered.
  void AddAsync(Surface surfaces, beast_http::verb method, std::string pattern,
                AsyncHandler handler, InlineIf inline_if = nullptr, Caller caller = Caller::kAnyone,
                ErrorAnswer errors = nullptr);

  struct Match {
    const Handler* handler = nullptr;  // one of handler and async is set on a match
    const AsyncHandler* async = nullptr;
    Dispatch dispatch = Dispatch::kWorker;
    InlineIf inline_if = nullptr;         // for async handlers
    const ErrorAnswer* errors = nullptr;  // for async handlers; may hold no function
    Caller caller = Caller::kAnyone;
    const std::string* pattern = nullptr;
    std::map<std::string, std::string> params;
    bool method_mismatch = false;        // the path exists, for other methods
    Surface elsewhere = Surface::kNone;  // the surfaces not reached where they exist
  };
  // The route for `method` and `path` among those of the surfaces `reach` reaches.
  Match Find(beast_http::verb method, std::string_view path, Surface reach) const;

 private:
  struct Route {
    Surface surfaces;
    beast_http::verb method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    Dispatch dispatch;
    AsyncHandler async;
    InlineIf inline_if = nullptr;
    Caller caller = Caller::kAnyone;
    ErrorAnswer errors = nullptr;
  };
  std::vector<Route> routes_;
};

// Percent-decodes one path segment; nullopt for a malformed escape, a control character or '/'.
std::optional<std::string> DecodePathSegment(std::string_view segment);

}  // namespace strongroom::http
