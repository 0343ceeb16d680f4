#include "web/pages.h"

#include "common/text.h"
#include "http/error_response.h"
#include "http/query.h"
#include "web/assets.h"
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

// Whether an If-None-Match list ("*", or entity tags, weak or strong) names `version`'s tag.
bool Matches(std::string_view if_none_match, std::string_view version) {
  const std::string tag = "\"" + std::string(version) + "\"";
  for (const auto& listed : SplitList(if_none_match)) {
    auto item = TrimBlanks(listed);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == "*" || item == tag) return true;
  }
  return false;
}

// An asset (web/assets.h): kept for a year at its current versioned address, asked about again
// at any other; 304 when the browser holds this version. A query other than one "v" is refused.
Result<http::Response> ServeAsset(const ConsoleDeps& d, Call& c) {
  auto query = http::ParseQuery(c.request.query, {"v"}, 64);
  if (!query) return d.auth.RefuseUnread("console.asset", query.error(), c.context);
  const auto* asset = FindAsset(c.param("name"));
  if (asset == nullptr) return Fail(ErrorCode::kNotFound, "no such asset");
  const auto v = query->find("v");
  // The API's policy, not a page's: an asset is never a document to run (an SVG opened on its
  // own runs nothing).
  http::Response r{
      200, std::string(asset->content_type), "", {{"ETag", "\"" + asset->version + "\""}}, false};
  r.caching = v != query->end() && v->second == asset->version ? http::Caching::kImmutable
                                                               : http::Caching::kRevalidate;
  if (Matches(c.request.Header("If-None-Match"), asset->version)) {
    r.status = 304;
    r.content_type.clear();
  } else {
    r.body = asset->text;
  }
  return r;
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
  AddAccountPages(pages);
  // On a worker, as every anonymous route that audits a refusal: the I/O thread never waits for
  // the audit log. (A browser asks for each asset once per release.)
  pages.Add(api::WithQuery(
      {verb::get, "/assets/{name}", Credentials::kNone, "The console's styles and scripts", "", "",
       [d = deps](Call& c) { return ServeAsset(d, c); }},
      {"v"}));
}

}  // namespace strongroom::web
