#pragma once
// The go-live gate: a service goes live only after a passed IT Health Check that covers it, and
// stays live only while one does (CONTROLS.md; DESIGN.md's defaults).
//
// `Assess` is the rule, a pure function of this deployment's fingerprint, whether it has gone
// live before, the passed checks and the time. A check *covers* the deployment when its
// fingerprint's major components are this one's (compliance/fingerprint.h); it is *due* 12
// calendar months after the day it was performed (a check of 29 February is due on 28 February),
// and *overdue* from the day after. The standings, first that applies:
//   not live      never live, and no passed check covers the deployment
//   major change  live before, and no passed check covers the deployment as it is now
//   overdue       the latest covering check is overdue
//   due           the latest covering check is due within 30 days
//   covered       otherwise
// Only covered and due are fit to serve. Each standing has its reason in words, with the check,
// its dates and the components that changed, for officers; and one without them for whoever can
// reach /readyz.
//
// `Gate` keeps the standing of a running instance: it reads the register at start, after each
// sign-off and on its daily round, records the moment the service first goes live (an audit
// event, compliance.live), and raises an alert event (compliance.ithc.alert, shipped at alert
// severity) once a day while the standing is anything but covered. In "enforce" mode a standing
// unfit to serve fails readiness (GET /readyz answers 503 with its reason); in "warn" mode it only
// alerts; "off" does neither.
//
// Thread-safety: Gate's methods may be called from any thread.

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "compliance/fingerprint.h"
#include "compliance/ithc_register.h"
#include "identity/auth.h"
#include "store/store.h"

namespace strongroom::compliance {

enum class Standing { kCovered, kDue, kOverdue, kMajorChange, kNotLive };
std::string_view Name(Standing standing);

struct Assessment {
  Standing standing = Standing::kNotLive;
  std::string reason;         // for officers: which check, which dates, what changed
  std::string public_reason;  // for anyone who can reach /readyz
  std::string check_id;       // the latest passed check covering the deployment, if any
  std::string due_on;         // YYYY-MM-DD: when that check is due again
  bool Fit() const { return standing == Standing::kCovered || standing == Standing::kDue; }
};

inline constexpr int kDueWarningDays = 30;

// The day a check performed on `performed_on` (YYYY-MM-DD) is due again: 12 calendar months on.
std::optional<std::string> DueOn(std::string_view performed_on);

Assessment Assess(const Fingerprint& deployment, bool went_live,
                  const std::vector<PassedCheck>& passed, TimePoint now);

// What Assess needs from the store, read inside `tx`: the passed checks and whether the service
// has gone live.
struct GateFacts {
  std::vector<PassedCheck> passed;
  bool went_live = false;
};
Result<GateFacts> ReadGateFacts(store::Transaction& tx);

enum class GateMode { kOff, kWarn, kEnforce };
std::optional<GateMode> ParseGateMode(std::string_view name);

class Gate {
 public:
  // Everything passed must outlive the gate.
  Gate(store::Store& store, audit::AuditLog& audit, const Clock& clock, GateMode mode,
       Fingerprint deployment);

  GateMode mode() const { return mode_; }
  const Fingerprint& deployment() const { return deployment_; }

  // Reads the register and whether the service went live; records going live the first time a
  // passed check covers the deployment. The assessment as of now.
  Result<Assessment> Refresh();
  // The assessment as of now, over what the last Refresh read.
  Assessment Now() const;
  // Readiness: kUnavailable (with the public reason) while enforcing an unfit standing.
  Result<void> Ready() const;
  // The assessment, for a security officer (authz); audited as compliance.read.
  Result<Assessment> Show(const identity::Principal& officer, const identity::RequestContext& ctx);
  // The daily round: refreshes, then (unless the gate is off) alerts if the standing is not
  // covered and no alert was raised today. Whether it alerted.
  Result<bool> Round();

 private:
  store::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const GateMode mode_;
  const Fingerprint deployment_;
  std::mutex refresh_mu_;  // held by Refresh, from its read to its save
  mutable std::mutex mu_;
  bool went_live_ = false;           // guarded by mu_
  std::vector<PassedCheck> passed_;  // guarded by mu_
  std::string last_alert_day_;       // guarded by mu_
};

}  // namespace strongroom::compliance
