#include "defense/crs.h"

#include <fmt/format.h>

#include <cctype>

#include "defense/modsecurity_engine.h"
#include "defense/view.h"

namespace strongroom::defense {

namespace {

// The request rule files this service loads, in CRS's order. Left out: the exclusion packages for
// other applications (903.*), IP reputation and DoS protection (910, 912: they need the per-IP
// collections, and admission control and the Detector's per-source scores do that work here).
constexpr std::string_view kRuleFiles[] = {
    "REQUEST-901-INITIALIZATION.conf",
    "REQUEST-905-COMMON-EXCEPTIONS.conf",
    "REQUEST-911-METHOD-ENFORCEMENT.conf",
    "REQUEST-913-SCANNER-DETECTION.conf",
    "REQUEST-920-PROTOCOL-ENFORCEMENT.conf",
    "REQUEST-921-PROTOCOL-ATTACK.conf",
    "REQUEST-922-MULTIPART-ATTACK.conf",
    "REQUEST-930-APPLICATION-ATTACK-LFI.conf",
    "REQUEST-931-APPLICATION-ATTACK-RFI.conf",
    "REQUEST-932-APPLICATION-ATTACK-RCE.conf",
    "REQUEST-933-APPLICATION-ATTACK-PHP.conf",
    "REQUEST-934-APPLICATION-ATTACK-NODEJS.conf",
    "REQUEST-941-APPLICATION-ATTACK-XSS.conf",
    "REQUEST-942-APPLICATION-ATTACK-SQLI.conf",
    "REQUEST-943-APPLICATION-ATTACK-SESSION-FIXATION.conf",
    "REQUEST-944-APPLICATION-ATTACK-JAVA.conf",
    "REQUEST-949-BLOCKING-EVALUATION.conf",
};

constexpr int kBlockingEvaluation = 949110;
// SecRequestBodyLimit below: the most of a (windowed) body the engine reads.
constexpr size_t kInspectableBody = 64 * 1024 * 1024;

// Printable ASCII only, at most `max` characters: what is kept of a rule's message or a variable
// name (either can hold a few characters of what the client sent, e.g. a parameter's name).
std::string Printable(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

// The name of the variable a rule matched, from libmodsecurity's description of the match:
// "... against variable `NAME' (Value: ..." for operators, or CRS's log data "Matched Data: X
// found within NAME: VALUE" for libinjection (X is then a short fingerprint).
std::string VariableOf(const EngineMessage& m) {
  const auto between = [](std::string_view text, std::string_view open,
                          std::string_view close) -> std::string {
    const auto at = text.find(open);
    if (at == std::string_view::npos) return "";
    const auto start = at + open.size();
    const auto end = text.find(close, start);
    if (end == std::string_view::npos) return "";
    return Printable(text.substr(start, end - start), 80);
  };
  if (auto v = between(m.match, "against variable `", "' (Value"); !v.empty()) return v;
  return between(m.data, " found within ", ": ");
}

bool IsBodyVariable(std::string_view name) {
  return name.starts_with("ARGS:json.") || name.starts_with("ARGS_NAMES:json.") ||
         name.starts_with("ARGS_POST") || name.starts_with("REQUEST_BODY") ||
         name.starts_with("FILES") || name.starts_with("XML");
}

// Whether the query, percent-decoded and lower-cased, says "json" anywhere: a parameter named
// "json.x" would be reported as ARGS:json.x, like the body's field x.
bool MentionsJson(std::string_view query) {
  std::string decoded;
  for (size_t i = 0; i < query.size(); ++i) {
    char c = query[i];
    if (c == '%' && i + 2 < query.size() &&
        std::isxdigit(static_cast<unsigned char>(query[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(query[i + 2]))) {
      c = static_cast<char>(std::stoi(std::string(query.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    }
    decoded += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  // %u escapes (%u006a) are read by some decoders: any left over counts as a mention.
  return decoded.find("json") != std::string::npos || decoded.find("%u") != std::string::npos;
}

}  // namespace

bool Finding::OnlyInBody() const {
  if (query_mimics_body) return false;
  for (const auto& m : matches) {
    if (m.variables.empty()) return false;
    for (const auto& v : m.variables) {
      if (!IsBodyVariable(v)) return false;
    }
  }
  return !matches.empty();
}

std::string CrsConfiguration(const CrsOptions& o) {
  std::string conf = fmt::format(R"(SecRuleEngine DetectionOnly
SecRequestBodyAccess On
SecRequestBodyLimit 67108864
SecRequestBodyNoFilesLimit 67108864
SecRequestBodyLimitAction ProcessPartial
SecResponseBodyAccess Off
SecAuditEngine Off
SecRule REQUEST_HEADERS:Content-Type "@rx ^application/(?:[a-z0-9.-]+\+)?json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecAction "id:900000,phase:1,pass,nolog,t:none,setvar:tx.paranoia_level={}"
SecAction "id:900110,phase:1,pass,nolog,t:none,setvar:tx.inbound_anomaly_score_threshold={},setvar:tx.outbound_anomaly_score_threshold=4"
SecAction "id:900200,phase:1,pass,nolog,t:none,setvar:'tx.allowed_methods=GET HEAD POST PUT PATCH DELETE OPTIONS'"
SecAction "id:900220,phase:1,pass,nolog,t:none,setvar:'tx.allowed_request_content_type=|application/json| |application/scim+json| |text/csv| |application/x-www-form-urlencoded| |multipart/form-data| |text/plain| |application/octet-stream|'"
SecAction "id:900990,phase:1,pass,nolog,t:none,setvar:tx.crs_setup_version=334"
)",
                                 o.paranoia_level, o.inbound_threshold);
  // The view holds no secret (defense/view.h); the rules are also told to leave them out.
  std::string secrets;
  const auto exclude = [&secrets](std::string_view target) {
    secrets += fmt::format(",ctl:ruleRemoveTargetByTag=OWASP_CRS;{}", target);
  };
  for (auto field : kSecretFields) exclude(fmt::format("ARGS:json.{}", field));
  for (auto cookie : kSecretCookies) exclude(fmt::format("REQUEST_COOKIES:{}", cookie));
  exclude("REQUEST_HEADERS:Authorization");
  exclude("REQUEST_HEADERS:Cookie");
  conf += fmt::format("SecAction \"id:900991,phase:1,pass,nolog,t:none{}\"\n", secrets);
  for (auto file : kRuleFiles)
    conf += fmt::format("Include \"{}\"\n", (o.rules_dir / file).string());
  // Per-IP and global collections: not thread-safe in libmodsecurity 3.0.9, and kept by the
  // Detector here. A numeric Host: this service is often reached by address (the admin and
  // metrics listeners on loopback), so it is no sign of a scanner.
  conf += "SecRuleRemoveById 901321\nSecRuleRemoveById 920350\n";
  return conf;
}

Crs::Crs(CrsOptions options, std::unique_ptr<ModSecurityEngine> engine)
    : options_(std::move(options)), engine_(std::move(engine)) {}
Crs::~Crs() = default;

Result<std::unique_ptr<Crs>> Crs::Load(const CrsOptions& options) {
  if (options.paranoia_level < 1 || options.paranoia_level > 4 || options.inbound_threshold < 1) {
    return Fail(ErrorCode::kInvalidArgument, "paranoia level must be 1 to 4, threshold above 0");
  }
  for (auto file : kRuleFiles) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(options.rules_dir / file, ec)) {
      return Fail(ErrorCode::kFailedPrecondition,
                  fmt::format("the OWASP CRS rule file {} is missing (install modsecurity-crs, or "
                              "set defense.crs_rules)",
                              (options.rules_dir / file).string()));
    }
  }
  const auto configuration = CrsConfiguration(options);
  auto loaded = ModSecurityEngine::Load(configuration);
  if (!loaded.engine) {
    return Fail(ErrorCode::kFailedPrecondition,
                "the OWASP CRS rules did not load: " + Printable(loaded.error, 400));
  }
  std::unique_ptr<Crs> crs(new Crs(options, std::move(loaded.engine)));
  if (options.prefilter) {
    auto built = Prefilter::Build(configuration, options.prefilter_cache);
    if (built) {
      crs->prefilter_ = std::move(*built);
      // The rules that read only what other rules set (the anomaly score's evaluation) are
      // screened by those (defense/prefilter.h): a plain request must pass the rules clean, and
      // pass the prefilter.
      http::Request probe;
      probe.remote_address = "192.0.2.1";
      probe.message.method(http::beast_http::verb::get);
      probe.message.target("/");
      probe.message.set("Host", "localhost");
      probe.message.set("User-Agent", "strongroom");
      probe.message.set("Accept", "*/*");
      if (!crs->Evaluate(probe).clean()) {
        crs->prefilter_.reset();
        crs->prefilter_error_ = "a plain request does not pass the rules clean";
      } else if (crs->MayMatch(probe)) {
        crs->prefilter_.reset();
        crs->prefilter_error_ = "a plain request does not pass the prefilter";
      }
    } else {
      crs->prefilter_error_ = Printable(built.error().message, 400);
    }
  }
  return crs;
}

bool Crs::MayMatch(const http::Request& request) const {
  // A request with a body is always inspected (defense/prefilter.h): no view is worked out.
  if (!prefilter_ || !request.message.body().empty()) return true;
  return prefilter_->MayMatch(request.message.method_string(), ViewOf(request));
}

Finding Crs::Evaluate(const http::Request& request) {
  Finding finding;
  const std::string_view target = request.message.target();
  finding.query_mimics_body =
      target.find('?') != std::string_view::npos && MentionsJson(target.substr(target.find('?')));
  const auto view = ViewOf(request);
  if (view.body.size() > kInspectableBody) {
    // Fails closed: more than the engine is set to read counts as one critical match.
    finding.score = options_.inbound_threshold;
    finding.matches.push_back({0, 2, "the request body is too large to inspect", {}});
    return finding;
  }
  EngineRequest r{
      request.remote_address, request.message.method_string(), view.target, {}, view.body};
  for (const auto& [name, value] : view.headers) r.headers.emplace_back(name, value);
  try {
    const auto result = engine_->Run(r);
    finding.score = result.anomaly_score;
    for (const auto& m : result.messages) {
      if (m.rule_id == kBlockingEvaluation) continue;
      RuleMatch match{m.rule_id, m.severity, Printable(m.message, 120), {}};
      if (auto v = VariableOf(m); !v.empty()) match.variables.push_back(std::move(v));
      finding.matches.push_back(std::move(match));
    }
  } catch (const std::exception&) {
    // Fails closed: a request the engine could not inspect counts as one critical match.
    finding.score = std::max(finding.score, options_.inbound_threshold);
    finding.matches.push_back({0, 2, "the request could not be inspected", {}});
  }
  return finding;
}

}  // namespace strongroom::defense
