#pragma once
// The console's pages, rendered from the templates built into the binary (web/embedded.h) by
// kainjow's Mustache engine. Every value a page shows is HTML-escaped (& < > " '): a template
// that uses a tag which would not escape ({{{ }}}, {{& }}), a partial, or changed delimiters is
// refused at load, so that no page can be made to emit markup from data. Each page is the layout
// with the page's own template in place of its {{>page}} line, parsed once at load without the
// indentation of its lines (a browser shows none of it; nowhere would it show). A page may
// include a fragment, "templates/_<name>.mustache", with {{>_<name>}}: its text, put in place at
// load (markup shared by several pages, such as a group of checkboxes or a date input; a fragment
// includes none).
//
//   auto templates = web::Templates::Load();
//   PageData data;
//   data["title"] = "Records";
//   auto html = templates->Render("records", data);
//
// Thread-safety: Render may be called concurrently once loaded. The data given to it holds only
// strings, lists, objects and booleans (never lambdas), so that rendering only reads the parsed
// templates.

#include <kainjow/mustache.hpp>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"
#include "web/embedded.h"

namespace strongroom::web {

using PageData = kainjow::mustache::data;

class Templates {
 public:
  // From the files built into the binary; the layout is "templates/layout.mustache" and every
  // other "templates/<name>.mustache" is the page `name`.
  static Result<Templates> Load();
  static Result<Templates> Load(std::span<const EmbeddedFile> files);

  Result<std::string> Render(std::string_view page, const PageData& data) const;

 private:
  std::map<std::string, std::unique_ptr<kainjow::mustache::mustache>, std::less<>> pages_;
};

}  // namespace strongroom::web
