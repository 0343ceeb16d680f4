#include "defense/modsecurity_engine.h"

#include <modsecurity/collection/collection.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rule_message.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>

#include <charconv>

namespace strongroom::defense {
namespace {

// Without a server log callback, libmodsecurity prints every match, matched values included, to
// standard error. Matches are read from the transaction instead; this callback drops them.
void DropLog(void*, const void*) {}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

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
