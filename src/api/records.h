#pragma once
// /api/v1/records (API.md): create, view, update, delete and list case records. The routes only
// translate JSON to RecordService calls; every rule lives in records/ and authz/.

#include "api/auth.h"
#include "http/router.h"
#include "records/record_service.h"

namespace strongroom::api {

void RegisterRecordRoutes(http::Router& router, identity::AuthService& auth,
                          records::RecordService& records, AuthRoutesOptions options);

}  // namespace strongroom::api
