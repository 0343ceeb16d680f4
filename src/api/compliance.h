#pragma once
// Routes of the IT Health Check register and the go-live gate, for security officers on the admin
// surface (compliance/ithc_register.h, compliance/gate.h, compliance/report.h):
//   GET  /api/v1/compliance                             the report, every control (?format=html)
//   GET  /api/v1/compliance/gate                       this deployment's standing and fingerprint
//   GET  /api/v1/compliance/ithc                        the register
//   POST /api/v1/compliance/ithc                        record a check (with its findings)
//   GET  /api/v1/compliance/ithc/{id}
//   POST /api/v1/compliance/ithc/{id}/findings          add a finding
//   POST /api/v1/compliance/ithc/{id}/findings/{finding}/mitigate   {"evidence"}
//   POST /api/v1/compliance/ithc/{id}/findings/{finding}/accept     {"reason"}
//   POST /api/v1/compliance/ithc/{id}/sign-off          a second officer signs it off as passed

#include "api/route.h"
#include "compliance/gate.h"
#include "compliance/ithc_register.h"
#include "compliance/report.h"

namespace strongroom::api {

// All must outlive the table.
void AddComplianceRoutes(RouteTable& table, compliance::IthcRegister& ithc, compliance::Gate& gate,
                         compliance::Reporter& reporter, int max_json_depth);

}  // namespace strongroom::api
