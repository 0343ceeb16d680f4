#pragma once
// Names for an enum's values: one table per enum, read both ways, so a value and its name are
// written once. `NameIn` gives `otherwise` for a value missing from the table.
//
// Pure functions over constant tables; safe from any thread.

#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace strongroom {

template <typename E>
using NameTable = std::span<const std::pair<E, std::string_view>>;

template <typename E>
constexpr std::string_view NameIn(NameTable<E> table, E value,
                                  std::string_view otherwise = "unknown") {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return otherwise;
}

template <typename E>
constexpr std::optional<E> ParseIn(NameTable<E> table, std::string_view name) {
  for (const auto& [e, n] : table) {
    if (n == name) return e;
  }
  return std::nullopt;
}

}  // namespace strongroom
