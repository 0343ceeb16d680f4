#include "api/exports.h"

#include <boost/json.hpp>

#include "http/json.h"

namespace strongroom::api {
namespace {

using http::beast_http::verb;

identity::RequestContext Context(const http::Request& r) {
  return {r.remote_address, r.request_id};
}

}  // namespace

void RegisterExportRoutes(http::Router& router, identity::AuthService& auth,
                          records::ExportService& exports, AuthRoutesOptions options) {
  const int depth = options.max_json_depth;

  router.Add(verb::post, "/api/v1/exports",
             [&auth, &exports, options, depth](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
               http::FieldReader f(body);
               ASSIGN_OR_RETURN(const auto* scope, f.Object("scope"));
               ASSIGN_OR_RETURN(auto reason, f.String("reason", 4000));
               RETURN_IF_ERROR(f.Finish());
               http::FieldReader s(*scope);
               ASSIGN_OR_RETURN(auto remit, s.OptionalString("remit", 64));
               RETURN_IF_ERROR(s.Finish());
               ASSIGN_OR_RETURN(auto req, exports.Request(who, remit, reason, Context(r)));
               boost::json::object out{{"id", req.id}, {"status", req.status}};
               return http::Response::Json(201, boost::json::serialize(out));
             });

  router.Add(
      verb::post, "/api/v1/exports/{id}/approve",
      [&auth, &exports, options](http::Request& r) -> Result<http::Response> {
        ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
        ASSIGN_OR_RETURN(auto req, exports.Approve(who, r.params.at("id"), Context(r)));
        boost::json::object out{{"id", req.id}, {"status", req.status}, {"records", req.records}};
        return http::Response::Json(200, boost::json::serialize(out));
      });

  router.Add(
      verb::get, "/api/v1/exports/{id}/download",
      [&auth, &exports, options](http::Request& r) -> Result<http::Response> {
        ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
        ASSIGN_OR_RETURN(auto archive, exports.Download(who, r.params.at("id"), Context(r)));
        http::Response resp{200,
                            "application/octet-stream",
                            std::string(archive.ciphertext.begin(), archive.ciphertext.end()),
                            {}};
        resp.headers.emplace_back("X-Strongroom-Archive-Key", archive.key_hex);
        resp.headers.emplace_back("X-Strongroom-Archive-Cipher",
                                  "AES-256-GCM; nonce=12 bytes first; tag=16 bytes last; "
                                  "aad=export id");
        resp.headers.emplace_back("X-Strongroom-Archive-Records", std::to_string(archive.records));
        resp.headers.emplace_back("Content-Disposition",
                                  "attachment; filename=\"" + r.params.at("id") + ".json.enc\"");
        return resp;
      });
}

}  // namespace strongroom::api
