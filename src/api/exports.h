#pragma once
// /api/v1/exports (API.md): request, approve (by another person holding `approver`), download
// once. Rules live in exports/export_service.h.

#include "api/route.h"
#include "exports/export_service.h"
#include "http/router.h"

namespace strongroom::api {

// `exports` must outlive the table.
void AddExportRoutes(RouteTable& table, exports::ExportService& exports, int max_json_depth);

}  // namespace strongroom::api
