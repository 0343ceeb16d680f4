#pragma once
// Values that cross the store interface: SQL parameters and result columns. A Value is NULL, a
// 64-bit integer, a double, UTF-8 text or a byte string; backends map these to their own types.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"

namespace strongroom::store {

using Value = std::variant<std::monostate, int64_t, double, std::string, Bytes>;
using Params = std::vector<Value>;

// One result row. Accessors return a neutral value (0, "", {}) for NULL or a type mismatch;
// callers that care use IsNull.
class Row {
 public:
  explicit Row(std::vector<Value> columns) : columns_(std::move(columns)) {}

  size_t size() const { return columns_.size(); }
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(columns_.at(i)); }
  int64_t Int(size_t i) const;
  double Real(size_t i) const;
  std::string Text(size_t i) const;
  Bytes Blob(size_t i) const;
  const Value& operator[](size_t i) const { return columns_.at(i); }

 private:
  std::vector<Value> columns_;
};

}  // namespace strongroom::store
