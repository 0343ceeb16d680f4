#include "backup/archive.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>

#include "common/file_util.h"
#include "common/secret.h"
#include "crypto/aead.h"

namespace strongroom::backup {
namespace {

namespace fs = std::filesystem;

constexpr size_t kChunkBytes = 1 << 20;    // plaintext per chunk
constexpr size_t kPieceBytes = 256 << 10;  // bytes per 'D' piece
constexpr size_t kMaxHeaderBytes = 16 << 10;
constexpr size_t kMaxNameBytes = 255;
constexpr std::string_view kDigestMark = "SRDIGEST";
constexpr size_t kTrailerBytes = 8 + 32;
constexpr std::string_view kKeyWrapLabel = "strongroom-backup-archive-key";

std::unexpected<Error> Damaged(std::string_view what) {
  return Fail(ErrorCode::kDataLoss,
              fmt::format("the backup archive is damaged or not a Strongroom backup: {}", what));
}

std::unexpected<Error> IoError(std::string_view what, const fs::path& path) {
  return Fail(ErrorCode::kUnavailable,
              fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLe(std::string_view in, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

Bytes ChunkAad(const crypto::Sha256Digest& header_hash, uint64_t index, bool last) {
  std::string aad(header_hash.begin(), header_hash.end());
  PutLe(aad, index, 8);
  aad.push_back(last ? 1 : 0);
  return Bytes(aad.begin(), aad.end());
}

Bytes KeyWrapAad(std::string_view archive_id, Environment env) {
  const auto text = fmt::format("{}\n{}\n{}", kKeyWrapLabel, archive_id, EnvironmentName(env));
  return Bytes(text.begin(), text.end());
}

// Reads exactly `n` bytes at `offset`.
Result<std::string> ReadExactly(int fd, int64_t offset, size_t n, const fs::path& path) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, out.data() + got, n - got, offset + static_cast<int64_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return IoError("cannot read", path);
    if (r == 0) return Damaged("it ends early");
    got += static_cast<size_t>(r);
  }
  return out;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// An opened archive: its size, header and where its chunks start.
struct Opened {
  int64_t size = 0;
  std::string header;  // the two header lines
  Manifest manifest;
};

Result<Opened> OpenChecked(int fd, const fs::path& path,
                           const std::function<void(int64_t, int64_t)>& progress) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoError("cannot read", path);
  if (!S_ISREG(st.st_mode)) return Damaged("it is not a regular file");
  Opened o;
  o.size = st.st_size;
  if (o.size < static_cast<int64_t>(kArchiveMagic.size() + 2 + kTrailerBytes)) {
    return Damaged("it is too short to hold a backup");
  }
  // The digest covers everything before it: check it before trusting any byte.
  const int64_t body = o.size - static_cast<int64_t>(kTrailerBytes);
  crypto::Sha256Stream digest;
  for (int64_t at = 0; at < body;) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(body - at, 1 << 20));
    ASSIGN_OR_RETURN(auto piece, ReadExactly(fd, at, n, path));
    digest.Update(AsBytes(piece));
    at += static_cast<int64_t>(n);
    if (progress) progress(at, o.size * 2);
  }
  ASSIGN_OR_RETURN(auto trailer, ReadExactly(fd, body, kTrailerBytes, path));
  const auto d = digest.Final();
  if (!trailer.starts_with(kDigestMark) ||
      !crypto::ConstantTimeEqual(AsBytes(trailer).subspan(8), d)) {
    return Damaged("its digest does not match its contents (cut short, or changed)");
  }
  ASSIGN_OR_RETURN(
      auto head,
      ReadExactly(fd, 0, static_cast<size_t>(std::min<int64_t>(body, kMaxHeaderBytes)), path));
  const auto first = head.find('\n');
  if (first == std::string::npos || std::string_view(head).substr(0, first) != kArchiveMagic) {
    return Damaged("it does not begin as one does");
  }
  const auto second = head.find('\n', first + 1);
  if (second == std::string::npos) return Damaged("its manifest is too long");
  ASSIGN_OR_RETURN(o.manifest,
                   ParseManifest(std::string_view(head).substr(first + 1, second - first - 1)));
  o.header = head.substr(0, second + 1);
  return o;
}

}  // namespace

std::string FormatManifest(const Manifest& m) {
  boost::json::object o;
  o["id"] = m.id;
  o["environment"] = EnvironmentName(m.environment);
  o["version"] = m.version;
  o["schema_version"] = m.schema_version;
  o["node"] = m.node;
  o["created_at"] = FormatRfc3339(m.created_at);
  o["expires_at"] = FormatRfc3339(m.expires_at);
  o["store_sequence"] = m.store_sequence;
  o["shipped"] = m.shipped;
  o["checkpoint"] = {{"sequence", m.checkpoint_sequence}, {"hash", m.checkpoint_hash}};
  o["audit_public_key"] = m.audit_public_key;
  o["backup_key_id"] = m.backup_key_id;
  o["archive_key"] = m.sealed_archive_key;
  return boost::json::serialize(o);
}

Result<Manifest> ParseManifest(std::string_view line) {
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) return Damaged("its manifest is not JSON");
  const auto& o = v.as_object();
  Manifest m;
  auto text = [&](const boost::json::object& from, std::string_view key, std::string& out) -> bool {
    const auto* f = from.if_contains(key);
    if (f == nullptr || !f->is_string() || f->as_string().size() > 256) return false;
    out = std::string(f->as_string());
    // Printed to the operator by backup and restore: no control characters (terminal escapes).
    return std::none_of(out.begin(), out.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  };
  auto number = [&](const boost::json::object& from, std::string_view key, int64_t& out) -> bool {
    const auto* f = from.if_contains(key);
    if (f == nullptr || !f->is_int64() || f->as_int64() < 0) return false;
    out = f->as_int64();
    return true;
  };
  std::string env, created, expires;
  int64_t schema = 0;
  const auto* cp = o.if_contains("checkpoint");
  if (!text(o, "id", m.id) || !text(o, "environment", env) || !text(o, "version", m.version) ||
      !number(o, "schema_version", schema) || !text(o, "node", m.node) ||
      !text(o, "created_at", created) || !text(o, "expires_at", expires) ||
      !number(o, "store_sequence", m.store_sequence) || !number(o, "shipped", m.shipped) ||
      cp == nullptr || !cp->is_object() ||
      !number(cp->as_object(), "sequence", m.checkpoint_sequence) ||
      !text(cp->as_object(), "hash", m.checkpoint_hash) ||
      !text(o, "audit_public_key", m.audit_public_key) ||
      !text(o, "backup_key_id", m.backup_key_id) || !text(o, "archive_key", m.sealed_archive_key) ||
      schema > 1'000'000) {
    return Damaged(
        "its manifest lacks a field, or has one of the wrong type or with control characters");
  }
  m.schema_version = static_cast<int>(schema);
  const auto e = ParseEnvironment(env);
  const auto c = ParseRfc3339(created);
  const auto x = ParseRfc3339(expires);
  if (!e || !c || !x) return Damaged("its manifest names an unknown environment or a bad time");
  m.environment = *e;
  m.created_at = *c;
  m.expires_at = *x;
  return m;
}

// The grammar in archive.h.
Result<void> FileStreamReader::Feed(std::string_view bytes) {
  buf_.append(bytes);
  size_t pos = 0;
  for (;;) {
    if (done_) {
      if (pos < buf_.size()) return Damaged("bytes follow its end");
      break;
    }
    if (pos >= buf_.size()) break;
    const char tag = buf_[pos];
    const std::string_view rest = std::string_view(buf_).substr(pos + 1);
    if (tag == 'F' && !in_file_) {
      if (rest.size() < 2) break;
      const size_t n = GetLe(rest, 2);
      if (n == 0 || n > kMaxNameBytes) return Damaged("a file name of a bad length");
      if (rest.size() < 2 + n) break;
      RETURN_IF_ERROR(sink_.begin(std::string(rest.substr(2, n))));
      in_file_ = true;
      pos += 1 + 2 + n;
    } else if (tag == 'D' && in_file_) {
      if (rest.size() < 4) break;
      const size_t n = GetLe(rest, 4);
      if (n == 0 || n > kPieceBytes) return Damaged("a piece of a bad length");
      if (rest.size() < 4 + n) break;
      RETURN_IF_ERROR(sink_.data(rest.substr(4, n)));
      pos += 1 + 4 + n;
    } else if (tag == 'E' && in_file_) {
      RETURN_IF_ERROR(sink_.end());
      in_file_ = false;
      pos += 1;
    } else if (tag == 'Z' && !in_file_) {
      done_ = true;
      pos += 1;
    } else {
      return Damaged("its contents are out of order");
    }
  }
  buf_.erase(0, pos);
  return {};
}

Result<std::unique_ptr<ArchiveWriter>> ArchiveWriter::Create(const fs::path& path,
                                                             Manifest manifest,
                                                             const crypto::BackupKey& key,
                                                             crypto::Random& random) {
  auto archive_key = random.RandomSecret(crypto::kAeadKeySize);
  ASSIGN_OR_RETURN(auto sealed,
                   crypto::Seal(key.key, archive_key.view(),
                                KeyWrapAad(manifest.id, manifest.environment), random));
  manifest.backup_key_id = key.id;
  manifest.sealed_archive_key = HexEncode(sealed);
  const std::string header = fmt::format("{}\n{}\n", kArchiveMagic, FormatManifest(manifest));
  if (header.size() > kMaxHeaderBytes) {
    return Fail(ErrorCode::kInvalidArgument, "backup: the manifest is too long");
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return IoError("cannot create", path);
  std::unique_ptr<ArchiveWriter> w(
      new ArchiveWriter(path, fd, std::move(archive_key), crypto::Sha256(AsBytes(header)), random));
  RETURN_IF_ERROR(w->Out(header));
  return w;
}

ArchiveWriter::ArchiveWriter(fs::path path, int fd, Secret archive_key,
                             crypto::Sha256Digest header_hash, crypto::Random& random)
    : path_(std::move(path)),
      fd_(fd),
      archive_key_(std::move(archive_key)),
      header_hash_(header_hash),
      random_(random) {}

ArchiveWriter::~ArchiveWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_) ::unlink(path_.c_str());
}

Result<void> ArchiveWriter::Out(std::string_view bytes) {
  digest_.Update(AsBytes(bytes));
  file_digest_.Update(AsBytes(bytes));
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot write", path_);
    bytes.remove_prefix(static_cast<size_t>(n));
    written_ += n;
  }
  return {};
}

Result<void> ArchiveWriter::SealChunk(bool last) {
  ASSIGN_OR_RETURN(auto sealed, crypto::Seal(archive_key_, AsBytes(pending_),
                                             ChunkAad(header_hash_, chunks_, last), random_));
  std::string frame;
  PutLe(frame, sealed.size(), 4);
  frame.append(sealed.begin(), sealed.end());
  RETURN_IF_ERROR(Out(frame));
  // It may have held key files (the audit key, TLS keys).
  SecureWipe({reinterpret_cast<uint8_t*>(pending_.data()), pending_.size()});
  pending_.clear();
  ++chunks_;
  return {};
}

Result<void> ArchiveWriter::Put(std::string_view bytes) {
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), kChunkBytes - pending_.size());
    pending_.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
    if (pending_.size() == kChunkBytes) RETURN_IF_ERROR(SealChunk(false));
  }
  return {};
}

Result<void> ArchiveWriter::BeginFile(std::string_view name) {
  if (in_file_ || name.empty() || name.size() > kMaxNameBytes) {
    return Fail(ErrorCode::kInternal, "backup: a file name of a bad length, or files nested");
  }
  std::string tag = "F";
  PutLe(tag, name.size(), 2);
  tag.append(name);
  in_file_ = true;
  return Put(tag);
}

Result<void> ArchiveWriter::Write(std::string_view bytes) {
  if (!in_file_) return Fail(ErrorCode::kInternal, "backup: bytes outside a file");
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), kPieceBytes);
    std::string tag = "D";
    PutLe(tag, n, 4);
    RETURN_IF_ERROR(Put(tag));
    RETURN_IF_ERROR(Put(bytes.substr(0, n)));
    bytes.remove_prefix(n);
  }
  return {};
}

Result<void> ArchiveWriter::EndFile() {
  if (!in_file_) return Fail(ErrorCode::kInternal, "backup: no file to end");
  in_file_ = false;
  return Put("E");
}

Result<crypto::Sha256Digest> ArchiveWriter::Finish() {
  if (in_file_) return Fail(ErrorCode::kInternal, "backup: a file was not ended");
  pending_.push_back('Z');
  RETURN_IF_ERROR(SealChunk(true));
  std::string trailer(kDigestMark);
  const auto d = digest_.Final();
  trailer.append(d.begin(), d.end());
  file_digest_.Update(AsBytes(trailer));
  // Out() would add the trailer to the digest it ends: write it as it is.
  for (std::string_view rest = trailer; !rest.empty();) {
    const ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot write", path_);
    rest.remove_prefix(static_cast<size_t>(n));
    written_ += n;
  }
  if (::fsync(fd_) != 0) return IoError("cannot sync", path_);
  ::close(fd_);
  fd_ = -1;
  RETURN_IF_ERROR(SyncDirectory(path_.parent_path().empty() ? fs::path(".") : path_.parent_path()));
  finished_ = true;
  return file_digest_.Final();
}

namespace {

// Opens the archive for reading; kNotFound when there is none.
Result<std::unique_ptr<Fd>> OpenArchive(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Fail(ErrorCode::kNotFound, fmt::format("no backup archive at {}", path.string()));
    }
    return IoError("cannot open", path);
  }
  return std::make_unique<Fd>(fd);
}

}  // namespace

Result<Manifest> ReadManifest(const fs::path& path) {
  ASSIGN_OR_RETURN(auto fd, OpenArchive(path));
  ASSIGN_OR_RETURN(auto opened, OpenChecked(fd->get(), path, {}));
  return opened.manifest;
}

Result<Manifest> ReadArchive(const fs::path& path, const crypto::BackupKey& key,
                             const FileSink& sink,
                             const std::function<void(int64_t, int64_t)>& progress) {
  ASSIGN_OR_RETURN(auto archive, OpenArchive(path));
  const int fd = archive->get();
  ASSIGN_OR_RETURN(auto opened, OpenChecked(fd, path, progress));
  const auto& m = opened.manifest;
  if (m.backup_key_id != key.id) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("this backup was encrypted under backup key {}; the key given is {}",
                            m.backup_key_id, key.id));
  }
  auto sealed_key = HexDecode(m.sealed_archive_key);
  if (!sealed_key) return Damaged("its archive key is not hex");
  auto archive_key_bytes = crypto::Open(key.key, *sealed_key, KeyWrapAad(m.id, m.environment));
  if (!archive_key_bytes) return Damaged("its archive key does not open under the backup key");
  const Secret archive_key(*archive_key_bytes);
  SecureWipe(*archive_key_bytes);
  const auto header_hash = crypto::Sha256(AsBytes(opened.header));
  FileStreamReader parser(sink);
  const int64_t end = opened.size - static_cast<int64_t>(kTrailerBytes);
  int64_t at = static_cast<int64_t>(opened.header.size());
  for (uint64_t index = 0; at < end; ++index) {
    if (end - at < 4) return Damaged("a chunk is cut short");
    ASSIGN_OR_RETURN(auto len_bytes, ReadExactly(fd, at, 4, path));
    const uint64_t len = GetLe(len_bytes, 4);
    if (len < crypto::kAeadOverhead || len > kChunkBytes + crypto::kAeadOverhead ||
        static_cast<int64_t>(len) > end - at - 4) {
      return Damaged("a chunk of a bad length");
    }
    ASSIGN_OR_RETURN(auto sealed, ReadExactly(fd, at + 4, len, path));
    at += 4 + static_cast<int64_t>(len);
    const bool last = at == end;
    auto plain = crypto::Open(archive_key, AsBytes(sealed), ChunkAad(header_hash, index, last));
    if (!plain) return Damaged(fmt::format("chunk {} does not open", index));
    auto fed =
        parser.Feed(std::string_view(reinterpret_cast<const char*>(plain->data()), plain->size()));
    SecureWipe(*plain);
    RETURN_IF_ERROR(fed);
    if (progress) progress(opened.size + at, opened.size * 2);
  }
  if (!parser.done()) return Damaged("it ends before its end");
  if (progress) progress(opened.size * 2, opened.size * 2);
  return m;
}

}  // namespace strongroom::backup
