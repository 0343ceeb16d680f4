#include "api/exports.h"

#include <boost/json.hpp>

#include "api/route.h"
#include "http/json.h"
#include "http/query.h"

namespace strongroom::api {
namespace {

using http::beast_http::verb;

struct Deps {
  exports::ExportService& exports;
  int depth;
};

struct Asked {
  std::string remit, reason;
};

Result<Asked> ReadRequest(const http::Request& request, int depth) {
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(request, depth));
  http::FieldReader f(body);
  ASSIGN_OR_RETURN(const auto* scope, f.Object("scope"));
  ASSIGN_OR_RETURN(auto reason, f.String("reason", 4000));
  RETURN_IF_ERROR(f.Finish());
  http::FieldReader s(*scope);
  ASSIGN_OR_RETURN(auto remit, s.OptionalString("remit", 64));
  RETURN_IF_ERROR(s.Finish());
  return Asked{std::move(remit), std::move(reason)};
}

Result<http::Response> RequestExport(const Deps& d, Call& c) {
  auto in = ReadRequest(c.request, d.depth);
  if (!in) return d.exports.RefuseMalformed(c.who(), "export.request", in.error(), c.context);
  ASSIGN_OR_RETURN(auto req, d.exports.Request(c.who(), in->remit, in->reason, c.context));
  boost::json::object out{{"id", req.id}, {"status", req.status}};
  return http::Response::Json(201, boost::json::serialize(out));
}

boost::json::array ExportsJson(const std::vector<exports::ExportSummary>& list) {
  boost::json::array out;
  for (const auto& e : list) {
    boost::json::object item{{"id", e.id},
                             {"requester", e.requester},
                             {"scope", {{"remit", e.remit}}},
                             {"reason", e.reason},
                             {"status", e.status},
                             {"created_at", e.created_at},
                             {"expires_at", e.expires_at}};
    if (!e.archive_expires_at.empty()) {
      item["archive_expires_at"] = e.archive_expires_at;
      item["records"] = e.records;
    }
    out.push_back(std::move(item));
  }
  return out;
}

Result<http::Response> ListExports(const Deps& d, Call& c) {
  if (auto q = http::ParseQuery(c.request.query, {}); !q) {
    return d.exports.RefuseMalformed(c.who(), "export.list", q.error(), c.context);
  }
  ASSIGN_OR_RETURN(auto list, d.exports.List(c.who(), c.context));
  boost::json::object out{{"mine", ExportsJson(list.mine)},
                          {"to_approve", ExportsJson(list.to_approve)}};
  return http::Response::Json(200, boost::json::serialize(out));
}

// Answered from the bulk lane when the approval is written: no worker waits for it meanwhile.
void ApproveExport(const Deps& d, Call& c, http::Respond respond) {
  d.exports.ApproveAsync(c.who(), c.param("id"), c.context,
                         [respond = std::move(respond)](Result<exports::ExportRequest> req) {
                           if (!req) return respond(std::unexpected(req.error()));
                           boost::json::object out{
                               {"id", req->id}, {"status", req->status}, {"records", req->records}};
                           respond(http::Response::Json(200, boost::json::serialize(out)));
                         });
}

Result<http::Response> DownloadExport(const Deps& d, Call& c) {
  ASSIGN_OR_RETURN(auto archive, d.exports.Download(c.who(), c.param("id"), c.context));
  http::Response resp{200,
                      "application/octet-stream",
                      std::string(archive.ciphertext.begin(), archive.ciphertext.end()),
                      {}};
  resp.headers.emplace_back("X-Strongroom-Archive-Key", HexEncode(archive.key.view()));
  resp.headers.emplace_back("X-Strongroom-Archive-Cipher",
                            "AES-256-GCM; nonce=12 bytes first; tag=16 bytes last; aad=export id");
  resp.headers.emplace_back("X-Strongroom-Archive-Records", std::to_string(archive.records));
  resp.headers.emplace_back("Content-Disposition",
                            "attachment; filename=\"" + c.param("id") + ".json.enc\"");
  return resp;
}

}  // namespace

void AddExportRoutes(RouteTable& table, exports::ExportService& exports, int max_json_depth) {
  const Deps d{exports, max_json_depth};
  const auto state = ObjectSchema({{"id", StringSchema(64)}, {"status", StringSchema(16)}});
  table.Add({verb::post, "/api/v1/exports", Credentials::kSessionOrToken,
             "Ask for an export of records (a second person approves)",
             ObjectSchema({{"scope", ObjectSchema({{"remit", StringSchema(64)}}, {"remit"})},
                           {"reason", StringSchema(4000)}}),
             state, [d](Call& c) { return RequestExport(d, c); }});
  table.Add(
      {verb::get, "/api/v1/exports", Credentials::kSessionOrToken,
       "The caller's exports, and those waiting for the caller's approval", "",
       ObjectSchema({{"mine", ArraySchema(kAnyObjectSchema, exports::kMaxListedExports)},
                     {"to_approve", ArraySchema(kAnyObjectSchema, exports::kMaxListedExports)}}),
       [d](Call& c) { return ListExports(d, c); }});
  table.Add(
      {verb::post, "/api/v1/exports/{id}/approve", Credentials::kSessionOrToken,
       "Approve another person's export, which builds its archive", kNoBody,
       ObjectSchema(
           {{"id", StringSchema(64)}, {"status", StringSchema(16)}, {"records", kIntegerSchema}}),
       nullptr, http::Dispatch::kWorker,
       [d](Call& c, http::Respond respond) { ApproveExport(d, c, std::move(respond)); }});
  table.Add({verb::get, "/api/v1/exports/{id}/download", Credentials::kSessionOrToken,
             "The requester's one download of the encrypted archive", "", "",
             [d](Call& c) { return DownloadExport(d, c); }});
}

}  // namespace strongroom::api
