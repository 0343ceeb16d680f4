#include "store/value.h"

namespace strongroom::store {

int64_t Row::Int(size_t i) const {
  const auto* v = std::get_if<int64_t>(&columns_.at(i));
  return v ? *v : 0;
}

double Row::Real(size_t i) const {
  if (const auto* d = std::get_if<double>(&columns_.at(i))) return *d;
  if (const auto* v = std::get_if<int64_t>(&columns_.at(i))) return static_cast<double>(*v);
  return 0;
}

std::string Row::Text(size_t i) const {
  const auto* v = std::get_if<std::string>(&columns_.at(i));
  return v ? *v : std::string();
}

Bytes Row::Blob(size_t i) const {
  if (const auto* b = std::get_if<Bytes>(&columns_.at(i))) return *b;
  if (const auto* s = std::get_if<std::string>(&columns_.at(i))) return Bytes(s->begin(), s->end());
  return {};
}

}  // namespace strongroom::store
