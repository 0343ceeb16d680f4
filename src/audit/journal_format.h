#pragma once
// The audit journal's records as bytes: what a segment file holds, and the one place that reads
// and writes that layout.
//
// A record is framed as [u32 length][u32 CRC-32 of the body][body], little-endian; the body is
// [u8 kind][u8 flags][i64 sequence][32-byte hash][text]. The frame lets a reader tell a record cut
// short by a crash (its bytes run past the end of the file, or the last record's checksum fails)
// from one damaged in place (a checksum fails with complete records after it).
//
// Kinds:
// - event: `sequence` is the event's, `hash` its chain hash, `text` its canonical JSON; the flag
//   kChange marks an event made durable for a store change (see AuditLog), which the store has
//   committed only if its recorded journal position reaches it.
// - checkpoint: the head (`sequence`, `hash`) signed; `text` is "time\nkey id\nsignature (hex)".
//   Every segment after the first opens with one, so that any suffix of the journal verifies on
//   its own once older segments are removed.
// - seal: the last record of a segment that is full; a process that finds its segment sealed by
//   another looks for the next.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "crypto/hash.h"

namespace strongroom::audit {

enum class RecordKind : uint8_t { kEvent = 1, kCheckpoint = 2, kSeal = 3 };
inline constexpr uint8_t kChange = 1;

inline constexpr size_t kFrameHeaderBytes = 8;
inline constexpr size_t kBodyHeaderBytes = 1 + 1 + 8 + 32;
// Far above any event (each field is cut at 1 KiB); a larger length is damage, not data.
inline constexpr size_t kMaxBodyBytes = 4 << 20;

struct JournalRecord {
  RecordKind kind = RecordKind::kEvent;
  uint8_t flags = 0;
  int64_t sequence = 0;
  crypto::Sha256Digest hash{};
  std::string text;
};

// Appends the framed record to `out`.
void EncodeRecord(const JournalRecord& record, std::string& out);

enum class DecodeStatus {
  kOk,
  kIncomplete,  // the bytes end before the record does
  kCorrupt,     // a length out of range, a checksum that fails, an unknown kind
};
struct Decoded {
  DecodeStatus status = DecodeStatus::kIncomplete;
  JournalRecord record;
  size_t size = 0;  // bytes the record takes (frame included), when kOk or kCorrupt with a length
};
// Decodes the record at the front of `bytes`.
Decoded DecodeRecord(std::string_view bytes);

// A checkpoint's text and its parts.
struct CheckpointText {
  std::string time;
  std::string key_id;
  Bytes signature;
};
std::string FormatCheckpointText(const CheckpointText& c);
bool ParseCheckpointText(std::string_view text, CheckpointText& out);

}  // namespace strongroom::audit
