#pragma once
// /api/v1/exports (API.md): request, approve (by another person holding `approver`), download
// once. Rules live in records/export_service.h.

#include "api/auth.h"
#include "http/router.h"
#include "records/export_service.h"

namespace strongroom::api {

void RegisterExportRoutes(http::Router& router, identity::AuthService& auth,
                          records::ExportService& exports, AuthRoutesOptions options);

}  // namespace strongroom::api
