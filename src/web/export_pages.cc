// The console's exports: ask, approve, and the requester's one download.

#include "http/query.h"
#include "web/page_kit.h"

namespace strongroom::web {
namespace {

struct ExportStatus {
  std::string_view status, text, tag;
};
constexpr ExportStatus kExportStatuses[] = {
    {"pending", "Waiting for approval", "govuk-tag--yellow"},
    {"approved", "Ready to download", "govuk-tag--green"},
    {"downloaded", "Downloaded", "govuk-tag--grey"},
    {"expired", "Expired", "govuk-tag--grey"},
};

PageData ExportItems(const std::vector<exports::ExportSummary>& list) {
  PageData items{PageData::type::list};
  for (const auto& e : list) {
    PageData item;
    item["id"] = PercentEncode(e.id);
    item["requester"] = e.requester;
    item["remit"] = e.remit.empty() ? "All remits" : e.remit;
    item["reason"] = e.reason;
    item["created_at"] = Readable(e.created_at);
    item["records"] = std::to_string(e.records);
    item["status"] = e.status;
    for (const auto& s : kExportStatuses) {
      if (s.status == e.status) {
        item["status"] = std::string(s.text);
        item["status_class"] = std::string(s.tag);
      }
    }
    if (e.status == "pending") item["until"] = "Expires " + Readable(e.expires_at);
    if (e.status == "approved") {
      item["until"] = "Until " + Readable(e.archive_expires_at);
      if (e.mine) item["ready"] = true;
    }
    items.push_back(item);
  }
  return items;
}

Result<http::Response> ExportsPage(const ConsoleDeps& d, Call& c, const http::Form& asked,
                                   const Error* error) {
  auto q = http::ParseQuery(c.request.query, {});
  if (!q) return d.exports.RefuseMalformed(c.who(), "export.list", q.error(), c.context);
  ASSIGN_OR_RETURN(auto list, d.exports.List(c.who(), c.context));
  auto data = SignedIn(d, c, "Exports");
  if (!list.mine.empty()) data["mine_any"] = true;
  if (!list.to_approve.empty()) data["to_approve_any"] = true;
  data["mine"] = ExportItems(list.mine);
  data["to_approve"] = ExportItems(list.to_approve);
  if (authz::ScopeForList(c.who().account, "", d.clock.Now()).decision.allow) {
    data["can_request"] = true;
    const auto remit = asked.find("remit");
    data["remits"] =
        RemitOptions(c.who().account.remits, remit == asked.end() ? "" : remit->second);
    if (const auto reason = asked.find("reason"); reason != asked.end()) {
      data["reason_value"] = reason->second;
    }
  }
  if (error == nullptr) return Page(d, 200, "exports", data);
  const bool remit = error->message.find("remit") != std::string::npos;
  return FormAgain(d, "exports", std::move(data), remit ? "remit" : "reason", *error);
}

Result<http::Response> RequestExport(const ConsoleDeps& d, Call& c) {
  auto form = http::ParseForm(c.request, {{"remit", 256}, {"reason", 4000, true}});
  if (!form) return d.exports.RefuseMalformed(c.who(), "export.request", form.error(), c.context);
  auto asked = d.exports.Request(c.who(), (*form)["remit"], (*form)["reason"], c.context);
  if (!asked) {
    if (!ShownOnTheForm(asked.error())) return std::unexpected(asked.error());
    return ExportsPage(d, c, *form, &asked.error());
  }
  return SeeOther("/exports");
}

// A button's form holds nothing but its CSRF token; anything more is refused, and audited as an
// attempt at `action`.
Result<void> ButtonForm(const ConsoleDeps& d, Call& c, std::string action) {
  if (auto form = http::ParseForm(c.request, {}); !form) {
    return d.exports.RefuseMalformed(c.who(), std::move(action), form.error(), c.context);
  }
  return {};
}

// Answered from the bulk lane when the approval is written: no worker waits for it meanwhile.
void ApproveExport(const ConsoleDeps& d, Call& c, http::Respond respond) {
  if (auto form = ButtonForm(d, c, "export.approve"); !form) {
    return respond(std::unexpected(form.error()));
  }
  d.exports.ApproveAsync(c.who(), c.param("id"), c.context,
                         [respond = std::move(respond)](Result<exports::ExportRequest> req) {
                           if (!req) return respond(std::unexpected(req.error()));
                           respond(SeeOther("/exports"));
                         });
}

// The requester's one download, opened: a file for the browser to save, not a page.
Result<http::Response> DownloadExport(const ConsoleDeps& d, Call& c) {
  const auto& id = c.param("id");
  RETURN_IF_ERROR(ButtonForm(d, c, "export.download"));
  ASSIGN_OR_RETURN(auto archive, d.exports.Download(c.who(), id, c.context));
  ASSIGN_OR_RETURN(auto json, exports::OpenArchive(archive, id));
  http::Response resp{200, "application/json", std::string(json.begin(), json.end()), {}, true};
  // The id is the service's own ("exp-" and hex digits): safe in the header.
  resp.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + id + ".json\"");
  return resp;
}

}  // namespace

void AddExportPages(PageTable& pages) {
  pages.Add(verb::get, "/exports", Credentials::kSession, "Exports: yours, and those to approve",
            [](const ConsoleDeps& d, Call& c) { return ExportsPage(d, c, {}, nullptr); });
  pages.Add(verb::post, "/exports", Credentials::kSession, "Ask for an export", RequestExport);
  pages.Add({verb::post, "/exports/{id}/approve", Credentials::kSession, "Approve an export", "",
             "", nullptr, http::Dispatch::kWorker,
             [d = pages.deps()](Call& c, http::Respond respond) {
               ApproveExport(d, c, std::move(respond));
             }});
  pages.Add(verb::post, "/exports/{id}/download", Credentials::kSession, "Download an export, once",
            DownloadExport);
}

}  // namespace strongroom::web
