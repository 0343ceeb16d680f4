#pragma once
// A Store that passes everything to another and writes down what was asked of it: for each Read
// and Write, in order, the statements run inside it (their SQL text, never their values). Tests use
// it to show that two paths do the same work, statement for statement (no timed assertions).
//
// Thread-safety: as the wrapped store; the log is guarded by mu_.

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "fakes/forwarding_store.h"

namespace strongroom::testing {

class CountingStore final : public ForwardingStore {
 public:
  struct Call {
    bool write = false;
    std::vector<std::string> statements;
    bool operator==(const Call&) const = default;
  };

  explicit CountingStore(store::Store& inner) : ForwardingStore(inner) {}

  Result<void> Write(store::TransactionFn fn) override {
    return inner_.Write(Logged(true, std::move(fn)));
  }
  void WriteAsync(store::TransactionFn fn, store::DoneFn done) override {
    inner_.WriteAsync(Logged(true, std::move(fn)), std::move(done));
  }
  Result<void> Read(store::TransactionFn fn) override {
    return inner_.Read(Logged(false, std::move(fn)));
  }

  // Says that watchers cannot hear of every commit (as a store shared with other nodes says
  // while its listening connection is down), or that they can again.
  void SetBlind(bool blind) { blind_ = blind; }
  bool SeesEveryCommit() const override { return !blind_ && inner_.SeesEveryCommit(); }

  // What was asked since the last Take, and forgets it.
  std::vector<Call> Take() {
    std::lock_guard lock(mu_);
    return std::exchange(calls_, {});
  }

 private:
  class LoggedTransaction final : public store::Transaction {
   public:
    LoggedTransaction(store::Transaction& inner, Call& call) : inner_(inner), call_(call) {}
    store::Dialect dialect() const override { return inner_.dialect(); }
    Result<int64_t> Exec(std::string_view sql, const store::Params& params) override {
      call_.statements.emplace_back(sql);
      return inner_.Exec(sql, params);
    }
    Result<std::vector<store::Row>> Query(std::string_view sql,
                                          const store::Params& params) override {
      call_.statements.emplace_back(sql);
      return inner_.Query(sql, params);
    }
    Result<void> Stage(std::any entry) override { return inner_.Stage(std::move(entry)); }

   private:
    store::Transaction& inner_;
    Call& call_;
  };

  store::TransactionFn Logged(bool write, store::TransactionFn fn) {
    return [this, write, fn = std::move(fn)](store::Transaction& tx) -> Result<void> {
      Call call{write, {}};
      LoggedTransaction logged(tx, call);
      auto r = fn(logged);
      std::lock_guard lock(mu_);
      calls_.push_back(std::move(call));
      return r;
    };
  }

  std::atomic<bool> blind_{false};
  std::mutex mu_;
  std::vector<Call> calls_;  // guarded by mu_
};

}  // namespace strongroom::testing
