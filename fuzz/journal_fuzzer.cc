// The audit journal's framing (audit/journal_format.h) and its reader (audit/journal.h). Input:
// the bytes of one or two segment files. A record decoded from the front of any bytes re-encodes
// to exactly the bytes it came from (so its checksum held); a checkpoint's text that parses
// formats back to itself; and a JournalReader over the files never returns a record that is not,
// byte for byte, what the file holds at the position it names.

#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "audit/journal.h"
#include "audit/journal_format.h"
#include "fuzz_check.h"

namespace {

using namespace strongroom;

// The segment files, rewritten for every input: in memory (/dev/shm) where there is one. Removed
// when the fuzzer exits.
// The segment files, rewritten for every input: in memory (/dev/shm) where there is one, named by
// the process, removed when it exits; one left by a process that is gone (an abort, on a finding)
// is removed by the next.
const std::filesystem::path& Dir() {
  // Never destroyed, so that the exit handler may still use it.
  static const std::filesystem::path* dir = [] {
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    constexpr std::string_view kPrefix = "strongroom-fuzz-journal-";
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(base, ec)) {
      const auto name = e.path().filename().string();
      if (name.starts_with(kPrefix) &&
          !std::filesystem::exists("/proc/" + name.substr(kPrefix.size()))) {
        std::filesystem::remove_all(e.path(), ec);
      }
    }
    auto* made =
        new std::filesystem::path(base / (std::string(kPrefix) + std::to_string(getpid())));
    std::filesystem::remove_all(*made, ec);
    FUZZ_CHECK(std::filesystem::create_directory(*made, ec), "no scratch directory");
    return made;
  }();
  static const bool cleaned = [] {
    return std::atexit([] {
             std::error_code ec;
             std::filesystem::remove_all(*dir, ec);
           }) == 0;
  }();
  (void)cleaned;
  return *dir;
}

void Write(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void CheckDecoding(std::string_view bytes) {
  for (int n = 0; n < 64 && !bytes.empty(); ++n) {
    const auto d = audit::DecodeRecord(bytes);
    if (d.status != audit::DecodeStatus::kOk) return;
    FUZZ_CHECK(
        d.size >= audit::kFrameHeaderBytes + audit::kBodyHeaderBytes && d.size <= bytes.size(),
        "a record of impossible size");
    std::string again;
    audit::EncodeRecord(d.record, again);
    FUZZ_CHECK(again == bytes.substr(0, d.size), "a record that does not re-encode to its bytes");
    if (d.record.kind == audit::RecordKind::kCheckpoint) {
      audit::CheckpointText c;
      if (audit::ParseCheckpointText(d.record.text, c)) {
        FUZZ_CHECK(audit::FormatCheckpointText(c) == d.record.text,
                   "a checkpoint's text that does not format back to itself");
      }
    }
    bytes.remove_prefix(d.size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckDecoding(fuzz::Text(data, size));

  FuzzedDataProvider in(data, size);
  const auto split = in.ConsumeIntegralInRange<size_t>(0, in.remaining_bytes());
  const bool two = in.ConsumeBool();
  const std::string first = in.ConsumeBytesAsString(split);
  const std::string second = in.ConsumeRemainingBytesAsString();
  const auto dir = Dir();
  std::filesystem::remove(audit::SegmentPath(dir, 1));
  std::filesystem::remove(audit::SegmentPath(dir, 2));
  Write(audit::SegmentPath(dir, 1), two ? first : first + second);
  if (two) Write(audit::SegmentPath(dir, 2), second);
  const std::string files[] = {two ? first : first + second, second};

  auto reader = audit::JournalReader::FromStart(dir);
  if (!reader) return 0;
  for (int n = 0; n < 256; ++n) {
    auto item = reader->Next();
    if (!item) {
      if (item.error().code != ErrorCode::kDataLoss) break;
      reader->Skip();
      continue;
    }
    if (!*item) break;
    const auto& at = (*item)->at;
    FUZZ_CHECK(at.segment == 1 || (two && at.segment == 2), "a record from no segment");
    const std::string& file = files[at.segment - 1];
    std::string encoded;
    audit::EncodeRecord((*item)->record, encoded);
    FUZZ_CHECK(at.offset >= 0 && static_cast<size_t>(at.offset) + encoded.size() <= file.size() &&
                   file.compare(static_cast<size_t>(at.offset), encoded.size(), encoded) == 0,
               "the reader returned a record the file does not hold there");
    // And its checksum holds, computed here apart from the journal's own code.
    const auto* frame = reinterpret_cast<const unsigned char*>(file.data()) + at.offset;
    const uint32_t length = frame[0] | frame[1] << 8 | frame[2] << 16 | uint32_t{frame[3]} << 24;
    const uint32_t crc = frame[4] | frame[5] << 8 | frame[6] << 16 | uint32_t{frame[7]} << 24;
    FUZZ_CHECK(length + audit::kFrameHeaderBytes == encoded.size() &&
                   crc32(0, frame + audit::kFrameHeaderBytes, length) == crc,
               "the reader returned a record whose checksum fails");
  }
  return 0;
}
