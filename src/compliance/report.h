#pragma once
// The compliance report: for every control of CONTROLS.md, the mechanism that meets it, the live
// settings that matter, the instance's current state, and a status (met, at risk, not met) with
// its reason. Nothing in it is a constant claim: each status is computed by `Evaluate` from facts
// read from this instance (its configuration, store, files and go-live gate), so that an
// assessor reads what is true today, and a drift (a lapsed certificate, an account past expiry
// still active, a purge falling behind) shows as soon as it happens.
//
// `GatherFacts` reads the store (each table through its owner: identity::TakeCensus,
// records::TakeRecordCensus, the register, the gate) and takes the audit log's standing; the files
// (the TLS certificate, the master key file's mode) are read once by `ReadFileFacts`, before the
// server confines itself (app/sandbox.h). `Evaluate` is a pure function of them.
//
// Thread-safety: pure functions, and Reporter's methods may be called from any thread.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/audit_log.h"
#include "audit/shipper.h"
#include "common/config.h"
#include "compliance/gate.h"
#include "crypto/tls_certificate.h"
#include "identity/auth.h"
#include "identity/directory.h"
#include "records/purge.h"

namespace strongroom::compliance {

enum class Status { kMet, kAtRisk, kNotMet };
std::string_view Name(Status status);

struct FileFacts {
  std::optional<crypto::CertificateFacts> certificate;  // the public listener's; none if unreadable
  std::optional<unsigned> master_key_mode;              // permission bits; none if unreadable
};
FileFacts ReadFileFacts(const Config& config);

struct ReportFacts {
  TimePoint now{};
  std::string store_environment;
  identity::Census people;
  records::RecordCensus records;
  audit::Standing audit;
  Assessment gate;
  int64_t blocking_open = 0;  // findings at or above the blocking severity open in open checks
  std::string last_check_on;  // the latest passed check's date; "" if none
  FileFacts files;
  std::chrono::milliseconds idle_timeout{};
};

// Reads the facts of the instance `config` describes, with `gate` assessed at `now`.
// `audit` is where the audit log stands (AuditLog::ReadStanding), read just before.
Result<ReportFacts> GatherFacts(store::Transaction& tx, const Config& config,
                                const Fingerprint& deployment, const audit::Standing& audit,
                                TimePoint now);

struct ControlEntry {
  std::string id;
  std::string control;    // the control, in short
  std::string mechanism;  // what meets it, and where in the source
  std::vector<std::pair<std::string, std::string>> settings;
  std::vector<std::pair<std::string, std::string>> state;
  Status status = Status::kNotMet;
  std::string reason;
};

struct Report {
  std::string generated_at;
  std::string environment;
  std::string fingerprint;  // the deployment's digest
  std::vector<ControlEntry> controls;
  int Count(Status status) const;
};

Report Evaluate(const Config& config, const Fingerprint& deployment, const ReportFacts& facts);

std::string ReportJson(const Report& report);
// A page for a person to read and print: every value HTML-escaped, no script.
std::string ReportHtml(const Report& report);

// The report of a running instance, for security officers (authz: compliance.read); audited.
class Reporter {
 public:
  // Everything passed must outlive the reporter.
  Reporter(store::Store& store, audit::AuditLog& audit, const Clock& clock, const Config& config,
           Fingerprint deployment, FileFacts files, std::chrono::milliseconds idle_timeout);
  Result<Report> Run(const identity::Principal& officer, const identity::RequestContext& ctx);

 private:
  store::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const Config& config_;
  const Fingerprint deployment_;
  const FileFacts files_;
  const std::chrono::milliseconds idle_timeout_;
};

}  // namespace strongroom::compliance
