#pragma once
// An AES-256 key inside a PKCS#11 token (a hardware security module; SoftHSM2 in the tests) that
// encrypts and decrypts short secrets (organisation keys) with AES-256-GCM inside the token: the
// key is made there, marked sensitive and never extractable, and its bytes never reach this
// process. What the master key will be with `[keys] provider = "pkcs11"`.
//
// The module (the vendor's PKCS#11 library) is loaded with dlopen; the token is found by its label
// (slot numbers move), the user logged in with the PIN, and the key found by its id (CKA_ID).
// Opening refuses, naming why: a module that will not load, no token with the label (and which
// tokens there are), an empty or wrong PIN, no key with the id, or a key the token would let out
// or use without the PIN (not private, not sensitive, extractable, ever extractable, or not made
// in the token).
//
// A secret is 1 to 1024 bytes; sealed, it is `iv (12) || ciphertext || tag (16)`, bound to its
// associated data (which must not be empty). Seal and Unseal use only a key CheckKey passes. What
// does not open is kDataLoss; a token in trouble (gone, logged out) is kUnavailable.
//
// A module is opened once per process (PKCS#11 initialises it once): a second Pkcs11Token on the
// same module while the first is open is refused.
//
// Thread-safety: every method may be called from any thread (one session, one call at a time).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/error.h"
#include "common/secret.h"

namespace strongroom::crypto {

struct Pkcs11Options {
  std::filesystem::path module;  // e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string token_label;
  Secret pin;
};

class Pkcs11Token {
 public:
  // Loads the module, finds the token and logs in.
  static Result<std::unique_ptr<Pkcs11Token>> Open(const Pkcs11Options& options);
  ~Pkcs11Token();
  Pkcs11Token(const Pkcs11Token&) = delete;
  Pkcs11Token& operator=(const Pkcs11Token&) = delete;

  // Makes a new AES-256 key in the token under `id` (kAlreadyExists if one has it), labelled
  // kPendingLabel until Promote: a key whose use has not been committed.
  Result<void> GenerateKey(std::span<const uint8_t> id);
  // Labels the key `id` kMasterLabel: it is in use, and DiscardPending leaves it alone.
  Result<void> Promote(std::span<const uint8_t> id);
  // Whether a key with `id` is there, and fit to be the master key (the refusals above).
  Result<void> CheckKey(std::span<const uint8_t> id);
  // Removes the key `id` if it is still pending (a rotation that did not commit); kNotFound if
  // there is none, kFailedPrecondition (removing nothing) if it was promoted or made elsewhere.
  Result<void> DiscardPending(std::span<const uint8_t> id);

  static constexpr std::string_view kPendingLabel = "strongroom-master-pending";
  static constexpr std::string_view kMasterLabel = "strongroom-master";

  Result<Bytes> Seal(std::span<const uint8_t> id, const Secret& secret,
                     std::span<const uint8_t> aad);
  Result<Secret> Unseal(std::span<const uint8_t> id, std::span<const uint8_t> sealed,
                        std::span<const uint8_t> aad);

 private:
  struct Module;
  explicit Pkcs11Token(std::unique_ptr<Module> module);
  // The key object `id` (an AES key on the token), or kNotFound. Requires mu_.
  Result<unsigned long> FindKey(std::span<const uint8_t> id);
  // FindKey, refusing a key that is not fit (CheckKey). Requires mu_.
  Result<unsigned long> UsableKey(std::span<const uint8_t> id);

  std::mutex mu_;
  std::unique_ptr<Module> module_;  // guarded by mu_
};

}  // namespace strongroom::crypto
