#pragma once
// The contract every store backend passes. A backend's test file instantiates the suite with a
// factory that opens a fresh, empty store:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContractTest, ::testing::Values(StoreFactory{...}));

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "store/store.h"

namespace strongroom::store {

struct StoreFactory {
  std::string name;
  // Opens a fresh store in `dir` (a directory the test owns) and brings it to the latest schema.
  std::function<std::unique_ptr<Store>(const std::string& dir)> open;
  friend void PrintTo(const StoreFactory& v, std::ostream* os) { *os << v.name; }
};

class StoreContractTest : public ::testing::TestWithParam<StoreFactory> {};

}  // namespace strongroom::store
