#pragma once
// /api/v1/records (API.md): create, view, update, delete and list case records. The routes only
// translate JSON to RecordService calls; every rule lives in records/ and authz/.

#include "api/route.h"
#include "records/record_service.h"

namespace strongroom::api {

// `records` must outlive the table.
void AddRecordRoutes(RouteTable& table, records::RecordService& records, int max_json_depth);

}  // namespace strongroom::api
