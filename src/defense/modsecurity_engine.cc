#include "defense/modsecurity_engine.h"

#include <modsecurity/actions/action.h>
#include <modsecurity/collection/collection.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rule_message.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>

#include <cctype>
#include <charconv>
#include <typeinfo>

// libinjection, inside libmodsecurity (its C interface, as libinjection declares it).
extern "C" {
int libinjection_sqli(const char* s, size_t slen, char fingerprint[]);
int libinjection_xss(const char* s, size_t slen);
}

// The factory the rule parser's transformations come from. libmodsecurity exports it; its header
// is not installed, so it is declared here: only the static function is used, and the objects it
// returns are used through modsecurity::actions::Action, whose header is.
namespace modsecurity::actions::transformations {
class Transformation : public Action {
 public:
  static Transformation* instantiate(std::string name);
};
}  // namespace modsecurity::actions::transformations

namespace strongroom::defense {
namespace {

// Without a server log callback, libmodsecurity prints every match, matched values included, to
// standard error. Matches are read from the transaction instead; this callback drops them.
void DropLog(void*, const void*) {}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// The names the factory knows, by the lower-cased names rules use (the rule parser reads them in
// any case; the factory wants these spellings).
constexpr std::pair<std::string_view, std::string_view> kTransformations[] = {
    {"base64decode", "base64Decode"},
    {"base64decodeext", "base64DecodeExt"},
    {"cmdline", "cmd_line"},
    {"compresswhitespace", "compressWhitespace"},
    {"cssdecode", "cssDecode"},
    {"escapeseqdecode", "escapeSeqDecode"},
    {"hexdecode", "hexDecode"},
    {"hexencode", "hexEncode"},
    {"htmlentitydecode", "htmlEntityDecode"},
    {"jsdecode", "jsDecode"},
    {"length", "length"},
    {"lowercase", "lowercase"},
    {"md5", "md5"},
    {"normalisepath", "normalisePath"},
    {"normalizepath", "normalizePath"},
    {"normalisepathwin", "normalisePathWin"},
    {"normalizepathwin", "normalizePathWin"},
    {"removecomments", "removeComments"},
    {"removecommentschar", "removeCommentsChar"},
    {"removenulls", "removeNulls"},
    {"removewhitespace", "removeWhitespace"},
    {"replacecomments", "replaceComments"},
    {"replacenulls", "replaceNulls"},
    {"sha1", "sha1"},
    {"sqlhexdecode", "sqlHexDecode"},
    {"trim", "trim"},
    {"trimleft", "trimLeft"},
    {"trimright", "trimRight"},
    {"uppercase", "uppercase"},
    {"urldecode", "urlDecode"},
    {"urldecodeuni", "urlDecodeUni"},
    {"urlencode", "urlEncode"},
    {"utf8tounicode", "utf8toUnicode"},
};

}  // namespace

struct EngineTransformation::Impl {
  std::unique_ptr<modsecurity::actions::Action> action;
};

EngineTransformation::EngineTransformation(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EngineTransformation::~EngineTransformation() = default;

std::unique_ptr<EngineTransformation> EngineTransformation::Find(std::string_view name) {
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [known, spelling] : kTransformations) {
    if (known != lower) continue;
    std::unique_ptr<modsecurity::actions::Action> action(
        modsecurity::actions::transformations::Transformation::instantiate("t:" +
                                                                           std::string(spelling)));
    // An unknown name gives the base class, which changes nothing: refuse it.
    if (!action || typeid(*action) == typeid(modsecurity::actions::transformations::Transformation))
      return nullptr;
    auto impl = std::make_unique<Impl>();
    impl->action = std::move(action);
    return std::unique_ptr<EngineTransformation>(new EngineTransformation(std::move(impl)));
  }
  return nullptr;
}

std::string EngineTransformation::Apply(const std::string& value) const {
  return impl_->action->evaluate(value, nullptr);
}

bool EngineDetectsSqli(std::string_view value) {
  char fingerprint[8] = {};
  return libinjection_sqli(value.data(), value.size(), fingerprint) != 0;
}

bool EngineDetectsXss(std::string_view value) {
  return libinjection_xss(value.data(), value.size()) != 0;
}

struct ModSecurityEngine::Impl {
  modsecurity::ModSecurity modsec;
  modsecurity::RulesSet rules;
};

ModSecurityEngine::ModSecurityEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ModSecurityEngine::~ModSecurityEngine() = default;

ModSecurityEngine::Loaded ModSecurityEngine::Load(const std::string& configuration) {
  auto impl = std::make_unique<Impl>();
  impl->modsec.setConnectorInformation("strongroom");
  impl->modsec.setServerLogCb(DropLog, modsecurity::RuleMessageLogProperty);
  try {
    if (impl->rules.load(configuration.c_str()) < 0) {
      return {nullptr, impl->rules.getParserError()};
    }
  } catch (const std::exception& e) {
    return {nullptr, e.what()};
  }
  return {std::unique_ptr<ModSecurityEngine>(new ModSecurityEngine(std::move(impl))), ""};
}

EngineResult ModSecurityEngine::Run(const EngineRequest& request) {
  modsecurity::Transaction t(&impl_->modsec, &impl_->rules, nullptr);
  const std::string client(request.client);
  t.processConnection(client.c_str(), 0, "0.0.0.0", 0);
  const std::string target(request.target);
  const std::string method(request.method);
  t.processURI(target.c_str(), method.c_str(), "1.1");
  for (const auto& [name, value] : request.headers) {
    t.addRequestHeader(Bytes(name), name.size(), Bytes(value), value.size());
  }
  t.processRequestHeaders();
  if (!request.body.empty()) t.appendRequestBody(Bytes(request.body), request.body.size());
  t.processRequestBody();
  EngineResult result;
  if (const auto s = t.m_collections.m_tx_collection->resolveFirst("anomaly_score")) {
    std::from_chars(s->data(), s->data() + s->size(), result.anomaly_score);
  }
  for (const auto& m : t.m_rulesMessages) {
    result.messages.push_back({m.m_ruleId, m.m_severity, m.m_message, m.m_match, m.m_data});
  }
  t.processLogging();
  return result;
}

}  // namespace strongroom::defense
