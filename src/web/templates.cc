#include "web/templates.h"

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

}  // namespace

Result<Templates> Templates::Load() { return Load(EmbeddedFiles()); }

Result<Templates> Templates::Load(std::span<const EmbeddedFile> files) {
  std::string_view layout;
  for (const auto& f : files) {
    if (f.name == std::string(kDir) + "layout" + std::string(kSuffix)) layout = f.text;
  }
  const auto slot = layout.find(kSlot);
  if (slot == std::string_view::npos || layout.find(kSlot, slot + 1) != std::string_view::npos) {
    return Fail(ErrorCode::kInternal, "the console's layout must hold one {{>page}}");
  }
  Templates out;
  for (const auto& f : files) {
    if (!f.name.starts_with(kDir) || !f.name.ends_with(kSuffix)) continue;
    const auto name = f.name.substr(kDir.size(), f.name.size() - kDir.size() - kSuffix.size());
    if (name == "layout") continue;
    RETURN_IF_ERROR(CheckTags(name, f.text));
    std::string text(layout.substr(0, slot));
    text += f.text;
    text += layout.substr(slot + kSlot.size());
    RETURN_IF_ERROR(CheckTags("layout", text));
    auto parsed = std::make_unique<kainjow::mustache::mustache>(text);
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
  auto html = it->second->render(data);
  if (!it->second->is_valid()) {
    return Fail(ErrorCode::kInternal, "console page " + std::string(page) + " did not render");
  }
  return html;
}

}  // namespace strongroom::web
