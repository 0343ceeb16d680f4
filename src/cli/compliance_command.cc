// `strongroom ithc status --config …` and `strongroom ithc list --config …`: where this
// deployment stands with its IT Health Checks (the go-live gate), and the register; and
// `strongroom compliance report --config … [--html]`: every control, computed from the instance
// (compliance/report.h). All work whether or not the service is running, read only, and are
// audited as the operator's reads. Checks are recorded and signed off over the API
// (POST /api/v1/compliance/ithc…), where the officers are signed in with their second factor: two
// people must be told apart, which a shell cannot do. `ithc status` exits 1 when the gate would
// hold the service back; `compliance report` when a control is not met.

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/stopped_instance.h"
#include "compliance/gate.h"
#include "compliance/report.h"

namespace strongroom::cli {
namespace {

struct Read {
  std::string gate;  // the configured mode
  compliance::Fingerprint deployment;
  compliance::GateFacts facts;
  std::vector<compliance::Check> checks;
};

Result<Read> ReadRegister(const std::string& config_path) {
  ASSIGN_OR_RETURN(auto o, OpenForReading(config_path));
  auto& log = *o.log;
  Read out{o.config.compliance.gate, compliance::CurrentFingerprint(o.config), {}, {}};
  RETURN_IF_ERROR(log.Observe<bool>(o.OperatorEvent("compliance.read", {"ithc", "", ""}),
                                    [&](store::Transaction& tx) -> Result<bool> {
                                      ASSIGN_OR_RETURN(out.facts, compliance::ReadGateFacts(tx));
                                      ASSIGN_OR_RETURN(out.checks,
                                                       compliance::IthcRegister::ReadAll(tx));
                                      return true;
                                    }));
  return out;
}

int Status(const std::string& config_path) {
  auto read = ReadRegister(config_path);
  if (!read) {
    PrintError(read.error().message);
    return ExitCodeFor(read.error());
  }
  const auto a = compliance::Assess(read->deployment, read->facts.went_live, read->facts.passed,
                                    SystemClock().Now());
  fmt::print("gate: {}\nstanding: {}\n{}\n", read->gate, compliance::Name(a.standing), a.reason);
  fmt::print("deployment fingerprint {}:\n", read->deployment.Digest());
  for (const auto& [name, value] : read->deployment.components) {
    fmt::print("  {} = {}\n", name, value);
  }
  if (a.Fit() || read->gate != "enforce") return kExitOk;
  fmt::print(
      "NOT LIVE: /readyz answers 503 until a passed IT Health Check covers this "
      "deployment\n");
  return kExitRuntime;
}

int List(const std::string& config_path) {
  auto read = ReadRegister(config_path);
  if (!read) {
    PrintError(read.error().message);
    return ExitCodeFor(read.error());
  }
  if (read->checks.empty()) fmt::print("no IT Health Check is recorded\n");
  for (const auto& c : read->checks) {
    fmt::print("{} performed {} by {} ({}): {}{}\n  scope: {}\n  report sha256 {}\n", c.id,
               c.performed_on, c.tester, c.organisation, c.status,
               c.status == "passed" ? " (signed off by " + c.signed_off_by + ")" : "", c.scope,
               c.report_sha256);
    for (const auto& f : c.findings) {
      fmt::print("  [{}] {} {}: {}{}\n", f.severity, f.id, f.state, f.title,
                 f.resolution.empty() ? "" : " (" + f.resolution + ")");
    }
  }
  return kExitOk;
}

int Report(const std::string& config_path, bool html) {
  auto o = OpenForReading(config_path);
  if (!o) {
    PrintError(o.error().message);
    return ExitCodeFor(o.error());
  }
  SystemClock clock;
  auto& log = *o->log;
  const auto deployment = compliance::CurrentFingerprint(o->config);
  auto facts = log.Observe<compliance::ReportFacts>(
      o->OperatorEvent("compliance.read", {"report", "", ""}),
      [&](store::Transaction& tx) -> Result<compliance::ReportFacts> {
        ASSIGN_OR_RETURN(auto standing, log.ReadStanding());
        return compliance::GatherFacts(tx, o->config, deployment, standing, clock.Now());
      });
  if (!facts) {
    PrintError(facts.error().message);
    return ExitCodeFor(facts.error());
  }
  facts->files = compliance::ReadFileFacts(o->config);
  facts->idle_timeout = identity::AuthOptions{}.idle_timeout;
  const auto report = compliance::Evaluate(o->config, deployment, *facts);
  fmt::print("{}\n", html ? compliance::ReportHtml(report) : compliance::ReportJson(report));
  return report.Count(compliance::Status::kNotMet) == 0 ? kExitOk : kExitRuntime;
}

}  // namespace

void AddComplianceCommand(CLI::App& app, int* exit_code) {
  auto* compliance = app.add_subcommand("compliance", "How the instance meets each control");
  compliance->require_subcommand(1);
  auto* report = compliance->add_subcommand(
      "report",
      "Every control: its mechanism, settings, state and status, as JSON (or --html); exit 1 if "
      "any is not met");
  auto config = AddConfigOption(report);
  auto html = std::make_shared<bool>(false);
  report->add_flag("--html", *html, "A printable HTML page instead of JSON");
  report->callback([config, html, exit_code] { *exit_code = Report(*config, *html); });
}

void AddIthcCommand(CLI::App& app, int* exit_code) {
  auto* ithc = app.add_subcommand("ithc", "The IT Health Check register and go-live gate");
  ithc->require_subcommand(1);
  auto* status = ithc->add_subcommand(
      "status", "Where this deployment stands: exit 1 if the gate holds the service back");
  auto status_config = AddConfigOption(status);
  status->callback([status_config, exit_code] { *exit_code = Status(*status_config); });
  auto* list = ithc->add_subcommand("list", "The recorded checks and their findings");
  auto list_config = AddConfigOption(list);
  list->callback([list_config, exit_code] { *exit_code = List(*list_config); });
}

}  // namespace strongroom::cli
