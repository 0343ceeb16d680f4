#pragma once
// The IT Health Check register (CONTROLS.md: penetration tests and ITHCs are performed and
// satisfactorily passed before a service goes live, at least every 12 calendar months, and before
// any major change goes live; what they find is mitigated or accepted first).
//
// Each check is recorded by a security officer with its date, the testing organisation and
// tester, its scope, the SHA-256 of its report, and the fingerprint of the deployment it covered:
// the recorder names the digest the testers saw, and it must be this deployment's as it is now
// (compliance/fingerprint.h), so that a test of a deployment since changed covers nothing. Its
// findings, each with a severity, are recorded with it (e.g. imported from `make ithc`'s report) or
// added after, and each is then mitigated (with evidence) or accepted (with the accepting officer
// and reason). A check is signed off as passed by a second security officer (never the one who
// recorded it, by any of their accounts: approvals/two_person.h) and only when no finding at or
// above the configured blocking severity is open. A passed check is closed: nothing of it changes
// again.
//
// Every call is audited, refusals included. Accepting a finding and signing off need a fresh
// second factor (authz/admin.h).
//
// This module alone reads and writes the ithc_checks and ithc_findings tables.
//
// Thread-safety: all methods may be called from any thread; the sign-off hook runs on the
// caller's.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "authz/admin.h"
#include "common/clock.h"
#include "compliance/fingerprint.h"
#include "crypto/random.h"
#include "identity/auth.h"
#include "store/store.h"

namespace strongroom::compliance {

enum class Severity { kInfo, kLow, kMedium, kHigh, kCritical };
std::string_view Name(Severity severity);
std::optional<Severity> ParseSeverity(std::string_view name);

struct FindingInput {
  std::string title;
  std::string severity;  // a Severity's name
  std::string detail;    // evidence, where it was found ("" allowed)
};

struct CheckInput {
  std::string fingerprint;   // the digest of the deployment tested: this one's, as it is now
  std::string performed_on;  // YYYY-MM-DD, not in the future
  std::string organisation;  // who tested
  std::string tester;
  std::string scope;
  std::string report_sha256;  // 64 lower-case hex digits
  std::vector<FindingInput> findings;
};

struct Finding {
  std::string id;
  std::string title;
  std::string severity;
  std::string detail;
  std::string state;       // open, mitigated, accepted
  std::string resolution;  // the evidence of mitigation, or the reason it is accepted
  std::string resolved_by;
  std::string resolved_at;
};

struct Check {
  std::string id;
  std::string performed_on;
  std::string organisation;
  std::string tester;
  std::string scope;
  std::string report_sha256;
  std::string fingerprint;  // Fingerprint::Text()
  std::string fingerprint_digest;
  std::string recorded_by;
  std::string recorded_at;
  std::string status;  // open, passed
  std::string signed_off_by;
  std::string signed_off_at;
  std::vector<Finding> findings;
};

// A passed check, as the go-live gate reads it.
struct PassedCheck {
  std::string id;
  std::string performed_on;
  Fingerprint fingerprint;
  std::string digest;  // fingerprint.Digest(), worked out once

  static PassedCheck Of(std::string id, std::string performed_on, Fingerprint fingerprint) {
    auto digest = fingerprint.Digest();
    return {std::move(id), std::move(performed_on), std::move(fingerprint), std::move(digest)};
  }
};

enum class Resolution { kMitigate, kAccept };

struct RegisterOptions {
  Fingerprint deployment;  // what a check recorded here covers
  Severity blocking = Severity::kLow;
};

class IthcRegister {
 public:
  // Everything passed must outlive the register.
  IthcRegister(store::Store& store, audit::AuditLog& audit, identity::Sessions& sessions,
               const Clock& clock, crypto::Random& random, RegisterOptions options);

  // Called after each check is signed off (the gate reads the register again). Before use only.
  void OnSignOff(std::function<void()> hook) { signed_off_ = std::move(hook); }

  Result<Check> Record(const identity::Principal& officer, const CheckInput& input,
                       const identity::RequestContext& ctx);
  Result<std::vector<Check>> List(const identity::Principal& officer,
                                  const identity::RequestContext& ctx);
  Result<Check> Get(const identity::Principal& officer, std::string_view id,
                    const identity::RequestContext& ctx);
  Result<std::string> AddFinding(const identity::Principal& officer, std::string_view check_id,
                                 const FindingInput& input, const identity::RequestContext& ctx);
  Result<void> Resolve(const identity::Principal& officer, std::string_view check_id,
                       std::string_view finding_id, Resolution resolution, std::string_view text,
                       const identity::RequestContext& ctx);
  Result<Check> SignOff(const identity::Principal& officer, std::string_view check_id,
                        const identity::RequestContext& ctx);

  // Whether `who` may take `action` on the check `check_id` ("" for none) at all: the first step
  // of every call, which the routes take before they read a request's body. A refusal is audited.
  Result<void> Admit(const identity::Principal& who, authz::AdminAction action,
                     std::string_view check_id, const identity::RequestContext& ctx);
  // Audits, and answers, a request of `action` refused for what it said (its body, before the
  // call could be made).
  std::unexpected<Error> RefuseInput(const identity::Principal& who, authz::AdminAction action,
                                     std::string_view check_id, const Error& error,
                                     const identity::RequestContext& ctx);

  // Inside a transaction, with no event: the register as read by the gate and the command line.
  static Result<std::vector<Check>> ReadAll(store::Transaction& tx);
  static Result<std::vector<PassedCheck>> ReadPassed(store::Transaction& tx);

 private:
  audit::Event MakeEvent(const identity::Principal& who, std::string action,
                         std::string_view target_id, const identity::RequestContext& ctx) const;
  // Whether `who` may take `action` (authz), with a fresh second factor where it needs one; a
  // refusal is audited on `event`.
  Result<void> AdmitOn(const identity::Principal& who, authz::AdminAction action,
                       audit::Event& event);

  store::Store& store_;
  audit::AuditLog& audit_;
  identity::Sessions& sessions_;
  const Clock& clock_;
  crypto::Random& random_;
  const RegisterOptions options_;
  std::function<void()> signed_off_;
};

}  // namespace strongroom::compliance
