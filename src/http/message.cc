#include "http/message.h"

namespace strongroom::http {

std::string_view Request::Header(std::string_view name) const {
  auto it = message.find(name);
  if (it == message.end()) return {};
  return it->value();
}

std::string Request::Cookie(std::string_view name) const {
  const auto [first, last] = message.equal_range(beast_http::field::cookie);
  for (auto it = first; it != last; ++it) {
    std::string_view rest = it->value();
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      auto pair = rest.substr(0, semi);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        return std::string(pair.substr(eq + 1));
      }
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
  }
  return "";
}

unsigned RefuseTarget(std::string_view target) {
  if (!target.starts_with('/')) return 400;
  if (target.size() > kMaxTargetBytes) return 414;
  return 0;
}

void SplitTarget(Request& request) {
  const std::string_view target = request.message.target();
  const auto q = target.find('?');
  request.path = std::string(target.substr(0, q));
  request.query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
}

bool PresentsCredentials(const Request& request) {
  return request.Cookie("__Host-strongroom-session").size() == 64 ||
         request.Cookie("__Host-strongroom-admin-session").size() == 64 ||
         request.Header("Authorization").starts_with("Bearer ");
}

}  // namespace strongroom::http
