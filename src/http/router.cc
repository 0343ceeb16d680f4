#include "http/router.h"

#include "http/query.h"

namespace strongroom::http {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.starts_with('/')) path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

std::optional<std::string> DecodePathSegment(std::string_view segment) {
  auto out = PercentDecode(segment, false);
  if (!out) return std::nullopt;
  for (const char c : *out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '/') return std::nullopt;
  }
  return out;
}

void Router::Add(Surface surfaces, beast_http::verb method, std::string pattern, Handler handler,
                 Dispatch dispatch, Caller caller) {
  Route r{surfaces, method, pattern, {}, std::move(handler), dispatch, {}, nullptr, caller};
  for (auto s : Split(pattern)) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

void Router::AddAsync(Surface surfaces, beast_http::verb method, std::string pattern,
                      AsyncHandler handler, InlineIf inline_if, Caller caller, ErrorAnswer errors) {
  Route r{surfaces,  method, pattern,          {}, {}, Dispatch::kWorker, std::move(handler),
          inline_if, caller, std::move(errors)};
  for (auto s : Split(pattern)) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

Router::Match Router::Find(beast_http::verb method, std::string_view path, Surface reach) const {
  Match result;
  const auto parts = Split(path);
  for (const auto& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (size_t i = 0; i < parts.size() && ok; ++i) {
      const auto& seg = route.segments[i];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        auto decoded = DecodePathSegment(parts[i]);
        ok = decoded.has_value() && !decoded->empty();
        if (ok) params.emplace(seg.substr(1, seg.size() - 2), std::move(*decoded));
      } else {
        ok = seg == parts[i];
      }
    }
    if (!ok) continue;
    if (!Reaches(reach, route.surfaces)) {
      // Told apart only for the report: the caller answers as for a path that does not exist.
      if (route.method == method) result.elsewhere = result.elsewhere | route.surfaces;
      continue;
    }
    if (route.method != method) {
      result.method_mismatch = true;
      continue;
    }
    if (route.async) {
      result.async = &route.async;
      result.inline_if = route.inline_if;
      result.errors = &route.errors;
    } else {
      result.handler = &route.handler;
    }
    result.dispatch = route.dispatch;
    result.caller = route.caller;
    result.pattern = &route.pattern;
    result.params = std::move(params);
    result.method_mismatch = false;
    result.elsewhere = Surface::kNone;
    return result;
  }
  return result;
}

}  // namespace strongroom::http
