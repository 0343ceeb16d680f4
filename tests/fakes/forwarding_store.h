#pragma once
// A Store that passes everything to another: the base of test stores that watch or change one
// part of what passes through (CountingStore, a store that lets a change land after a read).
//
// Thread-safety: as the wrapped store.

#include "store/store.h"

namespace strongroom::testing {

class ForwardingStore : public store::Store {
 public:
  explicit ForwardingStore(store::Store& inner) : inner_(inner) {}

  Result<void> Write(store::TransactionFn fn) override { return inner_.Write(std::move(fn)); }
  void WriteAsync(store::TransactionFn fn, store::DoneFn done) override {
    inner_.WriteAsync(std::move(fn), std::move(done));
  }
  Result<void> Read(store::TransactionFn fn) override { return inner_.Read(std::move(fn)); }
  Result<void> Compact() override { return inner_.Compact(); }
  void SetCommitSink(store::CommitSink* sink) override { inner_.SetCommitSink(sink); }
  int WatchTables(std::vector<std::string> tables, std::function<void()> changed) override {
    return inner_.WatchTables(std::move(tables), std::move(changed));
  }
  void Unwatch(int watch) override { inner_.Unwatch(watch); }
  bool SeesEveryCommit() const override { return inner_.SeesEveryCommit(); }
  store::StoreStats Stats() const override { return inner_.Stats(); }
  void Close() override { inner_.Close(); }

 protected:
  store::Store& inner_;
};

}  // namespace strongroom::testing
