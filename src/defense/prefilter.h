#pragma once
// Whether any CRS rule could match a request: the cheap question asked of every request before the
// costly one (a libmodsecurity transaction runs every rule, ~0.8 ms here). A request no rule can
// match is allowed at once; any other is inspected in full. The answer may be "could" when no rule
// in fact matches (the full inspection then finds nothing), never "cannot" when one does.
//
// Built at start from the very rules the engine loaded (defense/seclang.h reads them), at the
// configured paranoia level:
// - Rules decided without a request (by the constants of the configuration) are left out if they
//   never fire.
// - A rule whose operator is a pattern (@rx, @pm, @pmFromFile, @contains, @beginsWith, ...) on
//   what the request says (line, URI, arguments, headers, cookies) gates on its pattern:
//   Hyperscan, compiled in prefilter mode (a superset of the matches: lookarounds and
//   backreferences are widened) over the values as the rule sees them, i.e. through the rule's own
//   transformations, which are libmodsecurity's (defense/modsecurity_engine.h), at each step of
//   them for multiMatch rules. Values of a class are joined by newlines and scanned in multiline
//   mode, so that ^ and $ match at each value's ends.
// - The other operators on what the request says are evaluated as the engine does, exactly:
//   negated patterns (PCRE2 with libmodsecurity's flags), counts and numbers, @within, @streq,
//   @validateByteRange, @validateUrlEncoding, and @detectSQLi/@detectXSS (libinjection itself).
// - A rule that reads only transaction variables the rules set (the anomaly score and its
//   evaluation, rule 949110) fires only after a rule that reads the request and is itself screened;
//   `Build` checks that, and Crs::Load checks that a plain request passes both ways.
// - A rule reading TX variables by a /regex/ of their names, which other rules name after what
//   the request says (920450 sets tx.header_name_<header name>; 922110 reads
//   multipart_headers_content_types_*), may match only if the request holds the regex's literal.
// - A chain of rules fires only when every link does: one link that cannot match clears it.
// A rule that fits none of these makes the prefilter unsound: then `Build` fails and names it,
// and every request is inspected in full.
//
// Requests with a body (or a Content-Type or Transfer-Encoding header) are always inspected in
// full: the body is where record content lives, and CRS compares the content type to its list
// through a captured value, which is not screened here.
//
// Thread-safety: MayMatch from any thread, concurrently.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "defense/view.h"

namespace strongroom::defense {

class Prefilter {
 public:
  // `configuration` is what the engine loaded (CrsConfiguration). Compiling takes a second or
  // two; `cache` (empty: none) keeps the compiled databases for the next start, used only if
  // they were compiled from exactly the same patterns by the same Hyperscan.
  static Result<std::unique_ptr<Prefilter>> Build(const std::string& configuration,
                                                  const std::filesystem::path& cache = {});
  ~Prefilter();
  Prefilter(const Prefilter&) = delete;
  Prefilter& operator=(const Prefilter&) = delete;

  // False only if no rule can match `view` (what the engine is shown) sent with `method`.
  bool MayMatch(std::string_view method, const RequestView& view) const;
  // The ids of every rule that may match (0: the request has a body), for tests and diagnosis.
  std::vector<int> Candidates(std::string_view method, const RequestView& view) const;

  struct Coverage {
    size_t live = 0;       // rules that can fire at this paranoia level
    size_t patterns = 0;   // of which gated by a pattern
    size_t exact = 0;      // of which decided by an operator evaluated exactly
    size_t derived = 0;    // of which reading only what screened rules set
    size_t databases = 0;  // Hyperscan databases (one per chain of transformations)
    bool cached = false;   // read from the cache, not compiled
  };
  const Coverage& coverage() const;

  struct Impl;  // prefilter.cc's

 private:
  explicit Prefilter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strongroom::defense
