#include "web/pages.h"

#include "http/error_response.h"
#include "web/page_kit.h"

namespace strongroom::web {
namespace {

struct Heading {
  unsigned status;
  std::string_view text;
};
constexpr Heading kHeadings[] = {
    {400, "There is a problem with what was sent"},
    {403, "You cannot do this"},
    {404, "Page not found"},
    {409, "This cannot be done now"},
    {413, "What was sent is too large"},
    {429, "Too many attempts"},
    {503, "Sorry, the service is unavailable"},
};

// --- Assets -------------------------------------------------------------------------------------

std::string_view ContentTypeOf(std::string_view name) {
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "";
}

// The assets served: every embedded file under "assets/" of a type above.
Result<http::Response> Asset(Call& c) {
  const auto& name = c.param("name");
  for (const auto& f : EmbeddedFiles()) {
    if (f.name.starts_with("assets/") && f.name.substr(7) == name && !ContentTypeOf(name).empty()) {
      // The API's policy, not a page's: an asset is never a document to run (an SVG opened on
      // its own runs nothing).
      return http::Response{200, std::string(ContentTypeOf(name)), std::string(f.text), {}, false};
    }
  }
  return Fail(ErrorCode::kNotFound, "no such asset");
}

}  // namespace

http::Response ErrorPage(const Templates& templates, const Error& error) {
  if (error.code == ErrorCode::kUnauthenticated) return SeeOther("/sign-in");
  const unsigned status = http::HttpStatusFor(error.code);
  std::string_view heading = "Sorry, there is a problem with the service";
  for (const auto& h : kHeadings) {
    if (h.status == status) heading = h.text;
  }
  auto data = Titled(std::string(heading));
  data["heading"] = std::string(heading);
  data["message"] = status < 500 ? Sentence(error.message) : "Try again later.";
  auto html = templates.Render("error", data);
  if (!html) {
    return Html(status, "<!DOCTYPE html><title>Error</title><p>Sorry, there is a problem.");
  }
  return Html(status, std::move(*html));
}

bool IsPagePath(std::string_view path) {
  for (const std::string_view json : {"/api/", "/scim/", "/__test/"}) {
    if (path.starts_with(json)) return false;
  }
  return path != "/healthz" && path != "/readyz" && path != "/metrics";
}

void AddConsolePages(api::RouteTable& table, const ConsoleDeps& deps) {
  PageTable pages(table, deps);
  pages.Add(
      verb::get, "/", Credentials::kSession,
      "The console's start: join requests for administrators, records for everyone else",
      [](const ConsoleDeps& d, Call& c) -> Result<http::Response> {
        return SeeOther(Administers(d, c.who().account) ? "/admin/join-requests" : "/records");
      });
  AddSignInPages(pages);
  AddRecordPages(pages);
  AddExportPages(pages);
  AddAdminPages(pages);
  AddRetentionPages(pages);
  AddOrgPages(pages);
  pages.Add({verb::get, "/assets/{name}", Credentials::kNone, "The console's styles and scripts",
             "", "", [](Call& c) { return Asset(c); }, http::Dispatch::kInline});
}

}  // namespace strongroom::web
