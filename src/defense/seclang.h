#pragma once
// The rules libmodsecurity loads, read a second time by this service: a parser for the subset of
// ModSecurity's rule language the OWASP CRS and defense/crs.cc write (SecRule, SecAction,
// SecMarker, SecRuleRemoveById, Include, and the directives that configure the engine, which are
// skipped), and a static reading of what the rules can do.
//
// Why: the prefilter (defense/prefilter.h) decides, for each request, whether any rule could
// match it, and so must know each rule's variables, operator, transformations and chain. It is
// built from these very files, so that it always describes the rules that run.
//
// The static reading ("Analyse") follows the transaction variables (TX) that the rules set from
// constants: the configuration's SecActions, CRS's defaults (`SecRule &TX:x "@eq 0" ...
// setvar:tx.x=...`), and whatever follows from them. A rule whose conditions read only such
// constants is decided once: if false it never fires; if it skips (skipAfter), the rules it skips
// never run (this is how the paranoia levels and sampling are read). What remains are the rules
// that can fire, the "live" ones.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/text.h"  // AsciiLower, how the rule language compares names

namespace strongroom::defense {

struct SecVariable {
  bool count = false;      // &NAME: the number of values
  bool exclude = false;    // !NAME:key: left out of the others
  std::string collection;  // upper-cased, e.g. "REQUEST_HEADERS", "TX", "ARGS"
  std::string key;         // as written (e.g. "User-Agent", "/__utm/"), empty for all
};

struct SecOperator {
  bool negated = false;
  std::string name;   // lower-cased without '@', e.g. "rx", "pmfromfile", "unconditional"
  std::string param;  // as written, `\"` unescaped
};

struct SecSetvar {
  std::string name;    // lower-cased, without "tx."; may hold a macro (%{...})
  std::string value;   // as written after '=', e.g. "+%{tx.critical_anomaly_score}"; empty if unset
  bool unset = false;  // setvar:!tx.name
};

// One SecRule, SecAction or SecMarker line.
struct SecRule {
  enum class Kind { kRule, kAction, kMarker } kind = Kind::kRule;
  std::vector<SecVariable> variables;
  SecOperator op;
  int id = 0;
  int phase = 2;
  bool chain = false;  // the next rule is part of this one
  bool nolog = false;
  bool multi_match = false;  // the operator also runs on each transformation's result
  bool capture = false;
  bool initcol = false;                      // opens a persistent collection (IP, GLOBAL, ...)
  std::vector<std::string> transformations;  // after the last t:none, lower-cased, without "t:"
  std::vector<SecSetvar> setvars;
  std::string skip_after;  // a marker's name
  std::string marker;      // for kMarker
  std::string file;        // the file it was read from ("configuration" for the text itself)
  std::string where;       // "file:line", for messages
};

// A rule and the rules chained to it: it fires when every link matches.
struct SecChain {
  std::vector<SecRule> links;  // links[0] carries id, phase, logging
  const SecRule& head() const { return links.front(); }
  bool logs() const { return !head().nolog; }
};

struct SecRules {
  std::vector<SecChain> chains;  // markers are chains of one link, in file order
  std::set<int> removed;         // SecRuleRemoveById
};

// Parses `configuration`, reading each Include'd file where it is named.
Result<SecRules> ParseSecLang(std::string_view configuration);

// A TX variable's value as far as the static reading knows it.
struct TxValue {
  bool known = false;                // false: depends on the request (or on what cannot be read)
  std::optional<std::string> value;  // when known: unset (nullopt) or this value
};

struct Analysis {
  // The chains that can fire, in the order they run (phase 1, then phase 2), each once.
  std::vector<const SecChain*> live;
  // Of those, the ones decided without a request (they always fire).
  std::set<const SecChain*> decided;
  // What the constants are once phase 1 and phase 2 have run (names lower-cased).
  std::map<std::string, TxValue> tx;
  // Collections no live rule opens (IP, GLOBAL, ...): their variables have no values.
  std::set<std::string> closed_collections;
};

// Decides what can be decided without a request. `rules` must outlive the result.
Analysis Analyse(const SecRules& rules);

// Expands %{tx.name} (and %{TX.name}) from known constants; nullopt if any macro is not a known
// constant.
std::optional<std::string> ExpandConstants(std::string_view text,
                                           const std::map<std::string, TxValue>& tx);

}  // namespace strongroom::defense
