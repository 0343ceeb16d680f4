#pragma once
// A store whose writes, or reads, fail while told to (a database gone away, or one that answers
// reads but refuses this node's writes).
//
// Thread-safety: as the wrapped store.

#include <atomic>

#include "fakes/forwarding_store.h"

namespace strongroom::testing {

class FailingStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  Result<void> Write(store::TransactionFn fn) override {
    if (failing_writes) return Fail(ErrorCode::kUnavailable, "the database is unreachable");
    return inner_.Write(std::move(fn));
  }
  Result<void> Read(store::TransactionFn fn) override {
    if (failing_reads) return Fail(ErrorCode::kUnavailable, "the database is unreachable");
    return inner_.Read(std::move(fn));
  }

  std::atomic<bool> failing_writes = false;
  std::atomic<bool> failing_reads = false;
};

}  // namespace strongroom::testing
