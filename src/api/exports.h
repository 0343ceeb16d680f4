#pragma once
// /api/v1/exports (API.md): request, approve (by another person holding `approver`), download
// once. Rules live in records/export_service.h.

#include "api/route.h"
#include "http/router.h"
#include "records/export_service.h"

namespace strongroom::api {

// `exports` must outlive the table.
void AddExportRoutes(RouteTable& table, records::ExportService& exports, int max_json_depth);

}  // namespace strongroom::api
