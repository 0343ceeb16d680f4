#pragma once
// Checks the audit log end to end, as an auditor would after an incident:
// - sequence numbers are gapless from the start (or from the checkpoint pruning stopped at);
// - each event's canonical text names its own sequence number;
// - each stored hash equals SHA-256(previous hash || canonical text);
// - each checkpoint's Ed25519 signature verifies under the audit public key, and its head hash
//   equals the chain recomputed from the events (so rewriting events *and* their hashes is still
//   caught at the next checkpoint);
// - no checkpoint lies beyond the last event (truncation);
// - each event's search columns (time, actor, action, target) say what its text says.
// Reports the first bad sequence number. Reads in pages, so memory stays flat.

#include <cstdint>
#include <span>
#include <string>

#include "common/environment.h"
#include "common/error.h"
#include "store/store.h"

namespace strongroom::audit {

struct VerifyReport {
  bool ok = true;
  int64_t first_bad_sequence = 0;  // 0 when ok
  std::string problem;             // what was wrong at that sequence
  int64_t events = 0;
  int64_t checkpoints = 0;
  int64_t bytes = 0;  // canonical bytes hashed
};

Result<VerifyReport> Verify(store::Store& store, std::span<const uint8_t> public_key,
                            Environment env);

}  // namespace strongroom::audit
