#pragma once
// Password hashing with Argon2id, OWASP parameters by default: 19 MiB of memory, 2 passes, 1 lane.
// The encoded hash ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash") carries its own parameters, so
// raising them later still verifies old hashes, and `NeedsRehash` says when to re-hash at the next
// successful login. libsodium makes the hash; libargon2 verifies it, in working memory the process
// keeps from one verification to the next (one area of the hash's memory for each verification
// running at once: see LimitConcurrentHashes), so that a sign-in does not fault in 19 MiB anew.
//
// Hashing is deliberately slow and memory-hungry: callers run it on a bounded worker pool, never
// on an I/O thread. Thread-safety: all functions may be called from any thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/gate.h"

namespace strongroom::crypto {

struct Argon2Params {
  uint64_t passes = 2;
  size_t memory_bytes = 19 * 1024 * 1024;
};

Result<std::string> HashPassword(std::string_view password, const Argon2Params& params = {});
// True only for the right password; a malformed hash is simply false.
bool VerifyPassword(std::string_view encoded, std::string_view password);
// How many Argon2id verifications this process has computed (VerifyPassword calls that reached
// the hash): lets tests show that two paths did the same work.
uint64_t ArgonVerifications();
// How many working areas verification keeps (in use or free): at most the verifications that ever
// ran at once.
size_t ArgonAreas();
bool NeedsRehash(std::string_view encoded, const Argon2Params& params = {});

// At most `n` Argon2id computations (HashPassword, VerifyPassword) run at once in this process,
// each holding a core and Argon2Params::memory_bytes; more wait their turn. 0, the default, is no
// bound. The service sets it to the cores it gives anonymous requests, so that more threads than
// that may run them: one's durable writes then wait on the disk while another hashes.
void LimitConcurrentHashes(int n);
// The bound's gate: how many compute now, wait now, and the most that ever computed at once.
const Gate& HashGate();

}  // namespace strongroom::crypto
