#include "api/records.h"

#include <boost/json.hpp>
#include <charconv>

#include "http/json.h"
#include "http/query.h"

namespace strongroom::api {
namespace {

using http::beast_http::verb;

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

struct Deps {
  records::RecordService& records;
  int depth;
};

// On a worker (the body is read and the record sealed there), which is free again once the insert
// is queued: the answer follows when it is durable, and many creates share one commit.
void CreateRecord(const Deps& d, Call& c, http::Respond respond) {
  auto in = ReadInput(c.request, d.depth, true);
  if (!in) {
    return respond(d.records.RefuseMalformed(c.who(), "record.create", "", in.error(), c.context));
  }
  d.records.CreateAsync(c.who(), *in, c.context,
                        [respond = std::move(respond)](Result<records::Written> written) {
                          if (!written) return respond(std::unexpected(written.error()));
                          auto resp = WrittenResponse(201, *written);
                          resp.headers.emplace_back("Location", "/api/v1/records/" + written->id);
                          respond(std::move(resp));
                        });
}

// The hottest route. With a session it runs on the I/O thread: the session and the record are
// read (SQLite readers never wait for the writer) and the view's audit event, with any session
// upkeep ahead of it, is queued for the writer; the answer follows once it is durable, and many
// such events share one commit. API tokens go to the worker pool (a refused token is audited
// synchronously).
void ViewRecord(const Deps& d, Call& c, http::Respond respond) {
  d.records.GetAsync<http::Response>(
      c.who(), c.param("id"), c.context,
      [](const records::Record& record) -> Result<http::Response> {
        return RecordResponse(record);
      },
      std::move(respond));
}

Result<http::Response> UpdateRecord(const Deps& d, Call& c) {
  const auto& id = c.param("id");
  auto version = IfMatch(c.request);
  if (!version) {
    return d.records.RefuseMalformed(c.who(), "record.update", id, version.error(), c.context);
  }
  auto in = ReadInput(c.request, d.depth, false);
  if (!in) return d.records.RefuseMalformed(c.who(), "record.update", id, in.error(), c.context);
  ASSIGN_OR_RETURN(auto written, d.records.Update(c.who(), id, *version, *in, c.context));
  return WrittenResponse(200, written);
}

Result<http::Response> DeleteRecord(const Deps& d, Call& c) {
  const auto& id = c.param("id");
  auto version = IfMatch(c.request);
  if (!version) {
    return d.records.RefuseMalformed(c.who(), "record.delete", id, version.error(), c.context);
  }
  RETURN_IF_ERROR(d.records.Delete(c.who(), id, *version, c.context));
  return http::Response::NoContent();
}

Result<http::Response> ListRecords(const Deps& d, Call& c) {
  auto q = http::ParseQuery(c.request.query, {"remit", "limit", "cursor"});
  if (!q) return d.records.RefuseMalformed(c.who(), "record.list", "", q.error(), c.context);
  int limit = 50;
  if (!(*q)["limit"].empty()) {
    const auto& l = (*q)["limit"];
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), limit);
    if (ec != std::errc() || p != l.data() + l.size()) limit = 0;  // refused below
  }
  ASSIGN_OR_RETURN(auto page,
                   d.records.List(c.who(), (*q)["remit"], limit, (*q)["cursor"], c.context));
  boost::json::array items;
  for (const auto& s : page.items) items.push_back(SummaryJson(s));
  boost::json::object out{{"items", std::move(items)}, {"next_cursor", page.next_cursor}};
  return http::Response::Json(200, boost::json::serialize(out));
}

std::string InputSchema(bool with_remit) {
  const auto descriptors = ArraySchema(StringSchema(32), 32);
  const auto title = StringSchema(static_cast<int>(records::kMaxTitleChars));
  const auto classification = R"({"enum":["OFFICIAL","OFFICIAL-SENSITIVE"]})";
  if (with_remit) {
    return ObjectSchema({{"remit", StringSchema(64)},
                         {"title", title},
                         {"classification", classification},
                         {"descriptors", descriptors},
                         {"body", kAnyObjectSchema},
                         {"retain_until", StringSchema(64, "date-time")}},
                        {"retain_until"});
  }
  return ObjectSchema({{"title", title},
                       {"classification", classification},
                       {"descriptors", descriptors},
                       {"body", kAnyObjectSchema},
                       {"retain_until", StringSchema(64, "date-time")}},
                      {"retain_until"});
}

}  // namespace

void AddRecordRoutes(RouteTable& table, records::RecordService& records, int max_json_depth) {
  const Deps d{records, max_json_depth};
  const auto written = ObjectSchema({{"id", StringSchema(64)}, {"version", kIntegerSchema}});
  const auto summary = R"({"type":"object"})";
  table.Add({verb::post, "/api/v1/records", Credentials::kSessionOrToken, "Create a record",
             InputSchema(true), written, nullptr, http::Dispatch::kWorker,
             [d](Call& c, http::Respond respond) { CreateRecord(d, c, std::move(respond)); }});
  table.Add({verb::get, "/api/v1/records/{id}", Credentials::kSessionOrToken,
             "View a record, decrypted (ETag: its version)", "", summary, nullptr,
             http::Dispatch::kInline,
             [d](Call& c, http::Respond respond) { ViewRecord(d, c, std::move(respond)); }});
  table.Add({verb::put, "/api/v1/records/{id}", Credentials::kSessionOrToken,
             "Update a record (If-Match: its ETag)", InputSchema(false), written,
             [d](Call& c) { return UpdateRecord(d, c); }});
  table.Add({verb::delete_, "/api/v1/records/{id}", Credentials::kSessionOrToken,
             "Delete a record (If-Match: its ETag)", "", "",
             [d](Call& c) { return DeleteRecord(d, c); }});
  table.Add(WithQuery(
      {verb::get, "/api/v1/records", Credentials::kSessionOrToken,
       "List records the caller may see (remit, limit, cursor)", "",
       ObjectSchema({{"items", ArraySchema(summary, 100)}, {"next_cursor", StringSchema(64)}}),
       [d](Call& c) { return ListRecords(d, c); }},
      {"remit", "limit", "cursor"}));
}

}  // namespace strongroom::api
