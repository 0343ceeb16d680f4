#pragma once
// libmodsecurity behind a plain interface. Its 3.0.9 headers do not compile as C++23 (they build
// a std::string from NULL), so they are included by this adapter alone, which is built as C++20;
// this header uses nothing newer. Exceptions from the library stop here, except in Run (see
// there).
//
// Thread-safety: one Run at a time.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strongroom::defense {

struct EngineRequest {
  std::string_view client;  // the client's address
  std::string_view method;
  std::string_view target;  // path and query, as sent
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;
};

// One rule's log message, as libmodsecurity builds it.
struct EngineMessage {
  int rule_id = 0;
  int severity = 0;
  std::string message;  // the rule's msg, macros expanded
  std::string match;    // libmodsecurity's description of the match (quotes the value)
  std::string data;     // the rule's logdata, expanded (quotes the value)
};

struct EngineResult {
  int anomaly_score = 0;  // TX:ANOMALY_SCORE once every request rule has run
  std::vector<EngineMessage> messages;
};

class ModSecurityEngine {
 public:
  struct Loaded {
    std::unique_ptr<ModSecurityEngine> engine;  // null on failure
    std::string error;                          // the parser's, on failure
  };
  static Loaded Load(const std::string& configuration);
  ~ModSecurityEngine();
  ModSecurityEngine(const ModSecurityEngine&) = delete;
  ModSecurityEngine& operator=(const ModSecurityEngine&) = delete;

  // Runs phases 1 and 2 over the request. Throws what the library throws (std::exception).
  EngineResult Run(const EngineRequest& request);

 private:
  struct Impl;
  explicit ModSecurityEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One of libmodsecurity's own transformations (`t:lowercase`, `t:urlDecodeUni`, ...), applied
// outside a transaction, so that what the prefilter (defense/prefilter.h) scans is exactly what
// the rules are given. Thread-safe: the transformations keep no state.
class EngineTransformation {
 public:
  // `name` as rules write it, any case, without "t:". Null if libmodsecurity has no such one.
  static std::unique_ptr<EngineTransformation> Find(std::string_view name);
  ~EngineTransformation();
  EngineTransformation(const EngineTransformation&) = delete;
  EngineTransformation& operator=(const EngineTransformation&) = delete;
  std::string Apply(const std::string& value) const;

 private:
  struct Impl;
  explicit EngineTransformation(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// libinjection as @detectSQLi and @detectXSS call it (it is built into libmodsecurity).
bool EngineDetectsSqli(std::string_view value);
bool EngineDetectsXss(std::string_view value);

}  // namespace strongroom::defense
