#pragma once
// Checks the audit journal end to end, as an auditor would after an incident:
// - every record's frame is whole and its checksum holds;
// - sequence numbers are gapless from the start (or from the signed checkpoint that opens the
//   oldest segment retention left);
// - each event's canonical text names its own sequence number;
// - each stored hash equals SHA-256(previous hash || canonical text);
// - each checkpoint's Ed25519 signature verifies under the audit public key, and its head hash
//   equals the chain recomputed from the events (so rewriting events *and* their hashes is still
//   caught at the next checkpoint), as does each segment's seal;
// - every index entry (time, actor, action, target, place) says what its event says, and no event
//   the index covers is missing from it: an edited or deleted entry would hide an event from
//   search;
// - no segment is missing but those retention removed (it records that in the journal), none
//   ends without its seal, and the journal reaches what the store and the index say it held.
// Reports the first bad sequence number. Reads each segment once, in order: memory stays flat.
// The same checks, but the index's, hold for the copy of each node's journal in a database the
// nodes share (VerifyCopy).

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "audit/journal_index.h"
#include "common/environment.h"
#include "common/error.h"
#include "crypto/hash.h"
#include "store/store.h"

namespace strongroom::audit {

struct VerifyReport {
  bool ok = true;
  int64_t first_bad_sequence = 0;  // 0 when ok
  std::string problem;             // what was wrong at that sequence
  int64_t events = 0;
  int64_t checkpoints = 0;
  int64_t index_entries = 0;
  int64_t bytes = 0;           // journal bytes read
  int64_t signed_through = 0;  // the newest checkpoint that verified
  int64_t head = 0;            // the newest event, and its chain hash
  crypto::Sha256Digest head_hash{};
};

// `committed` is the journal sequence the store says its last committed change reached: a
// journal that ends before it was cut.
Result<VerifyReport> Verify(const std::filesystem::path& journal_dir, JournalIndex& index,
                            std::span<const uint8_t> public_key, Environment env,
                            int64_t committed = 0);

// Checks node `node`'s copy of its journal in a database the nodes share (audit_copy.h) the same
// way, record by record (no index; no seals, which are not copied). Events after the newest
// checkpoint (`signed_through`) hold to the chain but no signature yet vouches for them, unless
// `journal_dir`, the node's own journal (where it verifies its own copy), holds the copy's newest
// event with the same chain hash.
Result<VerifyReport> VerifyCopy(store::Store& store, std::string_view node,
                                std::span<const uint8_t> public_key, Environment env,
                                const std::filesystem::path& journal_dir = {});

}  // namespace strongroom::audit
