#include "defense/prefilter.h"

#include <fmt/format.h>
#include <hs/hs.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <fcntl.h>
#include <pcre2.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include "crypto/hash.h"
#include "defense/modsecurity_engine.h"
#include "defense/seclang.h"

namespace strongroom::defense {

namespace {

// What a request says, grouped as the rules' variables read it.
enum Class : uint8_t {
  kLine,          // REQUEST_LINE, REQUEST_METHOD, REQUEST_PROTOCOL
  kUri,           // REQUEST_URI(_RAW), QUERY_STRING
  kPath,          // REQUEST_FILENAME, REQUEST_BASENAME, PATH_INFO
  kArgs,          // ARGS, ARGS_GET: the query's values
  kArgNames,      // ARGS_NAMES, ARGS_GET_NAMES
  kHeaders,       // REQUEST_HEADERS
  kHeaderNames,   // REQUEST_HEADERS_NAMES
  kNamedHeaders,  // REQUEST_HEADERS:Name, for the names rules name
  kCookies,       // REQUEST_COOKIES
  kCookieNames,   // REQUEST_COOKIES_NAMES
  kBody,          // what a body gives (none here: requests with one are inspected in full)
  kClasses
};
using ClassMask = uint16_t;

std::optional<Class> ClassOf(std::string_view collection) {
  static constexpr std::pair<std::string_view, Class> kTable[] = {
      {"REQUEST_LINE", kLine},
      {"REQUEST_METHOD", kLine},
      {"REQUEST_PROTOCOL", kLine},
      {"REQUEST_URI", kUri},
      {"REQUEST_URI_RAW", kUri},
      {"REQUEST_FILENAME", kPath},
      {"REQUEST_BASENAME", kPath},
      {"QUERY_STRING", kUri},
      {"PATH_INFO", kPath},
      {"ARGS", kArgs},
      {"ARGS_GET", kArgs},
      {"ARGS_NAMES", kArgNames},
      {"ARGS_GET_NAMES", kArgNames},
      {"REQUEST_HEADERS", kHeaders},
      {"REQUEST_HEADERS_NAMES", kHeaderNames},
      {"REQUEST_COOKIES", kCookies},
      {"REQUEST_COOKIES_NAMES", kCookieNames},
      {"REQUEST_BODY", kBody},
      {"ARGS_POST", kBody},
      {"ARGS_POST_NAMES", kBody},
      {"XML", kBody},
      {"FILES", kBody},
      {"FILES_NAMES", kBody},
      {"MULTIPART_PART_HEADERS", kBody},
  };
  for (const auto& [name, c] : kTable) {
    if (name == collection) return c;
  }
  return std::nullopt;
}

// Collections only a request body fills (requests with one are inspected in full).
bool OnlyFromBody(std::string_view collection) {
  static constexpr std::string_view kBodies[] = {"ARGS_POST",
                                                 "ARGS_POST_NAMES",
                                                 "FILES",
                                                 "FILES_NAMES",
                                                 "FILES_SIZES",
                                                 "FILES_TMPNAMES",
                                                 "FILES_TMP_CONTENT",
                                                 "XML",
                                                 "MULTIPART_PART_HEADERS",
                                                 "MULTIPART_FILENAME",
                                                 "MULTIPART_NAME"};
  return std::find(std::begin(kBodies), std::end(kBodies), collection) != std::end(kBodies);
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoded; '+' read as a space when `plus`. Invalid escapes are kept as they are.
std::string PercentDecoded(std::string_view s, bool plus) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
      out += static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
      i += 2;
    } else if (plus && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

// A literal as a Hyperscan pattern.
std::string Escaped(std::string_view literal) {
  std::string out;
  for (unsigned char c : literal) out += fmt::format("\\x{:02x}", c);
  return out;
}

// \A, \z and \Z anchor a whole buffer in Hyperscan, which holds several values here: as ^ and $
// in multiline mode they anchor each value (and more), a superset.
std::string PerValueAnchors(std::string_view pattern) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char n = pattern[i + 1];
      if (!in_class && n == 'A') {
        out += '^';
      } else if (!in_class && (n == 'z' || n == 'Z')) {
        out += '$';
      } else {
        out += c;
        out += n;
      }
      ++i;
      continue;
    }
    if (c == '[' && !in_class) {
      in_class = true;
      out += c;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
      continue;
    }
    if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

// The phrases of @pmFromFile: each line that is not blank or a comment, as libmodsecurity reads
// them (also trimmed, in case).
Result<std::vector<std::string>> PhrasesFromFiles(const SecRule& rule) {
  std::vector<std::string> phrases;
  const auto dir = std::filesystem::path(rule.file).parent_path();
  std::string_view files = rule.op.param;
  while (!files.empty()) {
    const auto b = files.find_first_not_of(' ');
    if (b == std::string_view::npos) break;
    files.remove_prefix(b);
    const auto e = files.find(' ');
    const std::string name(files.substr(0, e));
    files.remove_prefix(e == std::string_view::npos ? files.size() : e);
    const auto path =
        std::filesystem::path(name).is_absolute() ? std::filesystem::path(name) : dir / name;
    std::ifstream in(path);
    if (!in) return Fail(ErrorCode::kNotFound, "cannot read " + path.string());
    for (std::string line; std::getline(in, line);) {
      const auto first = line.find_first_not_of(" \t\r\n\f\v");
      if (first == std::string::npos || line[first] == '#') continue;
      phrases.push_back(line);
      const auto last = line.find_last_not_of(" \t\r\n\f\v");
      if (first != 0 || last + 1 != line.size())
        phrases.push_back(line.substr(first, last - first + 1));
    }
  }
  return phrases;
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

struct Pcre {
  pcre2_code* code = nullptr;
  explicit Pcre(const std::string& pattern) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                         PCRE2_DOTALL | PCRE2_MULTILINE, &error, &offset, nullptr);
    if (code) pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  }
  ~Pcre() { pcre2_code_free(code); }
  Pcre(const Pcre&) = delete;
  Pcre& operator=(const Pcre&) = delete;
  // Whether it matches; nullopt when PCRE2 could not tell (a match or stack limit).
  std::optional<bool> Matches(std::string_view value) const {
    pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
    const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(value.data()), value.size(), 0, 0,
                               md, nullptr);
    pcre2_match_data_free(md);
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    if (rc < 0) return std::nullopt;
    return true;
  }
};

// The transformations applied in turn; a node per distinct prefix.
struct Step {
  int parent = -1;  // -1: the raw value
  const EngineTransformation* transformation = nullptr;
};

// A link's operator, evaluated as the engine evaluates it.
struct Exact {
  std::string op;
  bool negated = false;
  std::string param;
  std::unique_ptr<Pcre> pcre;
  std::vector<std::string> phrases;  // @pm, lower-cased
  std::vector<std::pair<int, int>> ranges;

  bool Matches(const std::string& value) const {
    bool m = false;
    if (op == "rx") {
      const auto matched = pcre->Matches(value);
      if (!matched) return true;  // could not tell: may match
      m = *matched;
    } else if (op == "pm") {
      const auto l = AsciiLower(value);
      m = std::any_of(phrases.begin(), phrases.end(),
                      [&](const std::string& p) { return l.find(p) != std::string::npos; });
    } else if (op == "within") {
      m = param.find(value) != std::string::npos;
    } else if (op == "streq") {
      m = value == param;
    } else if (op == "beginswith") {
      m = value.starts_with(param);
    } else if (op == "endswith") {
      m = value.ends_with(param);
    } else if (op == "contains") {
      m = value.find(param) != std::string::npos;
    } else if (op == "eq" || op == "ge" || op == "gt" || op == "le" || op == "lt") {
      // Plain integers only: the engine reads others (" 7", "+7", 64-bit) its own way.
      int64_t a = 0, b = 0;
      const auto va = std::from_chars(value.data(), value.data() + value.size(), a);
      const auto vb = std::from_chars(param.data(), param.data() + param.size(), b);
      if (va.ec != std::errc() || va.ptr != value.data() + value.size() || vb.ec != std::errc() ||
          vb.ptr != param.data() + param.size())
        return true;
      m = op == "eq"   ? a == b
          : op == "ge" ? a >= b
          : op == "gt" ? a > b
          : op == "le" ? a <= b
                       : a < b;
    } else if (op == "validatebyterange") {
      for (unsigned char c : value) {
        const bool inside = std::any_of(ranges.begin(), ranges.end(), [c](const auto& r) {
          return c >= r.first && c <= r.second;
        });
        if (!inside) {
          m = true;
          break;
        }
      }
    } else if (op == "validateurlencoding") {
      for (size_t i = 0; i < value.size(); ++i) {
        if (value[i] != '%') continue;
        if (i + 2 >= value.size() || Hex(value[i + 1]) < 0 || Hex(value[i + 2]) < 0) {
          m = true;
          break;
        }
        i += 2;
      }
    } else if (op == "detectsqli") {
      m = EngineDetectsSqli(value);
    } else if (op == "detectxss") {
      m = EngineDetectsXss(value);
    }
    return negated ? !m : m;
  }
};

bool Supported(std::string_view op) {
  static constexpr std::string_view kOps[] = {"rx",
                                              "pm",
                                              "within",
                                              "streq",
                                              "beginswith",
                                              "endswith",
                                              "contains",
                                              "eq",
                                              "ge",
                                              "gt",
                                              "le",
                                              "lt",
                                              "validatebyterange",
                                              "validateurlencoding",
                                              "detectsqli",
                                              "detectxss"};
  return std::find(std::begin(kOps), std::end(kOps), op) != std::end(kOps);
}

// Each value is the value TX:/^prefix/ gets from an earlier link that captured a whole value
// (@rx ^.*$) and set tx.<prefix>%{tx.0} to `templ`.
struct Derived {
  std::string templ;
  const SecRule* source = nullptr;
  int step = -1;
};

struct Link {
  enum class Kind { kUnknown, kPattern, kExact, kNever, kNamed } kind = Kind::kUnknown;
  std::string named;  // kNamed: may match only if some value of the request holds this
  const SecRule* rule = nullptr;
  int step = -1;  // the transformations' node
  bool multi_match = false;
  std::vector<int> stages;  // multiMatch: every node on the way
  std::unique_ptr<Exact> exact;
  std::optional<Derived> derived;
};

struct Chain {
  const SecChain* rules = nullptr;
  std::vector<Link> links;
  bool gated = false;  // some link is a pattern
};

struct Entry {
  size_t chain = 0;
  size_t link = 0;
  ClassMask classes = 0;
  std::set<std::string> headers;  // kNamedHeaders: the names it reads (lower-cased)
};

struct Database {
  int step = -1;
  ClassMask classes = 0;
  hs_database_t* db = nullptr;
  std::vector<Entry> entries;  // by pattern id
};

// The request's distinct values, each with the classes it appears in: what the databases scan.
struct Value {
  std::string text;
  ClassMask classes = 0;
  std::string header;  // kNamedHeaders: the header's lower-cased name
};

// What each value recently seen matched: a value's matches depend on nothing else, and the same
// values come again and again (the Host, User-Agent and Accept of every client; the paths most
// asked for). Bounded: a shard is emptied when full (at most kShards * per_shard entries, each
// at most kCachedValue or kCachedRequest bytes: a few MiB).
template <typename T>
class ValueCache {
 public:
  explicit ValueCache(size_t per_shard) : per_shard_(per_shard) {}
  std::optional<T> Find(const std::string& key) {
    auto& shard = shards_[std::hash<std::string>{}(key) % kShards];
    std::lock_guard lock(shard.mu);
    const auto it = shard.map.find(key);
    if (it == shard.map.end()) return std::nullopt;
    return it->second;
  }
  void Put(std::string key, T value) {
    auto& shard = shards_[std::hash<std::string>{}(key) % kShards];
    std::lock_guard lock(shard.mu);
    if (shard.map.size() >= per_shard_) shard.map.clear();
    shard.map.emplace(std::move(key), std::move(value));
  }

 private:
  static constexpr size_t kShards = 16;
  size_t per_shard_;
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, T> map;
  };
  std::array<Shard, kShards> shards_;
};

// Values longer than this are not kept (they are rarely asked again), nor requests longer than
// this.
constexpr size_t kCachedValue = 512;
constexpr size_t kCachedRequest = 2048;

std::string CacheKey(uint32_t tag, std::string_view header, std::string_view text) {
  std::string key;
  key.reserve(sizeof tag + header.size() + 1 + text.size());
  key.append(reinterpret_cast<const char*>(&tag), sizeof tag).append(header).append(1, '\n');
  key.append(text);
  return key;
}

struct Strings {
  std::array<std::vector<std::string>, kClasses> of;
  std::vector<std::string> named;  // the lower-cased name of each of of[kNamedHeaders]
};

}  // namespace

struct Prefilter::Impl {
  SecRules rules;
  Analysis analysis;
  std::vector<std::unique_ptr<EngineTransformation>> transformations;
  std::vector<Step> steps;
  std::vector<Chain> chains;
  std::vector<size_t> ungated;  // chains with no pattern link
  std::vector<Database> databases;
  Coverage coverage;
  hs_scratch_t* prototype = nullptr;
  mutable std::mutex mu;
  mutable std::vector<hs_scratch_t*> scratches;

  ~Impl() {
    for (auto& d : databases) hs_free_database(d.db);
    for (auto* s : scratches) hs_free_scratch(s);
    hs_free_scratch(prototype);
  }

  // The node for `names` applied in turn, and each node on the way; nullopt if one is unknown.
  std::optional<std::vector<int>> Steps(const std::vector<std::string>& names) {
    std::vector<int> path{-1};
    int at = -1;
    for (const auto& name : names) {
      int next = -1;
      for (size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].parent == at && names_of[i] == name) next = static_cast<int>(i);
      }
      if (next < 0) {
        auto found = EngineTransformation::Find(name);
        if (!found) return std::nullopt;
        transformations.push_back(std::move(found));
        steps.push_back({at, transformations.back().get()});
        names_of.push_back(name);
        next = static_cast<int>(steps.size() - 1);
      }
      at = next;
      path.push_back(at);
    }
    return path;
  }
  std::vector<std::string> names_of;    // by step
  std::set<std::string> named_headers;  // lower-cased: the headers some rule names

  bool Screen(std::string_view method, const RequestView& view, std::vector<int>* all) const;
  // The pattern links one value matches (chain * 16 + link); nullopt if a scan failed.
  std::optional<std::vector<uint32_t>> HitsOf(const Value& value) const;
  mutable ValueCache<std::vector<uint32_t>> cache{512};
  // Whether an exact link's operator holds for a value, by link (chain * 16 + link) and value.
  mutable ValueCache<bool> holds{512};
  mutable ValueCache<bool> requests{128};  // MayMatch's answers, by request

  std::string Apply(int step, const std::string& value) const {
    if (step < 0) return value;
    return steps[step].transformation->Apply(Apply(steps[step].parent, value));
  }
};

namespace {

// The values of `v` in this request, when they can be known exactly.
std::optional<std::vector<std::string>> ValuesOf(const SecVariable& v, std::string_view method,
                                                 const RequestView& view, const Strings& s,
                                                 const Analysis& a) {
  std::vector<std::string> out;
  const auto& c = v.collection;
  if (a.closed_collections.contains(c)) return v.count ? std::vector<std::string>{"0"} : out;
  if (c == "TX") {
    if (v.key.empty() || v.key.front() == '/') return std::nullopt;
    const auto it = a.tx.find(AsciiLower(v.key));
    if (it == a.tx.end()) return v.count ? std::vector<std::string>{"0"} : out;
    if (!it->second.known) return std::nullopt;
    if (v.count) return std::vector<std::string>{it->second.value ? "1" : "0"};
    if (it->second.value) out.push_back(*it->second.value);
    return out;
  }
  if (c == "REQUEST_METHOD") {
    out.emplace_back(method);
  } else if (c == "REQUEST_PROTOCOL") {
    out.emplace_back("HTTP/1.1");
  } else if (c == "REQUEST_LINE") {
    out.push_back(s.of[kLine].front());
  } else if (c == "REQUEST_HEADERS" || c == "REQUEST_HEADERS_NAMES") {
    if (!v.key.empty() && v.key.front() == '/') return std::nullopt;
    for (const auto& [name, value] : view.headers) {
      if (v.key.empty() || boost::beast::iequals(name, v.key))
        out.push_back(c == "REQUEST_HEADERS" ? value : name);
    }
  } else if (c == "REQUEST_BODY") {
    out.emplace_back();  // no body here
  } else if (OnlyFromBody(c)) {
    // nothing without a body
  } else if (const auto cls = ClassOf(c); cls && !v.count) {
    // Every value of the class (more than the variable's, which only adds matches).
    return s.of[*cls];
  } else {
    return std::nullopt;
  }
  if (v.count) return std::vector<std::string>{std::to_string(out.size())};
  return out;
}

}  // namespace

namespace {

constexpr std::string_view kCacheMagic = "strongroom prefilter cache 1\n";

// The databases a cache file holds, if it was written for `key` and holds `count` of them.
std::optional<std::vector<hs_database_t*>> ReadCache(const std::filesystem::path& path,
                                                     const crypto::Sha256Digest& key,
                                                     size_t count) {
  if (path.empty()) return std::nullopt;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  std::string content(static_cast<size_t>(std::max<std::streamoff>(0, in.tellg())), '\0');
  in.seekg(0);
  if (!in.read(content.data(), static_cast<std::streamsize>(content.size()))) return std::nullopt;
  std::string_view rest = content;
  if (!rest.starts_with(kCacheMagic)) return std::nullopt;
  rest.remove_prefix(kCacheMagic.size());
  if (rest.size() < key.size() ||
      !crypto::ConstantTimeEqual(
          std::span(reinterpret_cast<const uint8_t*>(rest.data()), key.size()), key))
    return std::nullopt;
  rest.remove_prefix(key.size());
  std::vector<hs_database_t*> dbs;
  const auto fail = [&dbs] {
    for (auto* d : dbs) hs_free_database(d);
    return std::nullopt;
  };
  while (!rest.empty()) {
    uint64_t size = 0;
    if (rest.size() < sizeof size) return fail();
    std::memcpy(&size, rest.data(), sizeof size);
    rest.remove_prefix(sizeof size);
    if (size > rest.size()) return fail();
    hs_database_t* db = nullptr;
    if (hs_deserialize_database(rest.data(), size, &db) != HS_SUCCESS) return fail();
    dbs.push_back(db);
    rest.remove_prefix(size);
  }
  if (dbs.size() != count) return fail();
  return dbs;
}

// Written whole or not at all (a temporary file renamed over it); a failure only costs the next
// start a compile.
void WriteCache(const std::filesystem::path& path, const crypto::Sha256Digest& key,
                const std::vector<Database>& databases) {
  if (path.empty()) return;
  std::string content(kCacheMagic);
  content.append(reinterpret_cast<const char*>(key.data()), key.size());
  for (const auto& d : databases) {
    char* bytes = nullptr;
    size_t size = 0;
    if (hs_serialize_database(d.db, &bytes, &size) != HS_SUCCESS) return;
    const uint64_t size64 = size;
    content.append(reinterpret_cast<const char*>(&size64), sizeof size64);
    content.append(bytes, size);
    std::free(bytes);
  }
  const auto temporary = path.string() + fmt::format(".{}.tmp", ::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  size_t written = 0;
  while (written < content.size()) {
    const auto n = ::write(fd, content.data() + written, content.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const bool ok = written == content.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) ::unlink(temporary.c_str());
}

}  // namespace

Prefilter::Prefilter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Prefilter::~Prefilter() = default;
const Prefilter::Coverage& Prefilter::coverage() const { return impl_->coverage; }

Result<std::unique_ptr<Prefilter>> Prefilter::Build(const std::string& configuration,
                                                    const std::filesystem::path& cache) {
  auto impl = std::make_unique<Impl>();
  auto parsed = ParseSecLang(configuration);
  if (!parsed) return std::unexpected(parsed.error());
  impl->rules = std::move(*parsed);
  impl->analysis = Analyse(impl->rules);
  const auto& analysis = impl->analysis;

  // The live chains that report (a rule with nolog changes nothing a finding holds).
  std::vector<const SecChain*> reporting;
  for (const auto* chain : analysis.live) {
    if (chain->logs()) reporting.push_back(chain);
  }

  struct Pending {
    std::string expression;
    unsigned flags;
    Entry entry;
  };
  // A database per chain of transformations and set of classes read: each scans only the values
  // its patterns read.
  std::map<std::pair<int, ClassMask>, std::vector<Pending>> by_step;
  std::vector<std::string> unscreened;

  // Whether a TX variable can hold something other than what the constants say only through
  // a chain that reports (and so is screened itself), following what each value is made of.
  std::set<std::string> checking;
  std::function<bool(const std::string&)> tx_ok;
  const auto macros_ok = [&](std::string_view text) {
    for (auto at = text.find("%{"); at != std::string_view::npos; at = text.find("%{", at + 2)) {
      const auto close = text.find('}', at);
      if (close == std::string_view::npos) return false;
      const auto n = AsciiLower(text.substr(at + 2, close - at - 2));
      if (!n.starts_with("tx.") || !tx_ok(n.substr(3))) return false;
    }
    return true;
  };
  // Whether a link reads only such TX variables, in its variables and its operator's macros.
  const auto reads_ok = [&](const SecRule& link) {
    if (link.variables.empty() || !macros_ok(link.op.param)) return false;
    return std::all_of(link.variables.begin(), link.variables.end(), [&](const SecVariable& v) {
      return v.collection == "TX" && !v.key.empty() && v.key.front() != '/' &&
             tx_ok(AsciiLower(v.key));
    });
  };
  tx_ok = [&](const std::string& name) -> bool {
    const auto it = analysis.tx.find(name);
    if (it != analysis.tx.end() && it->second.known) return true;
    if (!checking.insert(name).second) return true;
    for (const auto* writer : analysis.live) {
      for (const auto& link : writer->links) {
        for (const auto& s : link.setvars) {
          const auto macro = s.name.find("%{");
          const bool writes = s.name == name || (macro != std::string::npos &&
                                                 name.starts_with(s.name.substr(0, macro)));
          // A reporting chain is screened itself, but only its last link's setvars wait for the
          // whole chain: an earlier link's run when that link matches.
          if (!writes || (writer->logs() && &link == &writer->links.back())) continue;
          if (!macros_ok(s.value)) return false;
          if (analysis.decided.contains(writer)) continue;
          if (!std::all_of(writer->links.begin(), writer->links.end(), reads_ok)) return false;
        }
      }
    }
    return true;
  };
  // A chain that reads only TX (the anomaly score's evaluation): see tx_ok.
  const auto derived_ok = [&](const SecChain& chain) {
    return std::all_of(chain.links.begin(), chain.links.end(), reads_ok);
  };
  // What sets a TX variable whose name `key` (a /regex/) may match, on a request without a body:
  // "" nothing; L (lower-cased) only chains that name it after request data (a captured value,
  // lower-cased, or the name of the variable matched), so that the name holds L only if the
  // request does; nullopt anything else.
  const auto tx_regex_writers = [&](const std::string& key) -> std::optional<std::string> {
    std::string_view k = key;
    if (k.size() < 2 || k.front() != '/' || k.back() != '/') return std::nullopt;
    k = k.substr(1, k.size() - 2);
    const bool anchored = k.starts_with('^');
    if (anchored) k.remove_prefix(1);
    std::string literal;
    size_t i = 0;
    while (i < k.size() && (std::isalnum(static_cast<unsigned char>(k[i])) || k[i] == '_'))
      literal += static_cast<char>(std::tolower(static_cast<unsigned char>(k[i++])));
    // A quantifier on the last character makes it optional.
    if (i < k.size() && (k[i] == '*' || k[i] == '?' || k[i] == '{') && !literal.empty())
      literal.pop_back();
    if (literal.empty()) return std::nullopt;
    bool named_from_request = false;
    for (const auto* writer : analysis.live) {
      const bool needs_body =
          std::any_of(writer->links.begin(), writer->links.end(), [](const SecRule& l) {
            return !l.variables.empty() &&
                   std::all_of(l.variables.begin(), l.variables.end(), [](const SecVariable& v) {
                     return v.exclude || (!v.count && OnlyFromBody(v.collection));
                   });
          });
      for (const auto& link : writer->links) {
        for (const auto& sv : link.setvars) {
          const auto macro = sv.name.find("%{");
          if (macro == std::string::npos) {
            const bool matches = anchored ? sv.name.starts_with(literal)
                                          : sv.name.find(literal) != std::string::npos;
            if (matches && !needs_body) return std::nullopt;
            continue;
          }
          const auto prefix = sv.name.substr(0, macro);
          if (anchored && !prefix.starts_with(literal) && !literal.starts_with(prefix)) continue;
          if (needs_body) continue;
          const auto close = sv.name.find('}', macro);
          if (close == std::string::npos || close + 1 != sv.name.size()) return std::nullopt;
          const auto m = AsciiLower(std::string_view(sv.name).substr(macro + 2, close - macro - 2));
          // What comes before the request's own data in the name.
          std::vector<std::string> heads{prefix};
          if (m == "matched_var_name") {
            for (const auto* c :
                 {"args", "args_get", "args_names", "request_headers", "request_headers_names",
                  "request_cookies", "request_cookies_names", "request_filename", "request_uri"})
              heads.push_back(prefix + c + ":");
          } else if (!(m == "tx.0" && link.capture && link.op.name == "rx" && !link.op.negated &&
                       link.op.param == "^.*$" &&
                       std::all_of(link.transformations.begin(), link.transformations.end(),
                                   [](const std::string& t) { return t == "lowercase"; }))) {
            return std::nullopt;
          }
          for (const auto& h : heads) {
            if (h.find(literal) != std::string::npos) return std::nullopt;
            for (size_t n = 1; n < literal.size(); ++n) {
              if (h.ends_with(std::string_view(literal).substr(0, n))) return std::nullopt;
            }
          }
          named_from_request = true;
        }
      }
    }
    return named_from_request ? literal : std::string();
  };

  for (const auto* rules : reporting) {
    if (rules->links.size() > 16) {  // hits are counted as chain * 16 + link
      unscreened.push_back(fmt::format("{} ({})", rules->head().id, rules->head().where));
      continue;
    }
    Chain chain;
    chain.rules = rules;
    const size_t index = impl->chains.size();
    bool some_false_possible = false;
    for (size_t li = 0; li < rules->links.size(); ++li) {
      const auto& rule = rules->links[li];
      Link link;
      link.rule = &rule;
      const auto path = impl->Steps(rule.transformations);
      if (!path) {
        chain.links.push_back(std::move(link));
        continue;
      }
      link.step = path->back();
      link.multi_match = rule.multi_match;
      link.stages = rule.multi_match ? *path : std::vector<int>{path->back()};
      std::vector<SecVariable> vars;
      for (const auto& v : rule.variables) {
        if (!v.exclude) vars.push_back(v);
      }
      const auto& op = rule.op.name;
      const auto param = ExpandConstants(rule.op.param, analysis.tx);
      // Values that cannot exist: the link never matches.
      const bool all_closed =
          !vars.empty() && std::all_of(vars.begin(), vars.end(), [&](const SecVariable& v) {
            return !v.count && analysis.closed_collections.contains(v.collection);
          });
      ClassMask classes = 0;
      std::set<std::string> headers;
      bool on_request = !vars.empty();
      for (const auto& v : vars) {
        const auto c = ClassOf(v.collection);
        if (analysis.closed_collections.contains(v.collection) && !v.count) continue;
        if (!c || v.count) {
          on_request = false;
          break;
        }
        if (*c == kHeaders && !v.key.empty() && v.key.front() != '/') {
          headers.insert(AsciiLower(v.key));
          impl->named_headers.insert(AsciiLower(v.key));
          classes |= static_cast<ClassMask>(1u << kNamedHeaders);
        } else {
          classes |= static_cast<ClassMask>(1u << *c);
        }
      }
      const bool pattern_op = op == "rx" || op == "pm" || op == "pmfromfile" || op == "pmf" ||
                              op == "contains" || op == "containsword" || op == "beginswith" ||
                              op == "endswith" || op == "streq";
      // A TX /regex/ variable set only from the request's names (defense/prefilter.h).
      std::optional<std::string> named;
      if (vars.size() == 1 && vars[0].collection == "TX" && vars[0].key.starts_with("/") &&
          !vars[0].count) {
        named = tx_regex_writers(vars[0].key);
      }
      const bool body_only =
          !vars.empty() && std::all_of(vars.begin(), vars.end(), [&](const SecVariable& v) {
            return !v.count && OnlyFromBody(v.collection);
          });
      if (all_closed || body_only || (named && named->empty())) {
        link.kind = Link::Kind::kNever;
      } else if (named) {
        link.kind = Link::Kind::kNamed;
        link.named = *named;
      } else if (!rule.op.negated && pattern_op && on_request && classes && param) {
        std::vector<std::pair<std::string, unsigned>> expressions;
        if (op == "rx") {
          expressions.emplace_back(PerValueAnchors(*param), HS_FLAG_PREFILTER | HS_FLAG_DOTALL |
                                                                HS_FLAG_MULTILINE |
                                                                HS_FLAG_ALLOWEMPTY);
        } else if (op == "pm") {
          for (const auto& w : Words(*param))
            expressions.emplace_back(Escaped(w), HS_FLAG_CASELESS);
        } else if (op == "pmfromfile" || op == "pmf") {
          auto phrases = PhrasesFromFiles(rule);
          if (!phrases) return std::unexpected(phrases.error());
          for (const auto& w : *phrases) expressions.emplace_back(Escaped(w), HS_FLAG_CASELESS);
        } else if (!param->empty()) {
          expressions.emplace_back(Escaped(*param), 0u);
        }
        // Each must be one Hyperscan can take (else the link cannot be screened).
        bool compiled = !expressions.empty();
        for (auto& [e, flags] : expressions) {
          flags |= HS_FLAG_SINGLEMATCH;
          if (op != "rx") continue;  // a literal, escaped: always taken
          hs_expr_info_t* info = nullptr;
          hs_compile_error_t* error = nullptr;
          if (hs_expression_info(e.c_str(), flags, &info, &error) != HS_SUCCESS) {
            hs_free_compile_error(error);
            compiled = false;
            break;
          }
          std::free(info);
        }
        if (compiled) {
          link.kind = Link::Kind::kPattern;
          for (int stage : link.stages) {
            for (const auto& [e, flags] : expressions)
              by_step[{stage, classes}].push_back({e, flags, {index, li, classes, headers}});
          }
          chain.gated = true;
        }
      }
      if (link.kind == Link::Kind::kUnknown && Supported(op) && param) {
        // Derived values: TX:/^prefix/ set from an earlier link's whole captured value.
        bool exact_vars = !vars.empty();
        for (const auto& v : vars) {
          if (v.collection == "TX" && !v.key.empty() && v.key.front() == '/' && !v.count) {
            const auto prefix = AsciiLower(v.key).substr(v.key.starts_with("/^") ? 2 : 1);
            const auto stripped = prefix.substr(0, prefix.find('/'));
            bool found = false;
            for (size_t e = 0; e < li; ++e) {
              const auto& earlier = rules->links[e];
              for (const auto& s : earlier.setvars) {
                if (s.name != stripped + "%{tx.0}" || !earlier.capture || earlier.op.name != "rx" ||
                    earlier.op.negated || earlier.op.param != "^.*$")
                  continue;
                if (const auto ep = impl->Steps(earlier.transformations)) {
                  link.derived = Derived{s.value, &earlier, ep->back()};
                  found = true;
                }
              }
            }
            if (!found || vars.size() != 1) exact_vars = false;
            continue;
          }
          // Whether ValuesOf reads it: that depends on the variable, not on the request.
          RequestView empty;
          Strings none;
          none.of[kLine].push_back("");
          if (!ValuesOf(v, "GET", empty, none, analysis)) exact_vars = false;
        }
        if (exact_vars) {
          auto exact = std::make_unique<Exact>();
          exact->op = op;
          exact->negated = rule.op.negated;
          exact->param = *param;
          if (op == "rx") {
            exact->pcre = std::make_unique<Pcre>(*param);
            if (!exact->pcre->code) exact_vars = false;
          } else if (op == "pm") {
            for (const auto& w : Words(*param)) exact->phrases.push_back(AsciiLower(w));
          } else if (op == "validatebyterange") {
            std::string list = *param;
            std::replace(list.begin(), list.end(), ',', ' ');
            for (const auto& part : Words(list)) {
              const auto dash = part.find('-');
              int lo = 0, hi = 0;
              std::from_chars(part.data(), part.data() + part.size(), lo);
              hi = lo;
              if (dash != std::string::npos)
                std::from_chars(part.data() + dash + 1, part.data() + part.size(), hi);
              exact->ranges.emplace_back(lo, hi);
            }
          }
          if (exact_vars) {
            link.kind = Link::Kind::kExact;
            link.exact = std::move(exact);
            some_false_possible = true;
          }
        }
      }
      if (link.kind == Link::Kind::kNever || link.kind == Link::Kind::kNamed)
        some_false_possible = true;
      chain.links.push_back(std::move(link));
    }
    ++impl->coverage.live;
    if (chain.gated) {
      ++impl->coverage.patterns;
    } else if (some_false_possible) {
      ++impl->coverage.exact;
      impl->ungated.push_back(index);
    } else {
      if (derived_ok(*rules)) {
        ++impl->coverage.derived;
        // Screened by the chains that set what it reads: left out of the chains asked.
        impl->chains.push_back(std::move(chain));
        impl->chains.back().links.clear();
        continue;
      }
      unscreened.push_back(fmt::format("{} ({})", rules->head().id, rules->head().where));
    }
    impl->chains.push_back(std::move(chain));
  }
  if (!unscreened.empty()) {
    std::string list;
    for (const auto& u : unscreened) list += (list.empty() ? "" : ", ") + u;
    return Fail(ErrorCode::kFailedPrecondition, "these rules cannot be screened: " + list);
  }

  // What is compiled, hashed: a cache holding databases compiled from exactly this is used.
  std::string key_input = fmt::format("strongroom-prefilter-1\n{}\n", hs_version());
  for (const auto& [group, pending] : by_step) {
    key_input += fmt::format("step {} {} {}\n", group.first, group.second, pending.size());
    for (const auto& p : pending) key_input += fmt::format("{} {}\n", p.flags, p.expression);
  }
  const auto key = crypto::Sha256(
      std::span(reinterpret_cast<const uint8_t*>(key_input.data()), key_input.size()));
  auto cached = ReadCache(cache, key, by_step.size());
  for (auto& [group, pending] : by_step) {
    Database d;
    d.step = group.first;
    std::vector<const char*> expressions;
    std::vector<unsigned> flags, ids;
    for (size_t i = 0; i < pending.size(); ++i) {
      expressions.push_back(pending[i].expression.c_str());
      flags.push_back(pending[i].flags);
      ids.push_back(static_cast<unsigned>(i));
      d.entries.push_back(pending[i].entry);
      d.classes |= pending[i].entry.classes;
    }
    if (cached) {
      d.db = (*cached)[impl->databases.size()];
      (*cached)[impl->databases.size()] = nullptr;
    } else {
      hs_compile_error_t* error = nullptr;
      if (hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                           static_cast<unsigned>(expressions.size()), HS_MODE_BLOCK, nullptr, &d.db,
                           &error) != HS_SUCCESS) {
        std::string message = error && error->message ? error->message : "unknown";
        hs_free_compile_error(error);
        return Fail(ErrorCode::kFailedPrecondition, "the prefilter did not compile: " + message);
      }
    }
    if (hs_alloc_scratch(d.db, &impl->prototype) != HS_SUCCESS) {
      hs_free_database(d.db);
      if (cached) {
        for (auto* left : *cached) hs_free_database(left);  // those not taken yet
      }
      return Fail(ErrorCode::kResourceExhausted, "no memory for the prefilter");
    }
    impl->databases.push_back(std::move(d));
  }
  impl->coverage.cached = cached.has_value();
  if (!cached) WriteCache(cache, key, impl->databases);
  impl->coverage.databases = impl->databases.size();
  return std::unique_ptr<Prefilter>(new Prefilter(std::move(impl)));
}

namespace {

// The request's strings, as the engine derives its variables from what it is shown
// (libmodsecurity's Transaction::processURI and addRequestHeader); where a detail is uncertain
// (whether '+' is a space) both readings are kept, which can only add matches.
Strings Collect(std::string_view method, const RequestView& view,
                const std::set<std::string>& named) {
  Strings s;
  const std::string& target = view.target;
  std::string line;
  line.reserve(method.size() + target.size() + 10);
  line.append(method).append(" ").append(target).append(" HTTP/1.1");
  s.of[kLine] = {std::move(line), std::string(method), "HTTP/1.1"};
  const auto q = target.find('?');
  const std::string raw_path = target.substr(0, q);
  const std::string raw_query = q == std::string::npos ? "" : target.substr(q + 1);
  auto& uri = s.of[kUri];
  uri.push_back(target);
  uri.push_back(raw_query);
  auto& paths = s.of[kPath];
  paths.emplace_back();  // a path with no basename
  const bool pluses = target.find('+') != std::string::npos;
  for (bool plus : {false, true}) {
    if (plus && !pluses) break;  // the same again
    const auto decoded = PercentDecoded(target, plus);
    uri.push_back(decoded);
    const auto dq = decoded.find('?');
    for (const auto& path : {decoded.substr(0, dq), PercentDecoded(raw_path, plus), raw_path}) {
      paths.push_back(path);
      const auto slash = path.find_last_of("/\\");
      if (slash != std::string::npos) paths.push_back(path.substr(slash + 1));
    }
  }
  for (auto* list : {&uri, &paths}) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
  }
  if (!raw_query.empty()) {
    std::string_view rest = raw_query;
    while (true) {
      const auto amp = rest.find('&');
      const auto pair = rest.substr(0, amp);
      const auto eq = pair.find('=');
      const auto name = pair.substr(0, eq);
      const auto value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      for (bool plus : {false, true}) {
        if (plus && pair.find('+') == std::string_view::npos) break;
        s.of[kArgNames].push_back(PercentDecoded(name, plus));
        s.of[kArgs].push_back(PercentDecoded(value, plus));
      }
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  for (const auto& [name, value] : view.headers) {
    s.of[kHeaderNames].push_back(name);
    s.of[kHeaders].push_back(value);
    if (named.contains(AsciiLower(name))) {
      s.of[kNamedHeaders].push_back(value);
      s.named.push_back(AsciiLower(name));
    }
    if (!boost::beast::iequals(name, "cookie")) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      std::string_view c = rest.substr(0, semi);
      rest.remove_prefix(semi == std::string_view::npos ? rest.size() : semi + 1);
      const auto eq = c.find('=');
      std::string_view key = c.substr(0, eq);
      while (!key.empty() && std::isspace(static_cast<unsigned char>(key.front())))
        key.remove_prefix(1);
      if (key.empty()) continue;
      const auto val = eq == std::string_view::npos ? std::string_view() : c.substr(eq + 1);
      s.of[kCookieNames].emplace_back(key);
      s.of[kCookies].emplace_back(val);
      auto trimmed = val;
      while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
        trimmed.remove_suffix(1);
      if (trimmed.size() != val.size()) s.of[kCookies].emplace_back(trimmed);
    }
  }
  s.of[kBody].emplace_back();
  return s;
}

std::vector<Value> Flatten(const Strings& s) {
  std::vector<Value> out;
  std::unordered_map<std::string, size_t> index;
  for (int c = 0; c < kClasses; ++c) {
    for (size_t i = 0; i < s.of[c].size(); ++i) {
      const std::string_view header = c == kNamedHeaders ? std::string_view(s.named[i]) : "";
      const auto& text = s.of[c][i];
      const auto [it, inserted] = index.try_emplace(CacheKey(0, header, text), out.size());
      if (inserted) out.push_back({text, 0, std::string(header)});
      out[it->second].classes |= static_cast<ClassMask>(1u << c);
    }
  }
  return out;
}

// One value scanned alone by one database: the pattern links it matches, as chain * 16 + link.
struct Scan {
  const Database* db;
  const Value* value;
  std::vector<uint32_t>* hits;
};

}  // namespace

namespace {

// Whether every link of `chain` may match: its patterns' links have matched (`hit`), and its
// other operators hold, evaluated exactly.
bool ChainMay(const Prefilter::Impl& impl, const Chain& chain, const uint8_t* hit,
              std::string_view method, const RequestView& view, const Strings& s) {
  for (size_t i = 0; i < chain.links.size(); ++i) {
    const auto& link = chain.links[i];
    if (link.kind == Link::Kind::kNever) return false;
    if (link.kind == Link::Kind::kNamed) {
      const bool held = std::any_of(s.of.begin(), s.of.end(), [&](const auto& values) {
        return std::any_of(values.begin(), values.end(), [&](const std::string& v) {
          return AsciiLower(v).find(link.named) != std::string::npos;
        });
      });
      if (!held) return false;
      continue;
    }
    if (link.kind == Link::Kind::kPattern && hit && !hit[i]) return false;
    if (link.kind != Link::Kind::kExact) continue;
    std::vector<std::string> values;
    if (link.derived) {
      for (const auto& v : link.derived->source->variables) {
        if (v.exclude) continue;
        const auto source = ValuesOf(v, method, view, s, impl.analysis);
        if (!source) return true;
        for (const auto& value : *source) {
          const auto captured = impl.Apply(link.derived->step, value);
          std::string out = link.derived->templ;
          for (auto at = out.find("%{tx.0}"); at != std::string::npos;
               at = out.find("%{tx.0}", at + captured.size()))
            out.replace(at, 7, captured);
          values.push_back(std::move(out));
        }
      }
    } else {
      for (const auto& v : link.rule->variables) {
        if (v.exclude) continue;
        const auto got = ValuesOf(v, method, view, s, impl.analysis);
        if (!got) return true;
        values.insert(values.end(), got->begin(), got->end());
      }
    }
    const auto holds = [&](const std::string& value) {
      std::string key;
      if (value.size() <= kCachedValue) {
        key = CacheKey(static_cast<uint32_t>((&chain - impl.chains.data()) * 16 + i), "", value);
        if (const auto cached = impl.holds.Find(key)) return *cached;
      }
      bool h = false;
      for (int stage : link.stages) {
        if (link.exact->Matches(impl.Apply(stage, value))) {
          h = true;
          break;
        }
      }
      if (!key.empty()) impl.holds.Put(std::move(key), h);
      return h;
    };
    if (!std::any_of(values.begin(), values.end(), holds)) return false;
  }
  return true;
}

int OnMatch(unsigned id, unsigned long long, unsigned long long, unsigned, void* context) {
  auto* scan = static_cast<Scan*>(context);
  const auto& entry = scan->db->entries[id];
  auto classes = static_cast<ClassMask>(scan->value->classes & entry.classes);
  if (classes == (1u << kNamedHeaders) && !entry.headers.contains(scan->value->header)) classes = 0;
  if (classes) scan->hits->push_back(static_cast<uint32_t>(entry.chain * 16 + entry.link));
  return 0;
}

}  // namespace

bool Prefilter::MayMatch(std::string_view method, const RequestView& view) const {
  // The answer for a whole request depends on nothing else either: a request asked again (a
  // health check, a page polled) is answered from memory.
  std::string key;
  size_t size = method.size() + view.target.size() + view.body.size();
  for (const auto& [name, value] : view.headers) size += name.size() + value.size() + 2;
  if (size <= kCachedRequest && view.body.empty()) {
    key.reserve(size + 2);
    key.append(method).append(1, '\n').append(view.target);
    for (const auto& [name, value] : view.headers)
      key.append(1, '\n').append(name).append(1, ':').append(value);
    if (const auto cached = impl_->requests.Find(key)) return *cached;
  }
  const bool may = impl_->Screen(method, view, nullptr);
  if (!key.empty()) impl_->requests.Put(std::move(key), may);
  return may;
}

std::vector<int> Prefilter::Candidates(std::string_view method, const RequestView& view) const {
  std::vector<int> ids;
  impl_->Screen(method, view, &ids);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

bool Prefilter::Impl::Screen(std::string_view method, const RequestView& view,
                             std::vector<int>* all) const {
  if (!view.body.empty() || view.target.empty() || view.target.front() != '/') {
    if (all) all->push_back(0);
    return true;
  }
  for (const auto& [name, value] : view.headers) {
    if (boost::beast::iequals(name, "content-type") ||
        boost::beast::iequals(name, "transfer-encoding")) {
      if (all) all->push_back(0);
      return true;
    }
  }
  const Strings s = Collect(method, view, named_headers);
  for (size_t i : ungated) {
    if (ChainMay(*this, chains[i], nullptr, method, view, s)) {
      if (!all) return true;
      all->push_back(chains[i].rules->head().id);
    }
  }
  bool found = all && !all->empty();
  std::vector<uint8_t> hit(chains.size() * 16);  // [chain * 16 + link]
  for (const auto& value : Flatten(s)) {
    const auto hits = HitsOf(value);
    if (!hits) return true;  // a scan failed (it cannot, short of memory): fail closed
    for (const uint32_t h : *hits) {
      const size_t chain = h / 16;
      if (hit[h]) continue;
      hit[h] = 1;
      if (!ChainMay(*this, chains[chain], &hit[chain * 16], method, view, s)) continue;
      if (!all) return true;
      all->push_back(chains[chain].rules->head().id);
      found = true;
    }
  }
  return found;
}

std::optional<std::vector<uint32_t>> Prefilter::Impl::HitsOf(const Value& value) const {
  std::string key;
  if (value.text.size() <= kCachedValue) {
    key = CacheKey(value.classes, value.header, value.text);
    if (auto cached = cache.Find(key)) return cached;
  }
  hs_scratch_t* scratch = nullptr;
  {
    std::lock_guard lock(mu);
    if (!scratches.empty()) {
      scratch = scratches.back();
      scratches.pop_back();
    }
  }
  if (!scratch && hs_clone_scratch(prototype, &scratch) != HS_SUCCESS) return std::nullopt;
  std::vector<uint32_t> hits;
  bool failed = false;
  std::vector<std::optional<std::string>> transformed(steps.size());
  const std::function<const std::string&(int)> at = [&](int step) -> const std::string& {
    if (step < 0) return value.text;
    auto& slot = transformed[static_cast<size_t>(step)];
    if (!slot) {
      slot = steps[static_cast<size_t>(step)].transformation->Apply(
          at(steps[static_cast<size_t>(step)].parent));
    }
    return *slot;
  };
  for (const auto& db : databases) {
    if (!(db.classes & value.classes)) continue;
    const auto& text = at(db.step);
    Scan scan{&db, &value, &hits};
    if (hs_scan(db.db, text.data(), static_cast<unsigned>(text.size()), 0, scratch, OnMatch,
                &scan) != HS_SUCCESS) {
      failed = true;
      break;
    }
  }
  {
    std::lock_guard lock(mu);
    scratches.push_back(scratch);
  }
  if (failed) return std::nullopt;
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  if (!key.empty()) cache.Put(std::move(key), hits);
  return hits;
}

}  // namespace strongroom::defense
