// The console's records: the list, a record, and the forms to create, change and delete one.

#include <boost/json.hpp>
#include <optional>

#include "http/query.h"
#include "web/page_kit.h"

namespace strongroom::web {
namespace {

// The remits `who` may create records in.
std::vector<std::string> CreatableRemits(const ConsoleDeps& d, const identity::Principal& who) {
  std::vector<std::string> out;
  for (const auto& remit : who.account.remits) {
    if (Offered(d, who, authz::Action::kCreate, {who.account.org_id, remit, "OFFICIAL", {}})) {
      out.push_back(remit);
    }
  }
  return out;
}

std::string RecordPath(std::string_view id) { return "/records/" + PercentEncode(id); }

Result<http::Response> ListRecords(const ConsoleDeps& d, Call& c) {
  auto q = http::ParseQuery(c.request.query, {"remit", "cursor"});
  if (!q) return d.records.RefuseMalformed(c.who(), "record.list", "", q.error(), c.context);
  auto& remit = (*q)["remit"];
  ASSIGN_OR_RETURN(auto page, d.records.List(c.who(), remit, 50, (*q)["cursor"], c.context));
  auto data = SignedIn(d, c, "Records");
  data["remits"] = RemitOptions(c.who().account.remits, remit);
  if (!CreatableRemits(d, c.who()).empty()) data["can_create"] = true;
  PageData items{PageData::type::list};
  for (const auto& s : page.items) {
    PageData item;
    item["id"] = PercentEncode(s.id);
    item["title"] = s.title;
    item["remit"] = s.remit;
    item["classification"] = s.classification;
    item["updated_at"] = Readable(s.updated_at);
    items.push_back(item);
  }
  if (!page.items.empty()) data["has_items"] = true;
  data["items"] = std::move(items);
  if (!page.next_cursor.empty()) {
    std::string next = "/records?";
    if (!remit.empty()) next += "remit=" + PercentEncode(remit) + "&";
    data["next"] = next + "cursor=" + PercentEncode(page.next_cursor);
  }
  return Page(d, 200, "records", data);
}

// The record's content, one entry per field of its body: text as it is, anything else as JSON.
PageData ContentFields(const boost::json::value& body) {
  PageData fields{PageData::type::list};
  if (!body.is_object()) return fields;
  for (const auto& [name, value] : body.as_object()) {
    PageData field;
    field["name"] = std::string(name);
    field["value"] =
        value.is_string() ? std::string(value.as_string()) : boost::json::serialize(value);
    fields.push_back(field);
  }
  return fields;
}

boost::json::value ParseBody(const std::string& body_json) {
  boost::system::error_code ec;
  auto body = boost::json::parse(body_json, ec);
  return ec ? boost::json::value() : body;
}

// As the API's view (api/records.cc): with a session it starts on the I/O thread, where the page
// is rendered, and is sent once the view's audit event is durable.
void ViewRecord(const ConsoleDeps& d, Call& c, http::Respond respond) {
  d.records.GetAsync<http::Response>(
      c.who(), c.param("id"), c.context,
      [&d, &c](const records::Record& record) -> Result<http::Response> {
        auto data = SignedIn(d, c, "");
        const auto& s = record.summary;
        data["title"] = s.title;
        data["record_title"] = s.title;
        data["id"] = PercentEncode(s.id);
        data["remit"] = s.remit;
        data["classification"] = s.classification;
        PageData descriptors{PageData::type::list};
        for (const auto& desc : s.descriptors) descriptors.push_back(PageData(desc));
        data["descriptors"] = std::move(descriptors);
        data["version"] = std::to_string(s.version);
        data["created_at"] = Readable(s.created_at);
        data["updated_at"] = Readable(s.updated_at);
        data["retain_until"] = Readable(s.retain_until);
        data["author"] = s.author;
        data["fields"] = ContentFields(ParseBody(record.body_json));
        const authz::Resource resource{c.who().account.org_id, s.remit, s.classification,
                                       s.descriptors};
        const bool update = Offered(d, c.who(), authz::Action::kUpdate, resource);
        const bool remove = Offered(d, c.who(), authz::Action::kDelete, resource);
        if (update) data["can_update"] = true;
        if (remove) data["can_delete"] = true;
        if (update || remove) data["can_change"] = true;
        return Page(d, 200, "record", data);
      },
      std::move(respond));
}

// What a record's form holds: the record's values when it opens, the post's when it comes back.
struct RecordValues {
  std::string id;  // "" for a new record
  std::string version;
  std::string remit, title, classification, text;
  std::vector<std::string> descriptors;
  // The console edits a body of one text field (as it creates them); any other body is kept.
  bool text_editable = true;
};

Result<http::Response> RecordForm(const ConsoleDeps& d, Call& c, const RecordValues& v,
                                  const Error* error) {
  const bool editing = !v.id.empty();
  auto data = SignedIn(d, c, editing ? "Change this record" : "Create a record");
  if (editing) {
    data["editing"] = true;
    if (!v.remit.empty()) data["remit"] = v.remit;
    data["version"] = v.version;
    data["action"] = RecordPath(v.id) + "/edit";
    data["cancel"] = RecordPath(v.id);
    data["button"] = "Save changes";
  } else {
    const auto remits = CreatableRemits(d, c.who());
    if (remits.empty()) {
      return Fail(ErrorCode::kPermissionDenied, "you may not create records in any of your remits");
    }
    data["remits"] = RemitOptions(remits, v.remit);
    data["action"] = "/records";
    data["cancel"] = "/records";
    data["button"] = "Create record";
  }
  data["title_value"] = v.title;
  if (v.text_editable) {
    data["text_editable"] = true;
    data["text_value"] = v.text;
  }
  if (v.classification == authz::kSensitive) data["sensitive"] = true;
  PageData descriptors{PageData::type::list};
  for (const auto& name : d.records.options().descriptors) {
    PageData item;
    item["name"] = name;
    if (std::ranges::find(v.descriptors, name) != v.descriptors.end()) item["checked"] = true;
    descriptors.push_back(item);
  }
  data["descriptors"] = std::move(descriptors);
  if (error == nullptr) return Page(d, 200, "record_form", data);
  if (error->code == ErrorCode::kFailedPrecondition) {
    return FormAgain(d, "record_form", std::move(data), "title",
                     Error{error->code,
                           "This record has changed since you opened it. Open it again to see "
                           "the changes, then make yours."});
  }
  // The field the service named first, for the error summary's link.
  std::string_view field = v.text_editable ? "text" : "title";
  for (const std::string_view name : {"remit", "title", "classification", "descriptor"}) {
    if (error->message.find(name) != std::string::npos) {
      field = name == "descriptor" ? "descriptors" : name;
      break;
    }
  }
  return FormAgain(d, "record_form", std::move(data), field, *error);
}

constexpr size_t kDescriptorBytes = 32;

Result<http::Response> CreateRecord(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(c.request, {{"remit", 256},
                                          {"title", records::kMaxTitleChars * 4},
                                          {"classification", 32},
                                          {"descriptors", kDescriptorBytes, false, true},
                                          {"text", 65536, true}});
  if (!form) {
    return d.records.RefuseMalformed(c.who(), "record.create", "", form.error(), c.context);
  }
  RecordValues values{.remit = (*form)["remit"],
                      .title = (*form)["title"],
                      .classification = (*form)["classification"],
                      .text = (*form)["text"],
                      .descriptors = http::FormValues(*form, "descriptors")};
  records::RecordInput in;
  in.remit = values.remit;
  in.title = values.title;
  in.classification = values.classification;
  in.descriptors = values.descriptors;
  in.body_json = boost::json::serialize(boost::json::object{{"text", values.text}});
  auto written = d.records.Create(c.who(), in, c.context);
  if (!written) {
    if (!ShownOnTheForm(written.error())) return std::unexpected(written.error());
    return RecordForm(d, c, values, &written.error());
  }
  return SeeOther(RecordPath(written->id));
}

// The text of a body the console can edit (one text field, or none); nullopt for any other.
std::optional<std::string> EditableText(const boost::json::value& body) {
  if (!body.is_object()) return std::nullopt;
  const auto& object = body.as_object();
  if (object.empty()) return std::string();
  const auto* text = object.if_contains("text");
  if (object.size() != 1 || text == nullptr || !text->is_string()) return std::nullopt;
  return std::string(text->as_string());
}

Result<http::Response> EditRecordForm(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto record, d.records.Get(c.who(), c.param("id"), c.context));
  const auto& s = record.summary;
  const auto text = EditableText(ParseBody(record.body_json));
  return RecordForm(d, c,
                    {.id = s.id,
                     .version = std::to_string(s.version),
                     .remit = s.remit,
                     .title = s.title,
                     .classification = s.classification,
                     .text = text.value_or(""),
                     .descriptors = s.descriptors,
                     .text_editable = text.has_value()},
                    nullptr);
}

Result<http::Response> UpdateRecord(const ConsoleDeps& d, Call& c) {
  const auto& id = c.param("id");
  auto form = http::ParseForm(c.request, {{"version", 20},
                                          {"title", records::kMaxTitleChars * 4},
                                          {"classification", 32},
                                          {"descriptors", kDescriptorBytes, false, true},
                                          {"text", 65536, true}});
  auto version = form ? VersionOf(*form) : std::unexpected(form.error());
  if (!version) {
    return d.records.RefuseMalformed(c.who(), "record.update", id, version.error(), c.context);
  }
  const bool text_editable = form->contains("text");  // before form["text"] makes it so
  RecordValues values{.id = id,
                      .version = (*form)["version"],
                      .title = (*form)["title"],
                      .classification = (*form)["classification"],
                      .text = (*form)["text"],
                      .descriptors = http::FormValues(*form, "descriptors"),
                      .text_editable = text_editable};
  records::RecordInput in;
  in.title = values.title;
  in.classification = values.classification;
  in.descriptors = values.descriptors;
  if (values.text_editable) {
    in.body_json = boost::json::serialize(boost::json::object{{"text", values.text}});
  } else {
    // A body the form did not show is kept as it is (read again: the update refuses it if the
    // record has moved on since the form's version).
    ASSIGN_OR_RETURN(auto record, d.records.Get(c.who(), id, c.context));
    in.body_json = std::move(record.body_json);
    values.remit = record.summary.remit;
  }
  auto written = d.records.Update(c.who(), id, *version, in, c.context);
  if (!written) {
    if (!ShownOnTheForm(written.error())) return std::unexpected(written.error());
    return RecordForm(d, c, values, &written.error());
  }
  return SeeOther(RecordPath(id));
}

Result<http::Response> DeleteRecordForm(const ConsoleDeps& d, Call& c) {
  ASSIGN_OR_RETURN(auto record, d.records.Get(c.who(), c.param("id"), c.context));
  auto data = SignedIn(d, c, "Delete this record");
  data["id"] = PercentEncode(record.summary.id);
  data["record_title"] = record.summary.title;
  data["remit"] = record.summary.remit;
  data["version"] = std::to_string(record.summary.version);
  return Page(d, 200, "record_delete", data);
}

Result<http::Response> DeleteRecord(const ConsoleDeps& d, Call& c) {
  const auto& id = c.param("id");
  auto form = http::ParseForm(c.request, {{"version", 20}});
  auto version = form ? VersionOf(*form) : std::unexpected(form.error());
  if (!version) {
    return d.records.RefuseMalformed(c.who(), "record.delete", id, version.error(), c.context);
  }
  RETURN_IF_ERROR(d.records.Delete(c.who(), id, *version, c.context));
  return SeeOther("/records");
}

}  // namespace

void AddRecordPages(PageTable& pages) {
  pages.Add(verb::get, "/records", Credentials::kSession, "Records", ListRecords);
  pages.Add(verb::post, "/records", Credentials::kSession, "Create a record", CreateRecord);
  pages.Add(verb::get, "/records/new", Credentials::kSession, "The form to create a record",
            [](const ConsoleDeps& d, Call& c) { return RecordForm(d, c, {}, nullptr); });
  pages.Add(verb::get, "/records/{id}/edit", Credentials::kSession, "The form to change a record",
            EditRecordForm);
  pages.Add(verb::post, "/records/{id}/edit", Credentials::kSession, "Change a record",
            UpdateRecord);
  pages.Add(verb::get, "/records/{id}/delete", Credentials::kSession, "Confirm a record's deletion",
            DeleteRecordForm);
  pages.Add(verb::post, "/records/{id}/delete", Credentials::kSession, "Delete a record",
            DeleteRecord);
  pages.Add({verb::get, "/records/{id}", Credentials::kSession, "A record", "", "", nullptr,
             http::Dispatch::kInline, [d = pages.deps()](Call& c, http::Respond respond) {
               ViewRecord(d, c, std::move(respond));
             }});
}

}  // namespace strongroom::web
