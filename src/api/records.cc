#include "api/records.h"

#include <boost/json.hpp>
#include <charconv>

#include "http/json.h"
#include "http/query.h"

namespace strongroom::api {
namespace {

using http::beast_http::verb;

identity::RequestContext Context(const http::Request& r) {
  return {r.remote_address, r.request_id};
}

boost::json::object SummaryJson(const records::RecordSummary& s) {
  boost::json::array descriptors;
  for (const auto& d : s.descriptors) descriptors.emplace_back(d);
  return {{"id", s.id},
          {"remit", s.remit},
          {"title", s.title},
          {"classification", s.classification},
          {"descriptors", std::move(descriptors)},
          {"version", s.version},
          {"created_at", s.created_at},
          {"updated_at", s.updated_at},
          {"retain_until", s.retain_until},
          {"author", s.author}};
}

// The record's fields from a request body; `with_remit` for create (a record never changes remit).
Result<records::RecordInput> ReadInput(const http::Request& r, int depth, bool with_remit) {
  ASSIGN_OR_RETURN(auto body, http::ParseJsonObject(r, depth));
  http::FieldReader f(body);
  records::RecordInput in;
  if (with_remit) {
    ASSIGN_OR_RETURN(in.remit, f.String("remit", 256));
  }
  ASSIGN_OR_RETURN(in.title, f.String("title", records::kMaxTitleChars * 4));
  ASSIGN_OR_RETURN(in.classification, f.String("classification", 32));
  ASSIGN_OR_RETURN(in.descriptors, f.StringArray("descriptors", 32, 32, false));
  ASSIGN_OR_RETURN(const auto* content, f.Object("body"));
  in.body_json = boost::json::serialize(*content);
  ASSIGN_OR_RETURN(auto retain, f.OptionalString("retain_until", 64));
  if (!retain.empty()) {
    auto t = ParseRfc3339(retain);
    if (!t) return Fail(ErrorCode::kInvalidArgument, "retain_until must be RFC 3339 UTC");
    in.retain_until = *t;
  }
  RETURN_IF_ERROR(f.Finish());
  return in;
}

// If-Match: "<version>" (the ETag given with the record). Required on update and delete.
Result<int64_t> IfMatch(const http::Request& r) {
  auto v = r.Header("If-Match");
  if (v.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "If-Match with the record's ETag is required to change a record");
  }
  if (v.size() < 3 || v.front() != '"' || v.back() != '"') {
    return Fail(ErrorCode::kInvalidArgument, "If-Match must be an ETag this service gave");
  }
  v = v.substr(1, v.size() - 2);
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 1) {
    return Fail(ErrorCode::kInvalidArgument, "If-Match must be an ETag this service gave");
  }
  return n;
}

std::string ETag(int64_t version) { return "\"" + std::to_string(version) + "\""; }

http::Response WrittenResponse(unsigned status, const records::Written& w) {
  boost::json::object out{{"id", w.id}, {"version", w.version}};
  auto resp = http::Response::Json(status, boost::json::serialize(out));
  resp.headers.emplace_back("ETag", ETag(w.version));
  return resp;
}

http::Response RecordResponse(const records::Record& record) {
  // The body was serialised by this service when stored: splice it in unparsed.
  auto text = boost::json::serialize(SummaryJson(record.summary));
  text.pop_back();
  text += ",\"body\":";
  text += record.body_json;
  text += "}";
  auto resp = http::Response::Json(200, std::move(text));
  resp.headers.emplace_back("ETag", ETag(record.summary.version));
  return resp;
}

}  // namespace

void RegisterRecordRoutes(http::Router& router, identity::AuthService& auth,
                          records::RecordService& records, AuthRoutesOptions options) {
  const int depth = options.max_json_depth;

  router.Add(verb::post, "/api/v1/records",
             [&auth, &records, options, depth](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               auto in = ReadInput(r, depth, true);
               if (!in)
                 return records.RefuseMalformed(who, "record.create", "", in.error(), Context(r));
               ASSIGN_OR_RETURN(auto written, records.Create(who, *in, Context(r)));
               auto resp = WrittenResponse(201, written);
               resp.headers.emplace_back("Location", "/api/v1/records/" + written.id);
               return resp;
             });

  // The hottest route. With a session it runs on the I/O thread: the session and the record are
  // read (SQLite readers never wait for the writer) and the view's audit event, with any session
  // upkeep ahead of it, is queued for the writer; the answer follows once it is durable, and many
  // such events share one commit. API tokens go to the worker pool (a refused token is audited
  // synchronously).
  router.AddAsync(
      verb::get, "/api/v1/records/{id}",
      [&auth, &records, options](http::Request& r, http::Respond respond) {
        auto who = Authenticate(auth, r, options, identity::AuthService::Upkeep::kQueue);
        if (!who) return respond(std::unexpected(who.error()));
        records.GetAsync(*who, r.params.at("id"), Context(r),
                         [respond](Result<records::Record> record) {
                           if (!record) return respond(std::unexpected(record.error()));
                           respond(RecordResponse(*record));
                         });
      },
      [](const http::Request& r) { return r.Header("Authorization").empty(); });

  router.Add(verb::put, "/api/v1/records/{id}",
             [&auth, &records, options, depth](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               const auto& id = r.params.at("id");
               auto version = IfMatch(r);
               if (!version) {
                 return records.RefuseMalformed(who, "record.update", id, version.error(),
                                                Context(r));
               }
               auto in = ReadInput(r, depth, false);
               if (!in)
                 return records.RefuseMalformed(who, "record.update", id, in.error(), Context(r));
               ASSIGN_OR_RETURN(auto written, records.Update(who, id, *version, *in, Context(r)));
               return WrittenResponse(200, written);
             });

  router.Add(verb::delete_, "/api/v1/records/{id}",
             [&auth, &records, options](http::Request& r) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
               const auto& id = r.params.at("id");
               auto version = IfMatch(r);
               if (!version) {
                 return records.RefuseMalformed(who, "record.delete", id, version.error(),
                                                Context(r));
               }
               RETURN_IF_ERROR(records.Delete(who, id, *version, Context(r)));
               return http::Response::NoContent();
             });

  router.Add(
      verb::get, "/api/v1/records",
      [&auth, &records, options](http::Request& r) -> Result<http::Response> {
        ASSIGN_OR_RETURN(auto who, Authenticate(auth, r, options));
        auto q = http::ParseQuery(r.query, {"remit", "limit", "cursor"});
        if (!q) return records.RefuseMalformed(who, "record.list", "", q.error(), Context(r));
        int limit = 50;
        if (!(*q)["limit"].empty()) {
          const auto& l = (*q)["limit"];
          auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), limit);
          if (ec != std::errc() || p != l.data() + l.size()) limit = 0;  // refused below
        }
        ASSIGN_OR_RETURN(auto page,
                         records.List(who, (*q)["remit"], limit, (*q)["cursor"], Context(r)));
        boost::json::array items;
        for (const auto& s : page.items) items.push_back(SummaryJson(s));
        boost::json::object out{{"items", std::move(items)}, {"next_cursor", page.next_cursor}};
        return http::Response::Json(200, boost::json::serialize(out));
      });
}

}  // namespace strongroom::api
