#include "crypto/password.h"

#include <sodium.h>

#include <atomic>
#include <cstdlib>

namespace strongroom::crypto {
namespace {

void InitSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();  // no safe way to continue without a working crypto library
}

Gate& Hashes() {
  static Gate gate;
  return gate;
}

}  // namespace

void LimitConcurrentHashes(int n) { Hashes().SetLimit(n); }

const Gate& HashGate() { return Hashes(); }

Result<std::string> HashPassword(std::string_view password, const Argon2Params& params) {
  InitSodium();
  char out[crypto_pwhash_STRBYTES];
  const Gate::Pass pass(Hashes());
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params.passes,
                            params.memory_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Fail(ErrorCode::kResourceExhausted, "password hashing ran out of memory");
  }
  return std::string(out);
}

namespace {
std::atomic<uint64_t> verifications{0};
}  // namespace

bool VerifyPassword(std::string_view encoded, std::string_view password) {
  InitSodium();
  if (encoded.size() >= crypto_pwhash_STRBYTES) return false;
  char buf[crypto_pwhash_STRBYTES] = {};
  encoded.copy(buf, encoded.size());
  verifications.fetch_add(1, std::memory_order_relaxed);
  const Gate::Pass pass(Hashes());
  return crypto_pwhash_str_verify(buf, password.data(), password.size()) == 0;
}

uint64_t ArgonVerifications() { return verifications.load(std::memory_order_relaxed); }

bool NeedsRehash(std::string_view encoded, const Argon2Params& params) {
  InitSodium();
  if (encoded.size() >= crypto_pwhash_STRBYTES) return true;
  char buf[crypto_pwhash_STRBYTES] = {};
  encoded.copy(buf, encoded.size());
  return crypto_pwhash_str_needs_rehash(buf, params.passes, params.memory_bytes) != 0;
}

}  // namespace strongroom::crypto
