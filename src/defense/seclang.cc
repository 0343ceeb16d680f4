#include "defense/seclang.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

namespace strongroom::defense {

namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Splits a directive line into its words: "quoted strings" (with \" unescaped) or bare words.
Result<std::vector<std::string>> Words(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    if (std::isspace(static_cast<unsigned char>(line[i]))) {
      ++i;
      continue;
    }
    std::string word;
    if (line[i] == '"') {
      ++i;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '"') ++i;
        word += line[i++];
      }
      if (i >= line.size()) return Fail(ErrorCode::kInvalidArgument, "an unterminated quote");
      ++i;
    } else {
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i])))
        word += line[i++];
    }
    out.push_back(std::move(word));
  }
  return out;
}

// "a:1,b:'x,y',c" -> {"a:1", "b:'x,y'", "c"}.
std::vector<std::string> SplitActions(std::string_view actions) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false;
  for (size_t i = 0; i < actions.size(); ++i) {
    const char c = actions[i];
    if (c == '\\' && i + 1 < actions.size()) {
      current += c;
      current += actions[++i];
      continue;
    }
    if (c == '\'') quoted = !quoted;
    if (c == ',' && !quoted) {
      out.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  out.push_back(current);
  for (auto& a : out) {
    const auto b = a.find_first_not_of(" \t");
    const auto e = a.find_last_not_of(" \t");
    a = b == std::string::npos ? "" : a.substr(b, e - b + 1);
  }
  return out;
}

std::string Unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') v = v.substr(1, v.size() - 2);
  return std::string(v);
}

std::vector<SecVariable> ParseVariables(std::string_view text) {
  std::vector<SecVariable> out;
  size_t start = 0;
  // '|' separates variables, except inside a /regex/ key.
  bool in_regex = false;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] == '/' && i > 0 && (text[i - 1] == ':' || in_regex))
      in_regex = !in_regex;
    if (i < text.size() && (text[i] != '|' || in_regex)) continue;
    std::string_view v = text.substr(start, i - start);
    start = i + 1;
    SecVariable var;
    if (!v.empty() && v.front() == '!') {
      var.exclude = true;
      v.remove_prefix(1);
    }
    if (!v.empty() && v.front() == '&') {
      var.count = true;
      v.remove_prefix(1);
    }
    const auto colon = v.find(':');
    var.collection = Upper(v.substr(0, colon));
    if (colon != std::string_view::npos) var.key = std::string(v.substr(colon + 1));
    if (!var.collection.empty()) out.push_back(std::move(var));
  }
  return out;
}

SecOperator ParseOperator(std::string_view text) {
  SecOperator op;
  if (!text.empty() && text.front() == '!') {
    op.negated = true;
    text.remove_prefix(1);
  }
  if (text.empty() || text.front() != '@') {
    op.name = "rx";  // an operator without '@' is a regular expression
    op.param = std::string(text);
    return op;
  }
  text.remove_prefix(1);
  const auto space = text.find_first_of(" \t");
  op.name = AsciiLower(text.substr(0, space));
  if (space != std::string_view::npos) {
    text.remove_prefix(space);
    const auto b = text.find_first_not_of(" \t");
    op.param = b == std::string_view::npos ? "" : std::string(text.substr(b));
  }
  return op;
}

void ParseActions(std::string_view text, SecRule& rule) {
  for (const auto& action : SplitActions(text)) {
    const auto colon = action.find(':');
    const std::string name = AsciiLower(action.substr(0, colon));
    const std::string value =
        colon == std::string::npos ? "" : Unquote(std::string_view(action).substr(colon + 1));
    if (name == "id") {
      std::from_chars(value.data(), value.data() + value.size(), rule.id);
    } else if (name == "phase") {
      if (value == "request") {
        rule.phase = 2;
      } else if (value == "response") {
        rule.phase = 4;
      } else if (value == "logging") {
        rule.phase = 5;
      } else {
        std::from_chars(value.data(), value.data() + value.size(), rule.phase);
      }
    } else if (name == "chain") {
      rule.chain = true;
    } else if (name == "nolog") {
      rule.nolog = true;
    } else if (name == "log") {
      rule.nolog = false;
    } else if (name == "multimatch") {
      rule.multi_match = true;
    } else if (name == "capture") {
      rule.capture = true;
    } else if (name == "initcol") {
      rule.initcol = true;
    } else if (name == "skipafter") {
      rule.skip_after = value;
    } else if (name == "t") {
      if (AsciiLower(value) == "none") {
        rule.transformations.clear();
      } else {
        rule.transformations.push_back(AsciiLower(value));
      }
    } else if (name == "setvar") {
      SecSetvar s;
      std::string_view v = value;
      if (!v.empty() && v.front() == '!') {
        s.unset = true;
        v.remove_prefix(1);
      }
      const auto eq = v.find('=');
      std::string target = AsciiLower(v.substr(0, eq));
      if (!target.starts_with("tx.")) continue;  // other collections: not read statically
      s.name = target.substr(3);
      if (eq != std::string_view::npos) s.value = std::string(v.substr(eq + 1));
      rule.setvars.push_back(std::move(s));
    }
  }
}

// Directives that change nothing the rules see of a request (how the engine runs, what it logs,
// how much body it reads). Any other (SecDefaultAction, SecRuleUpdateTargetById,
// SecArgumentSeparator, ...) is refused: read wrongly, it would make the static reading wrong.
bool IsEngineSetting(std::string_view directive) {
  static constexpr std::string_view kSettings[] = {"secruleengine",
                                                   "secrequestbodyaccess",
                                                   "secrequestbodylimit",
                                                   "secrequestbodylimitaction",
                                                   "secrequestbodynofileslimit",
                                                   "secresponsebodyaccess",
                                                   "secauditengine",
                                                   "seccomponentsignature",
                                                   "secdebugloglevel"};
  return std::find(std::begin(kSettings), std::end(kSettings), directive) != std::end(kSettings);
}

struct Reader {
  SecRules rules;
  bool in_chain = false;
  int depth = 0;

  Result<void> Text(std::string_view text, const std::string& file) {
    if (++depth > 8) return Fail(ErrorCode::kInvalidArgument, "Include nested too deep");
    // Joins continued lines ("\" at the end), keeping the first line's number.
    std::istringstream in{std::string(text)};
    std::string line, joined;
    int number = 0, first = 0;
    while (std::getline(in, line)) {
      ++number;
      if (joined.empty()) first = number;
      if (!line.empty() && line.back() == '\\') {
        line.pop_back();
        joined += line;
        continue;
      }
      joined += line;
      auto r = Directive(joined, file, fmt::format("{}:{}", file, first));
      joined.clear();
      if (!r) return r;
    }
    if (!joined.empty()) {
      if (auto r = Directive(joined, file, fmt::format("{}:{}", file, first)); !r) return r;
    }
    --depth;
    return {};
  }

  Result<void> Directive(std::string_view line, const std::string& file, const std::string& where) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string_view::npos || line[b] == '#') return {};
    auto words = Words(line.substr(b));
    if (!words) return Fail(ErrorCode::kInvalidArgument, where + ": " + words.error().message);
    if (words->empty()) return {};
    const std::string directive = AsciiLower((*words)[0]);
    const auto arg = [&](size_t i) -> std::string {
      return i < words->size() ? (*words)[i] : std::string();
    };
    if (directive == "include") {
      std::ifstream f(arg(1), std::ios::binary);
      if (!f) return Fail(ErrorCode::kNotFound, where + ": cannot read " + arg(1));
      std::stringstream content;
      content << f.rdbuf();
      return Text(content.str(), arg(1));
    }
    if (directive == "secruleremovebyid") {
      for (size_t i = 1; i < words->size(); ++i) {
        const auto& w = (*words)[i];
        int from = 0, to = 0;
        const auto r = std::from_chars(w.data(), w.data() + w.size(), from);
        to = from;
        if (r.ptr != w.data() + w.size()) {
          if (*r.ptr != '-' ||
              std::from_chars(r.ptr + 1, w.data() + w.size(), to).ptr != w.data() + w.size() ||
              to < from || to - from > 1'000'000)
            return Fail(ErrorCode::kInvalidArgument, where + ": cannot read the ids " + w);
        }
        for (int id = from; id <= to; ++id) rules.removed.insert(id);
      }
      return {};
    }
    SecRule rule;
    rule.file = file;
    rule.where = where;
    if (directive == "secrule") {
      if (words->size() < 3) return Fail(ErrorCode::kInvalidArgument, where + ": a short SecRule");
      rule.variables = ParseVariables(arg(1));
      rule.op = ParseOperator(arg(2));
      ParseActions(arg(3), rule);
    } else if (directive == "secaction") {
      rule.kind = SecRule::Kind::kAction;
      rule.op.name = "unconditional";
      ParseActions(arg(1), rule);
    } else if (directive == "secmarker") {
      rule.kind = SecRule::Kind::kMarker;
      rule.marker = arg(1);
    } else if (IsEngineSetting(directive)) {
      return {};
    } else {
      return Fail(ErrorCode::kInvalidArgument, where + ": unknown directive " + arg(0));
    }
    if (in_chain && rule.kind != SecRule::Kind::kMarker) {
      in_chain = rule.chain;
      rules.chains.back().links.push_back(std::move(rule));
      return {};
    }
    in_chain = rule.chain;
    rules.chains.push_back(SecChain{{std::move(rule)}});
    return {};
  }
};

// ---- the static reading ----

using Tx = std::map<std::string, TxValue>;

TxValue Lookup(const Tx& tx, const std::string& name) {
  const auto it = tx.find(name);
  if (it == tx.end()) return {true, std::nullopt};  // nothing set it: known to be unset
  return it->second;
}

std::optional<double> Number(const std::optional<std::string>& v) {
  if (!v) return 0.0;  // an unset variable reads as 0
  double d = 0;
  const auto* end = v->data() + v->size();
  const auto r = std::from_chars(v->data(), end, d);
  if (r.ec != std::errc() || r.ptr != end) {
    // ModSecurity reads a number's leading digits (atoi).
    int i = 0;
    std::from_chars(v->data(), end, i);
    return i;
  }
  return d;
}

// Decides a link that reads only TX constants: true/false, or nullopt when it cannot.
std::optional<bool> DecideLink(const SecRule& link, const Tx& tx) {
  if (link.kind == SecRule::Kind::kAction) return true;
  if (link.variables.empty() || !link.transformations.empty()) return std::nullopt;
  const auto param = ExpandConstants(link.op.param, tx);
  if (!param) return std::nullopt;
  const auto& op = link.op.name;
  bool any = false;
  for (const auto& v : link.variables) {
    if (v.collection != "TX" || v.exclude || v.key.empty() || v.key.front() == '/') {
      return std::nullopt;
    }
    const auto value = Lookup(tx, AsciiLower(v.key));
    if (!value.known) return std::nullopt;
    std::optional<std::string> subject;
    if (v.count) {
      subject = value.value ? "1" : "0";
    } else if (value.value) {
      subject = value.value;
    } else {
      continue;  // no value: the operator is not run on it
    }
    bool match = false;
    const auto a = Number(subject), b = Number(*param);
    if (op == "eq") {
      match = *a == *b;
    } else if (op == "ge") {
      match = *a >= *b;
    } else if (op == "gt") {
      match = *a > *b;
    } else if (op == "le") {
      match = *a <= *b;
    } else if (op == "lt") {
      match = *a < *b;
    } else if (op == "streq") {
      match = *subject == *param;
    } else {
      return std::nullopt;
    }
    if (link.op.negated) match = !match;
    any = any || match;
  }
  return any;
}

// Applies a decided chain's setvars to the constants.
void Apply(const SecRule& link, Tx& tx) {
  for (const auto& s : link.setvars) {
    if (s.name.find("%{") != std::string::npos) continue;  // handled by Taint
    if (s.unset) {
      tx[s.name] = {true, std::nullopt};
      continue;
    }
    std::string_view value = s.value;
    const bool add = !value.empty() && (value.front() == '+' || value.front() == '-');
    const auto expanded = ExpandConstants(add ? value.substr(1) : value, tx);
    const auto current = Lookup(tx, s.name);
    if (!expanded || (add && !current.known)) {
      tx[s.name] = {false, std::nullopt};
    } else if (add) {
      const double sum =
          *Number(current.value) + (value.front() == '-' ? -1 : 1) * *Number(*expanded);
      tx[s.name] = {true, fmt::format("{}", static_cast<long long>(sum))};
    } else {
      tx[s.name] = {true, *expanded};
    }
  }
}

// A chain that may or may not fire: whatever it sets is no longer known. A name built from a
// macro could be any name with that prefix.
void Taint(const SecChain& chain, Tx& tx, std::vector<std::string>& tainted_prefixes) {
  for (const auto& link : chain.links) {
    for (const auto& s : link.setvars) {
      const auto macro = s.name.find("%{");
      if (macro != std::string::npos) {
        tainted_prefixes.push_back(s.name.substr(0, macro));
      } else {
        tx[s.name] = {false, std::nullopt};
      }
    }
    if (link.capture) {
      for (int i = 0; i <= 9; ++i) tx[std::to_string(i)] = {false, std::nullopt};
    }
  }
}

}  // namespace

Result<SecRules> ParseSecLang(std::string_view configuration) {
  Reader reader;
  if (auto r = reader.Text(configuration, "configuration"); !r) return std::unexpected(r.error());
  return std::move(reader.rules);
}

std::optional<std::string> ExpandConstants(std::string_view text, const Tx& tx) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find("%{", i);
    if (open == std::string_view::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    const auto close = text.find('}', open);
    if (close == std::string_view::npos) return std::nullopt;
    const std::string name = AsciiLower(text.substr(open + 2, close - open - 2));
    if (!name.starts_with("tx.")) return std::nullopt;
    const auto value = Lookup(tx, name.substr(3));
    if (!value.known) return std::nullopt;
    out += value.value.value_or("");
    i = close + 1;
  }
  return out;
}

Analysis Analyse(const SecRules& rules) {
  Analysis a;
  std::vector<std::string> tainted_prefixes;
  bool opens_collections = false;
  for (int phase : {1, 2}) {
    std::string skipping;                 // a marker: the rules up to it do not run
    std::set<std::string> maybe_skipped;  // markers: the rules up to them may or may not run
    for (const auto& chain : rules.chains) {
      const auto& head = chain.head();
      if (head.kind == SecRule::Kind::kMarker) {
        if (!skipping.empty() && head.marker == skipping) skipping.clear();
        maybe_skipped.erase(head.marker);
        continue;
      }
      if (head.phase != phase || rules.removed.contains(head.id) || !skipping.empty()) continue;
      // A chain is decided when each link is; it fires when each is true.
      std::optional<bool> fires = true;
      size_t false_at = 0;
      for (const auto& link : chain.links) {
        bool reads_tainted = false;
        for (const auto& v : link.variables) {
          for (const auto& p : tainted_prefixes) {
            if (v.collection == "TX" &&
                (AsciiLower(v.key).starts_with(p) || v.key.starts_with("/")))
              reads_tainted = true;
          }
        }
        const auto d = reads_tainted ? std::nullopt : DecideLink(link, a.tx);
        if (d && !*d) {
          fires = false;
          break;
        }
        if (!d) fires = std::nullopt;
        ++false_at;
      }
      if (fires && !*fires) {
        // The links before the false one still ran their setvars when they matched.
        if (false_at > 0) {
          SecChain ran{
              {chain.links.begin(), chain.links.begin() + static_cast<std::ptrdiff_t>(false_at)}};
          Taint(ran, a.tx, tainted_prefixes);
        }
        continue;
      }
      if (fires && maybe_skipped.empty()) {
        a.decided.insert(&chain);
        for (const auto& link : chain.links) Apply(link, a.tx);
        if (!head.skip_after.empty()) skipping = head.skip_after;
      } else {
        // Undecided, or perhaps skipped by an undecided skipAfter: what it sets is unknown, and
        // what it may skip may run or not.
        Taint(chain, a.tx, tainted_prefixes);
        if (!head.skip_after.empty()) maybe_skipped.insert(head.skip_after);
      }
      for (const auto& link : chain.links) opens_collections = opens_collections || link.initcol;
      a.live.push_back(&chain);
    }
  }
  for (const auto& p : tainted_prefixes) {
    for (auto& [name, value] : a.tx) {
      if (name.starts_with(p)) value.known = false;
    }
  }
  if (!opens_collections) {
    a.closed_collections = {"IP", "GLOBAL", "SESSION", "USER", "RESOURCE"};
  }
  return a;
}

}  // namespace strongroom::defense
