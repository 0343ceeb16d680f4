#include "web/templates.h"

#include "web/assets.h"

namespace strongroom::web {
namespace {

constexpr std::string_view kDir = "templates/";
constexpr std::string_view kSuffix = ".mustache";
constexpr std::string_view kSlot = "{{>page}}";

// A tag that would not escape ({{{ and {{&), a partial ({{>), changed delimiters ({{=) or a
// comment that could hide one ({{!): none has a place in a page.
Result<void> CheckTags(std::string_view name, std::string_view text) {
  for (auto at = text.find("{{"); at != std::string_view::npos; at = text.find("{{", at + 2)) {
    const auto sigil = text.find_first_not_of(" \t\r\n", at + 2);
    if (sigil != std::string_view::npos &&
        std::string_view("{&>=!<").find(text[sigil]) != std::string_view::npos) {
      return Fail(ErrorCode::kInternal,
                  "console template " + std::string(name) + " uses a tag that does not escape");
    }
  }
  return {};
}

// `text` with each {{>_name}} replaced by the fragment "_name" (one level: a fragment's own
// {{> is left for CheckTags to refuse). A fragment that does not exist is refused.
Result<std::string> Inlined(std::string_view name, std::string_view text,
                            const std::map<std::string, std::string_view, std::less<>>& fragments) {
  std::string out;
  for (;;) {
    const auto at = text.find("{{>_");
    if (at == std::string_view::npos) break;
    const auto end = text.find("}}", at);
    if (end == std::string_view::npos) break;
    const auto fragment = fragments.find(text.substr(at + 3, end - at - 3));
    if (fragment == fragments.end()) {
      return Fail(ErrorCode::kInternal,
                  "console template " + std::string(name) + " includes a fragment that is not");
    }
    out += text.substr(0, at);
    out += fragment->second;
    text.remove_prefix(end + 2);
  }
  return out + std::string(text);
}

// `text` without the spaces and tabs that start its lines. A template's indentation is for its
// reader: a browser shows a newline and the spaces after it as one space, as it does a newline
// alone, and no template holds text where they would show (a textarea's or a pre-wrap element's
// value is one tag on its line). The engine takes each space as a part of its own to render, so
// a page without them renders in about a third of the steps.
std::string WithoutIndentation(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool line_start = true;
  for (const char ch : text) {
    if (line_start && (ch == ' ' || ch == '\t')) continue;
    line_start = ch == '\n';
    out.push_back(ch);
  }
  return out;
}

}  // namespace

Result<Templates> Templates::Load() { return Load(EmbeddedFiles()); }

Result<Templates> Templates::Load(std::span<const EmbeddedFile> files) {
  // The layout names the assets by their versioned addresses (web/assets.h).
  std::string layout;
  for (const auto& f : files) {
    if (f.name == std::string(kDir) + "layout" + std::string(kSuffix)) layout = Versioned(f.text);
  }
  const auto slot = layout.find(kSlot);
  if (slot == std::string_view::npos || layout.find(kSlot, slot + 1) != std::string_view::npos) {
    return Fail(ErrorCode::kInternal, "the console's layout must hold one {{>page}}");
  }
  const auto base_name = [](std::string_view file) -> std::string_view {
    if (!file.starts_with(kDir) || !file.ends_with(kSuffix)) return "";
    return file.substr(kDir.size(), file.size() - kDir.size() - kSuffix.size());
  };
  std::map<std::string, std::string_view, std::less<>> fragments;
  for (const auto& f : files) {
    if (base_name(f.name).starts_with('_')) fragments.emplace(base_name(f.name), f.text);
  }
  Templates out;
  for (const auto& f : files) {
    const auto name = base_name(f.name);
    if (name.empty() || name == "layout" || name.starts_with('_')) continue;
    ASSIGN_OR_RETURN(const auto page, Inlined(name, f.text, fragments));
    RETURN_IF_ERROR(CheckTags(name, page));
    std::string text(layout.substr(0, slot));
    text += page;
    text += layout.substr(slot + kSlot.size());
    RETURN_IF_ERROR(CheckTags("layout", text));
    auto parsed = std::make_unique<kainjow::mustache::mustache>(WithoutIndentation(text));
    if (!parsed->is_valid()) {
      return Fail(ErrorCode::kInternal,
                  "console template " + std::string(name) + ": " + parsed->error_message());
    }
    out.pages_.emplace(std::string(name), std::move(parsed));
  }
  return out;
}

Result<std::string> Templates::Render(std::string_view page, const PageData& data) const {
  const auto it = pages_.find(page);
  if (it == pages_.end()) {
    return Fail(ErrorCode::kInternal, "no console page " + std::string(page));
  }
  // Into one string (the engine's own would go through an ostringstream).
  std::string html;
  html.reserve(16384);
  it->second->render(data, [&html](const std::string& text) { html += text; });
  if (!it->second->is_valid()) {
    return Fail(ErrorCode::kInternal, "console page " + std::string(page) + " did not render");
  }
  return html;
}

}  // namespace strongroom::web
