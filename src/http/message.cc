#include "http/message.h"

namespace strongroom::http {

std::string_view Request::Header(std::string_view name) const {
  auto it = message.find(name);
  if (it == message.end()) return {};
  return it->value();
}

}  // namespace strongroom::http
