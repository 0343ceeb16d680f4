#pragma once
// The OWASP Core Rule Set, run by libmodsecurity in this process: the best of breed for spotting
// web attacks (SQL injection, XSS, remote code execution, path traversal, protocol abuse,
// scanners). Debian's CRS 3.3.4 files are loaded at start under a configuration written here
// (embedded, not read from a file an operator might half-edit); a rule that does not load stops
// the start.
//
// The engine only detects (SecRuleEngine DetectionOnly): what a finding means for the request and
// its source is decided by the Detector (defense/detector.h). A finding names rule ids, the rules'
// messages and the names of the variables that matched, never a matched value: values may be
// anything a client sent. Secrets are not inspected at all (the password, code and token fields,
// the session cookies, the Authorization header), so that no secret ever sits in a finding.
//
// Thread-safety: Load and the destructor from one thread; Evaluate from one thread at a time (the
// detector's). libmodsecurity 3.0.9's shared collections are not safe across threads, and the
// rules that would use them (per-IP and global collections) are not loaded.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "defense/modsecurity_engine.h"
#include "defense/prefilter.h"
#include "http/message.h"

namespace strongroom::defense {

struct CrsOptions {
  std::filesystem::path rules_dir = "/usr/share/modsecurity-crs/rules";
  int paranoia_level = 1;     // 1..4, as CRS defines them
  int inbound_threshold = 5;  // CRS's inbound anomaly score threshold (one critical rule: 5)
  bool prefilter = true;      // build the prefilter (defense/prefilter.h)
  std::filesystem::path prefilter_cache;  // its compiled patterns between starts; "" = none
};

struct RuleMatch {
  int rule_id = 0;
  int severity = 0;                    // CRS's: 2 critical, 3 error, 4 warning, 5 notice
  std::string message;                 // the rule's message, printable, at most 120 characters
  std::vector<std::string> variables;  // what matched, e.g. "ARGS:json.title", "REQUEST_URI"
};

struct Finding {
  int score = 0;                   // CRS's inbound anomaly score
  std::vector<RuleMatch> matches;  // in rule order; the blocking evaluation's own rule left out
  // The query names a parameter "json...": then ARGS:json.x may be the query's, not the body's.
  bool query_mimics_body = false;
  bool clean() const { return score == 0 && matches.empty(); }
  // Whether every match is certainly in the request body (record content is written there).
  bool OnlyInBody() const;
};

class Crs {
 public:
  // Loads the rule set. kFailedPrecondition (naming the file and line) if it does not load.
  static Result<std::unique_ptr<Crs>> Load(const CrsOptions& options);
  ~Crs();
  Crs(const Crs&) = delete;
  Crs& operator=(const Crs&) = delete;

  // Runs the request (line, headers, body) through every request rule.
  Finding Evaluate(const http::Request& request);

  // False only if no rule can match the request (defense/prefilter.h): then Evaluate would find
  // nothing. True without a prefilter. Any thread, concurrently.
  bool MayMatch(const http::Request& request) const;
  // Whether there is a prefilter, and if not why (empty when there is, or it was not asked for).
  bool prefiltered() const { return prefilter_ != nullptr; }
  const std::string& prefilter_error() const { return prefilter_error_; }
  const Prefilter* prefilter() const { return prefilter_.get(); }

  const CrsOptions& options() const { return options_; }

 private:
  Crs(CrsOptions options, std::unique_ptr<ModSecurityEngine> engine);
  CrsOptions options_;
  std::unique_ptr<ModSecurityEngine> engine_;
  std::unique_ptr<Prefilter> prefilter_;
  std::string prefilter_error_;
};

// The configuration Load parses, for tests and `doctor`.
std::string CrsConfiguration(const CrsOptions& options);

}  // namespace strongroom::defense
