// Sign-in benchmark: whole sign-ins (the password step, then the second factor) with a security
// key against the same with a TOTP code, in the same run, on the same store, through the same
// services the HTTP routes call (identity/sign_in.h). Both pay for one Argon2id verification at
// the service's parameters, two durable writes and their audit events; the ratio is what checking
// a WebAuthn assertion (its ECDSA signature, origin, RP ID, challenge and counter) costs beyond a
// TOTP code. Target: >= 0.95.
//
// Each of THREADS threads signs its own account in over and over (the service runs sign-ins on
// half the cores: the default is as many). The clock is moved on by a TOTP step before each
// sign-in, on both sides alike, so that every code is new. The rounds alternate (TOTP, WebAuthn,
// four times over: the machine's speed drifts) and each side's figure is the sum of its four. The
// client's own work (the key's signature, the code) is timed apart and left out of the CPU per
// sign-in.
//
// Usage: signin_bench DIR [seconds-per-round] [threads]   (DIR emptied)

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "crypto/master_key.h"
#include "crypto/signing.h"
#include "crypto/totp.h"
#include "identity/auth.h"
#include "identity/directory.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "webauthn/fake_authenticator.h"

namespace {

using namespace strongroom;
using Steady = std::chrono::steady_clock;

constexpr const char* kPassword = "a long and private passphrase";
constexpr const char* kOrigin = "https://records.example.org";
constexpr const char* kRpId = "records.example.org";

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

[[noreturn]] void Die(std::string_view what, const Error& e) {
  fmt::print(stderr, "signin_bench: {}: {}\n", what, e.message);
  std::exit(1);
}

template <typename T>
T Must(Result<T> r, std::string_view what) {
  if (!r) Die(what, r.error());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

struct Person {
  std::string username;
  Bytes secret;  // TOTP
  testing::SoftKey key;
};

struct Round {
  int64_t ok = 0;
  int64_t failed = 0;
  double seconds = 0;
  double cpu = 0;     // the process's, user + system
  double client = 0;  // thread time spent making codes and assertions (the client's part)
};

class Bench {
 public:
  explicit Bench(const std::filesystem::path& dir)
      : clock_{TimePoint(std::chrono::milliseconds(1'800'000'000'000))},
        signing_(crypto::GenerateSigningKey(Environment::kTest, crypto::DefaultRandom())),
        master_(crypto::GenerateMasterKey(Environment::kTest, crypto::DefaultRandom())) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    store_ = Must(store::SqliteStore::Open({dir / "bench.db", 4, 512}), "store");
    Must(store::Migrate(*store_), "migrate");
    audit_ = Must(audit::AuditLog::Open(*store_, clock_, signing_, Environment::kTest,
                                        {dir / "audit", "bench", 1000, 64 << 20, true}),
                  "audit");
    keys_ = std::make_unique<store::KeyStore>(master_, Environment::kTest, crypto::DefaultRandom(),
                                              clock_);
    // The service's own defaults: Argon2id at its parameters, sessions, ceremonies.
    auth_ = std::make_unique<identity::Auth>(*store_, *audit_, *keys_, clock_,
                                             crypto::DefaultRandom(), common_);
    Must(store_->Write([&](store::Transaction& tx) -> Result<void> {
      identity::OrgInput org{"Bench", 365, {"ISO-1", "2099-01-01"}, {"CEP-1", "2099-01-01"}};
      ASSIGN_OR_RETURN(auto made, identity::InsertOrg(tx, *keys_, "org-b", org, clock_.Now()));
      (void)made;
      return {};
    }),
         "organisation");
  }

  // An account enrolled with a password and TOTP, and with a security key registered.
  void Enrol(Person& p) {
    identity::NewAccount a{"org-b",
                           p.username,
                           "Bench " + p.username,
                           p.username + "@bench.example",
                           "standard",
                           "reader",
                           "bench",
                           "",
                           "2026-01-01",
                           "bench"};
    a.expiry_days = 365;
    identity::MadeAccount made;
    Must(store_->Write([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(made, identity::InsertAccount(tx, crypto::DefaultRandom(), clock_.Now(), a,
                                                     std::chrono::hours(72)));
      return {};
    }),
         "account");
    auto start = Must(auth_->enrolment.Begin(made.enrolment_token, kPassword, At()), "enrol");
    const auto& uri = start.totp_uri;
    const auto at = uri.find("secret=") + 7;
    p.secret = *Base32Decode(uri.substr(at, uri.find('&', at) - at));
    Must(auth_->enrolment.Confirm(made.enrolment_token, Code(p), At()), "confirm");
    clock_.Advance(crypto::kTotpStep);
    auto session = Must(SignInWithCode(p), "first sign-in");
    auto who = Must(auth_->sessions.Authenticate(session.token), "session");
    auto options = Must(auth_->security_keys.RegistrationOptions(who, At()), "key options");
    const auto m = p.key.Create(kRpId, kOrigin, options.challenge);
    Must(auth_->security_keys.Register(who, "Bench key",
                                       {m.id, m.client_data_json, m.attestation_object}, At()),
         "key");
  }

  Result<identity::NewSession> SignInWithCode(Person& p, double* client = nullptr) {
    ASSIGN_OR_RETURN(auto login, auth_->sign_in.Login(p.username, kPassword, "", At()));
    const auto t = Steady::now();
    const auto code = Code(p);
    if (client) *client += std::chrono::duration<double>(Steady::now() - t).count();
    return auth_->sign_in.CompleteMfa(login.challenge, code, At());
  }

  Result<identity::NewSession> SignInWithKey(Person& p, double* client) {
    ASSIGN_OR_RETURN(auto login, auth_->sign_in.Login(p.username, kPassword, "", At()));
    if (!login.webauthn) return Fail(ErrorCode::kInternal, "no security key offered");
    const auto t = Steady::now();
    const auto a = p.key.Get(kRpId, kOrigin, login.webauthn->challenge);
    *client += std::chrono::duration<double>(Steady::now() - t).count();
    return auth_->sign_in.CompleteWebAuthn(
        login.challenge, {a.id, a.client_data_json, a.authenticator_data, a.signature}, At());
  }

  // Every person signs in over and over on a thread of their own for `seconds`.
  Round Run(std::vector<Person>& people, bool with_key, double seconds) {
    std::atomic<bool> stop{false};
    std::mutex m;
    Round round;
    const auto cpu0 = CpuSeconds();
    const auto t0 = Steady::now();
    std::vector<std::thread> threads;
    for (auto& p : people) {
      threads.emplace_back([&, who = &p] {
        int64_t ok = 0, failed = 0;
        double client = 0;
        while (!stop.load()) {
          clock_.Advance(crypto::kTotpStep);
          auto s = with_key ? SignInWithKey(*who, &client) : SignInWithCode(*who, &client);
          if (s) {
            ++ok;
          } else {
            ++failed;
            if (failed == 1) fmt::print(stderr, "signin_bench: refused: {}\n", s.error().message);
          }
        }
        std::lock_guard lock(m);
        round.ok += ok;
        round.failed += failed;
        round.client += client;
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : threads) t.join();
    round.seconds = std::chrono::duration<double>(Steady::now() - t0).count();
    round.cpu = CpuSeconds() - cpu0;
    return round;
  }

 private:
  static identity::RequestContext At() {
    return {"192.0.2.7", "req-bench", Surface::kAll, kOrigin};
  }
  std::string Code(const Person& p) const {
    return crypto::HotpCode(p.secret, crypto::TotpCounter(clock_.Now()));
  }

  ManualClock clock_;
  crypto::SigningKey signing_;
  crypto::MasterKeyHandle master_;
  identity::CommonPasswords common_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<store::KeyStore> keys_;
  std::unique_ptr<identity::Auth> auth_;
};

void Add(Round& sum, const Round& r) {
  sum.ok += r.ok;
  sum.failed += r.failed;
  sum.seconds += r.seconds;
  sum.cpu += r.cpu;
  sum.client += r.client;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: signin_bench DIR [seconds-per-round] [threads]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);  // stdout carries the figures
  const double seconds = argc > 2 ? std::atof(argv[2]) : 8;
  const unsigned half = std::max(1u, std::thread::hardware_concurrency() / 2);
  const int threads = argc > 3 ? std::atoi(argv[3]) : static_cast<int>(half);
  Bench bench(argv[1]);
  std::vector<Person> people(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    people[static_cast<size_t>(i)].username = fmt::format("bench.person{}", i);
    bench.Enrol(people[static_cast<size_t>(i)]);
  }
  Round totp, key;
  for (int i = 0; i < 4; ++i) {
    Add(totp, bench.Run(people, false, seconds / 4));
    Add(key, bench.Run(people, true, seconds / 4));
  }
  auto rate = [](const Round& r) { return static_cast<double>(r.ok) / r.seconds; };
  auto cpu_us = [](const Round& r) {
    return r.ok ? (r.cpu - r.client) / static_cast<double>(r.ok) * 1e6 : 0.0;
  };
  fmt::print("signin: whole sign-ins (password + second factor) on {} thread(s), {:.0f} s each\n",
             threads, totp.seconds);
  fmt::print("  TOTP:     {:.1f} sign-ins/s ({} refused), {:.0f} us CPU each\n", rate(totp),
             totp.failed, cpu_us(totp));
  fmt::print("  WebAuthn: {:.1f} sign-ins/s ({} refused), {:.0f} us CPU each\n", rate(key),
             key.failed, cpu_us(key));
  const double ratio = rate(totp) > 0 ? rate(key) / rate(totp) : 0;
  fmt::print("  ratio = {:.2f}  (target >= 0.95: {}); CPU per sign-in WebAuthn / TOTP = {:.2f}\n",
             ratio, ratio >= 0.95 ? "met" : "NOT met",
             cpu_us(totp) > 0 ? cpu_us(key) / cpu_us(totp) : 0.0);
  return totp.failed + key.failed == 0 ? 0 : 1;
}
