#pragma once
// A backup archive: one file, encrypted under the backup key, that says what it holds before
// anything is decrypted and carries a digest of itself.
//
//   "strongroom-backup 1\n"
//   the manifest: one line of JSON (Manifest below), "\n"
//   chunks: [u32 length, little-endian][AES-256-GCM sealed chunk], ...
//   "SRDIGEST" and the SHA-256 of every byte before it
//
// A fresh random archive key seals the chunks; the manifest carries it sealed under the backup
// key (crypto/master_key.h), with that key's id. Each chunk's associated data is the SHA-256 of
// the two header lines, the chunk's index and whether it is the last, so an edited manifest,
// chunks reordered or dropped, or an archive cut short and given a new digest all fail to open.
// The digest is checked first, so that a damaged or truncated file is named as such, key or not.
//
// Inside the chunks, files one after another: 'F' [u16 name length][name], its bytes as 'D' [u32
// length][bytes] pieces, 'E'; then 'Z' ends the archive. Names are checked by whoever reads them.
//
// Thread-safety: none; one writer or reader per archive.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/environment.h"
#include "common/error.h"
#include "crypto/hash.h"
#include "crypto/master_key.h"
#include "crypto/random.h"

namespace strongroom::backup {

// What an archive says of itself, readable without its key.
struct Manifest {
  std::string id;  // 16 random bytes, hex
  Environment environment = Environment::kProduction;
  std::string version;     // the Strongroom version that wrote it
  int schema_version = 0;  // of the store inside
  std::string node;        // the audit node that took it
  TimePoint created_at;
  TimePoint expires_at;  // restore refuses it after this ([backup].retention_days)
  // The journal sequence through which the store inside had committed its changes.
  int64_t store_sequence = 0;
  // How far the audit collector had acknowledged the journal when it was taken.
  int64_t shipped = 0;
  // The signed checkpoint the journal inside ends with.
  int64_t checkpoint_sequence = 0;
  std::string checkpoint_hash;   // hex
  std::string audit_public_key;  // hex: the key that signed it
  // Set by the writer: the backup key's id and the archive key sealed under it (hex).
  std::string backup_key_id;
  std::string sealed_archive_key;
};

inline constexpr std::string_view kArchiveMagic = "strongroom-backup 1";

class ArchiveWriter {
 public:
  // Creates `path` (never overwriting; mode 0600) and writes the header.
  static Result<std::unique_ptr<ArchiveWriter>> Create(const std::filesystem::path& path,
                                                       Manifest manifest,
                                                       const crypto::BackupKey& key,
                                                       crypto::Random& random);
  ~ArchiveWriter();  // an archive not finished is removed

  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  Result<void> BeginFile(std::string_view name);
  Result<void> Write(std::string_view bytes);
  Result<void> EndFile();
  // Ends the archive (the last chunk and the digest) and syncs it; returns the SHA-256 of the
  // whole file, as sha256sum prints it.
  Result<crypto::Sha256Digest> Finish();
  int64_t bytes_written() const { return written_; }

 private:
  ArchiveWriter(std::filesystem::path path, int fd, Secret archive_key,
                crypto::Sha256Digest header_hash, crypto::Random& random);
  Result<void> Put(std::string_view bytes);
  Result<void> SealChunk(bool last);
  Result<void> Out(std::string_view bytes);

  const std::filesystem::path path_;
  int fd_;
  const Secret archive_key_;
  const crypto::Sha256Digest header_hash_;
  crypto::Random& random_;
  crypto::Sha256Stream digest_;       // what the trailer carries: every byte before it
  crypto::Sha256Stream file_digest_;  // every byte, the trailer's too
  std::string pending_;               // plaintext of the chunk being filled
  uint64_t chunks_ = 0;
  int64_t written_ = 0;
  bool in_file_ = false;
  bool finished_ = false;
};

// Where ReadArchive puts the files it reads, in order.
struct FileSink {
  std::function<Result<void>(const std::string& name)> begin;
  std::function<Result<void>(std::string_view bytes)> data;
  std::function<Result<void>()> end;
};

// Checks the digest and reads the manifest: no key needed. kDataLoss for a damaged, truncated or
// foreign file, with a message saying which.
Result<Manifest> ReadManifest(const std::filesystem::path& path);

// ReadManifest, then opens every chunk under `key` and hands the files to `sink`. A wrong key is
// kFailedPrecondition; anything that fails to open or is out of place, kDataLoss. `progress`
// (may be empty) hears (bytes read, bytes in all).
Result<Manifest> ReadArchive(const std::filesystem::path& path, const crypto::BackupKey& key,
                             const FileSink& sink,
                             const std::function<void(int64_t, int64_t)>& progress);

// The readers inside ReadArchive, callable alone (the fuzz target's): the manifest's line of
// JSON, and the stream of files inside the chunks, fed in pieces of any size.
std::string FormatManifest(const Manifest& manifest);
Result<Manifest> ParseManifest(std::string_view line);

class FileStreamReader {
 public:
  explicit FileStreamReader(const FileSink& sink) : sink_(sink) {}
  // Hands every whole item to the sink; keeps what is cut off for the next piece. kDataLoss for
  // anything out of place, with the sink's own errors passed on.
  Result<void> Feed(std::string_view bytes);
  // The end mark was read.
  bool done() const { return done_; }

 private:
  const FileSink& sink_;
  std::string buf_;
  bool in_file_ = false;
  bool done_ = false;
};

}  // namespace strongroom::backup
