#pragma once
// The console (DESIGN.md, web/): server-rendered pages over the same services as the API, on the
// same route table (api/route.h, Route::page), so that authentication, CSRF, placement on the
// listeners and admission are decided in the one place for pages and API calls alike. Every task
// works without JavaScript: forms post, and the answer is a redirect (post-redirect-get) or the
// form again with its errors.
//
// A signed-in page puts the session's CSRF token (identity::CsrfTokenFor, from the session cookie
// the request carries) into each of its forms; a form posted without it is refused. The sign-in
// forms, before any session, are refused when the browser says they came from another site
// (Origin or Sec-Fetch-Site). An error is a GOV.UK-style page that says what went wrong and
// leaks nothing: a request that is not signed in is sent to sign in.

#include "api/route.h"
#include "exports/export_service.h"
#include "lifecycle/lifecycle.h"
#include "records/record_service.h"
#include "retention/retention_service.h"
#include "web/templates.h"

namespace strongroom::web {

struct ConsoleDeps {
  identity::Auth& auth;
  audit::AuditLog& audit;
  records::RecordService& records;
  exports::ExportService& exports;
  lifecycle::Lifecycle& lifecycle;
  retention::RetentionService& retention;
  const Clock& clock;
  const Templates& templates;
};

// The console's error page for `error` (status as error_response.h maps it); one not signed in
// is sent to sign in instead. Never says more than the API would; nothing of a fault's detail.
http::Response ErrorPage(const Templates& templates, const Error& error);

// Whether a request for `path` refused before any route (none matched, the rate limit,
// inspection, shedding) is answered with a page: anything but the API's (/api/, /scim/) and the
// operations' (/healthz, /readyz, /metrics), which answer JSON or text.
bool IsPagePath(std::string_view path);

// Adds the console's pages and its assets. Everything in `deps` must outlive the table.
void AddConsolePages(api::RouteTable& table, const ConsoleDeps& deps);

}  // namespace strongroom::web
