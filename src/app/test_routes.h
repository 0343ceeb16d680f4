#pragma once
// Routes that exist only in builds made with STRONGROOM_TESTING (the debug and asan presets, never
// release) and only on instances whose environment is not production. They let integration tests
// reach generic machinery through the real server: JSON parsing limits, and an audited write and
// read with fault injection into the audit log (fail-closed behaviour). In any other build or
// environment this registers nothing.

#include <functional>
#include <map>
#include <string>

#include "app/maintenance.h"
#include "audit/audit_log.h"
#include "common/config.h"
#include "http/router.h"

namespace strongroom::app {

// `clock` (may be null) is the instance's movable clock, for POST /__test/clock {"advance_ms": N}.
void RegisterTestRoutes(http::Router& router, const Config& config, audit::AuditLog& audit,
                        OffsetClock* clock);

// POST /__test/jobs/{name}: runs a background job now (tests move the clock, then run the job
// instead of waiting for its timer), answering {"count": N}, and for a leased job another node
// holds, {"count": 0, "elsewhere": NODE}.
void RegisterTestJobs(http::Router& router, const Config& config,
                      std::map<std::string, JobFn> jobs);

}  // namespace strongroom::app
