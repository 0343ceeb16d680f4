#include "backup/backup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include "audit/journal.h"
#include "common/file_util.h"
#include "common/secret.h"
#include "common/version.h"
#include "identity/expired.h"
#include "store/key_store.h"
#include "store/meta.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_store.h"

namespace strongroom::backup {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStoreEntry = "store";
constexpr std::string_view kConfigPrefix = "config/";
constexpr std::string_view kFilePrefix = "files/";
constexpr std::string_view kJournalPrefix = "journal/";

std::unexpected<Error> IoError(std::string_view what, const fs::path& path) {
  return Fail(ErrorCode::kUnavailable,
              fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

// `read`, with `missing` for its message when the file is not there.
template <typename T>
Result<T> SayIfMissing(Result<T> read, std::string missing) {
  if (!read && read.error().code == ErrorCode::kNotFound) {
    return Fail(ErrorCode::kNotFound, std::move(missing));
  }
  return read;
}

// `path` relative to `base` when it lies inside it; nullopt otherwise.
std::optional<fs::path> Inside(const fs::path& base, const fs::path& path) {
  const auto rel = path.lexically_normal().lexically_relative(base.lexically_normal());
  if (rel.empty() || rel.is_absolute() || *rel.begin() == ".." || rel == ".") return std::nullopt;
  return rel;
}

// A relative path made only of plain names: what an archive may name.
bool PlainRelative(std::string_view text) {
  if (text.empty() || text.front() == '/' || text.size() > 200) return false;
  fs::path p(text);
  for (const auto& part : p) {
    const auto s = part.string();
    if (s.empty() || s == "." || s == ".." || s.front() == '.') return false;
    for (char c : s) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
      if (!ok) return false;
    }
  }
  return true;
}

bool SegmentName(std::string_view name) {
  if (name.size() != 24 || !name.ends_with(".seg")) return false;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// MAJOR.MINOR.PATCH as three numbers; nullopt if it is not that.
std::optional<std::array<int, 3>> ParseVersion(std::string_view v) {
  std::array<int, 3> out{};
  for (int i = 0; i < 3; ++i) {
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out[i]);
    if (ec != std::errc()) return std::nullopt;
    v.remove_prefix(static_cast<size_t>(p - v.data()));
    if (i < 2) {
      if (!v.starts_with('.')) return std::nullopt;
      v.remove_prefix(1);
    }
  }
  if (!v.empty()) return std::nullopt;
  return out;
}

// The files an instance's configuration names besides its store and journal, by what they are.
std::vector<fs::path> NamedFiles(const Config& c) {
  std::vector<fs::path> out;
  for (const auto* p :
       {&c.tls.certificate, &c.tls.private_key, &c.tls.admin_certificate, &c.tls.admin_private_key,
        &c.tls.metrics_certificate, &c.tls.metrics_private_key, &c.audit.signing_key_file,
        &c.audit.collector_ca, &c.audit.client_certificate, &c.audit.client_key,
        &c.accounts.common_passwords_file}) {
    if (!p->empty()) out.push_back(*p);
  }
  return out;
}

// Reads a file into the archive as `name`; its bytes pass through a buffer wiped after (key files
// go this way).
Result<void> CopyFileInto(ArchiveWriter& w, const std::string& name, const fs::path& path,
                          const Progress& progress, int64_t& done, int64_t total) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return IoError("cannot read", path);
  std::string buf(1 << 20, '\0');
  auto copied = [&]() -> Result<void> {
    RETURN_IF_ERROR(w.BeginFile(name));
    for (;;) {
      const ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return IoError("cannot read", path);
      if (n == 0) break;
      RETURN_IF_ERROR(w.Write(std::string_view(buf.data(), static_cast<size_t>(n))));
      done += n;
      if (progress) progress(std::min(done, total), total);
    }
    return w.EndFile();
  }();
  ::close(fd);
  SecureWipe({reinterpret_cast<uint8_t*>(buf.data()), buf.size()});
  return copied;
}

struct Snapshot {
  int64_t store_sequence = 0;
  int schema_version = 0;
};

// Copies the store into `dest` in one read transaction, reading what the manifest needs inside it.
Result<Snapshot> SnapshotStore(const fs::path& db, const fs::path& dest,
                               const std::string& committed_key, const Progress& progress) {
  ASSIGN_OR_RETURN(auto conn,
                   store::SqliteConnection::Open(db, store::SqliteConnection::Mode::kReadOnly));
  RETURN_IF_ERROR(conn->ExecRaw("BEGIN"));
  Snapshot s;
  auto inside = [&]() -> Result<void> {
    // The first read starts the snapshot; the copy below sees the same one.
    ASSIGN_OR_RETURN(auto committed, store::GetMeta(*conn, committed_key));
    ASSIGN_OR_RETURN(auto schema, store::GetMeta(*conn, "schema_version"));
    if (!committed) {
      // Recorded under another node's name: this command's host name is not the service's.
      const auto prefix = audit::AuditLog::CommittedKeyFor("");
      ASSIGN_OR_RETURN(auto others, store::MetaWithPrefix(*conn, prefix));
      if (!others.empty()) {
        return Fail(ErrorCode::kFailedPrecondition,
                    fmt::format("the store records its audit position for node \"{}\", not "
                                "\"{}\": set [audit] node in the configuration to the service's",
                                others.front().first.substr(prefix.size()),
                                committed_key.substr(prefix.size())));
      }
    }
    s.store_sequence = committed ? std::stoll(*committed) : 0;
    s.schema_version = schema ? std::stoi(*schema) : 0;
    return conn->CopyTo(dest, 1024, progress);
  };
  auto done = inside();
  (void)conn->ExecRaw("COMMIT");
  RETURN_IF_ERROR(done);
  return s;
}

// Puts the journal's records into the archive, segment by segment, up to and including the
// checkpoint of `through` (whose head hash must be `hash`).
Result<void> CopyJournal(ArchiveWriter& w, const fs::path& dir, int64_t through,
                         const crypto::Sha256Digest& hash, const Progress& progress, int64_t& done,
                         int64_t total) {
  ASSIGN_OR_RETURN(auto reader, audit::JournalReader::FromStart(dir));
  int64_t segment = -1;
  std::string bytes;
  for (;;) {
    auto item = reader.Next(through);
    if (!item) {
      return Fail(item.error().code,
                  fmt::format("the audit journal cannot be copied ({}): run strongroom audit "
                              "verify",
                              item.error().message));
    }
    if (!*item) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("the audit journal ended before its checkpoint at {}", through));
    }
    const auto& [record, at] = **item;
    if (at.segment != segment) {
      if (segment >= 0) RETURN_IF_ERROR(w.EndFile());
      segment = at.segment;
      RETURN_IF_ERROR(w.BeginFile(fmt::format(
          "{}{}", kJournalPrefix, audit::SegmentPath(dir, segment).filename().string())));
    }
    bytes.clear();
    audit::EncodeRecord(record, bytes);
    RETURN_IF_ERROR(w.Write(bytes));
    done += static_cast<int64_t>(bytes.size());
    if (progress) progress(std::min(done, total), total);
    if (record.kind == audit::RecordKind::kCheckpoint && record.sequence == through) {
      if (record.hash != hash) {
        return Fail(ErrorCode::kDataLoss,
                    fmt::format("the audit checkpoint at {} does not sign the head this process "
                                "wrote: run strongroom audit verify",
                                through));
      }
      return w.EndFile();
    }
  }
}

int64_t FileSize(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : static_cast<int64_t>(n);
}

// Moves `from` to `to` unless `to` exists (then kAlreadyExists), durably.
Result<void> RenameNew(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) {
      return Fail(ErrorCode::kAlreadyExists,
                  fmt::format("{} exists: a backup never overwrites a file", to.string()));
    }
    // A file system without RENAME_NOREPLACE: link(2) refuses an existing name too.
    if (errno != EINVAL || ::link(from.c_str(), to.c_str()) != 0) {
      return IoError("cannot create", to);
    }
    ::unlink(from.c_str());
  }
  return SyncDirectory(to.parent_path());
}

fs::path TempBeside(const fs::path& path, std::string_view what, crypto::Random& random) {
  auto dir = path.parent_path();
  if (dir.empty()) dir = ".";
  return dir / fmt::format(".{}.{}-{}", path.filename().string(), what, random.RandomHex(4));
}

// What goes into the archive besides the store and the journal, as the archive names it; or why
// a restore could not put it back, so that no backup is taken that cannot be restored.
struct Plan {
  std::vector<std::pair<std::string, fs::path>> files;  // the configuration first
  std::vector<std::string> outside;
};

Result<Plan> PlanFiles(const Config& config) {
  if (config.store.backend != "sqlite") {
    // A database that several nodes share is PostgreSQL's to back up, with its own tools.
    return Fail(ErrorCode::kFailedPrecondition,
                "strongroom backup takes the embedded store: on PostgreSQL back the database up "
                "with its own tools (pg_basebackup and WAL archiving) and keep each node's audit "
                "journal directory with it");
  }
  const fs::path base = fs::absolute(config.path).parent_path();
  const auto unplaceable = [](std::string_view what, const fs::path& p) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the configuration keeps the {} at {}, where a restore could not put "
                            "it back: keep it inside the instance directory, under a name of "
                            "letters, digits, '.', '_' and '-' (not starting with '.')",
                            what, p.string()));
  };
  Plan plan;
  const auto config_name = config.path.filename().string();
  if (!PlainRelative(config_name)) return unplaceable("configuration", config.path);
  plan.files.emplace_back(fmt::format("{}{}", kConfigPrefix, config_name), config.path);
  for (const auto& [what, path] : {std::pair{"store", config.store.path},
                                   {"audit journal", AuditJournalPath(config)},
                                   {"master key", config.keys.master_key_file}}) {
    if (!Inside(base, fs::absolute(path))) return unplaceable(what, path);
  }
  for (const auto& p : NamedFiles(config)) {
    const auto rel = Inside(base, fs::absolute(p));
    std::error_code ec;
    // A symbolic link points elsewhere: named, not followed.
    if (!rel || !fs::is_regular_file(fs::symlink_status(p, ec))) {
      plan.outside.push_back(p.string());
      continue;
    }
    if (!PlainRelative(rel->string())) return unplaceable("file", p);
    plan.files.emplace_back(fmt::format("{}{}", kFilePrefix, rel->string()), p);
  }
  return plan;
}

}  // namespace

Result<BackupReport> TakeBackup(BackupInput in) {
  const auto& config = in.config;
  auto& log = in.log;
  in.event.action = "backup.create";
  const std::string id = in.random.RandomHex(16);
  in.event.target = {"backup", id, ""};
  auto key = SayIfMissing(
      crypto::ReadBackupKeyFile(config.backup.key_file, config.environment),
      fmt::format("no backup key at {}: create one with `strongroom keys backup-key --config {}`, "
                  "and keep a copy apart from the backups",
                  config.backup.key_file.string(), config.path.string()));
  if (!key) return log.Refuse(std::move(in.event), key.error());
  const fs::path to = fs::absolute(in.to);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(to, ec))) {
    return log.Refuse(
        std::move(in.event),
        Error{ErrorCode::kAlreadyExists,
              fmt::format("{} exists: a backup never overwrites a file", to.string())});
  }
  auto plan = PlanFiles(config);
  if (!plan) return log.Refuse(std::move(in.event), plan.error());
  BackupReport report;
  report.outside = plan->outside;

  // The store first: the snapshot is what the backup holds. Its copy is made inside the instance
  // directory (private, beside the store), owner-only, and removed once in the archive.
  const fs::path store_copy = config.store.path.parent_path() / fmt::format(".backup-{}.db", id);
  const int made =
      ::open(store_copy.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (made < 0)
    return log.Refuse(std::move(in.event), IoError("cannot create", store_copy).error());
  ::close(made);
  struct Remove {
    fs::path p;
    ~Remove() {
      std::error_code ignored;
      fs::remove(p, ignored);
      fs::remove(fs::path(p.string() + "-journal"), ignored);
    }
  } remove_copy{store_copy};
  auto snapshot = SnapshotStore(config.store.path, store_copy, log.CommittedKey(), in.progress);
  if (!snapshot) return log.Refuse(std::move(in.event), snapshot.error());

  // Its event, durable before any archive is written; then a signed checkpoint to end the copy on.
  Manifest m;
  m.id = id;
  m.environment = config.environment;
  m.version = std::string(Version());
  m.schema_version = snapshot->schema_version;
  m.node = log.journal().node();
  m.created_at = in.clock.Now();
  m.expires_at = m.created_at + std::chrono::days(config.backup.retention_days);
  m.store_sequence = snapshot->store_sequence;
  m.audit_public_key = HexEncode(in.audit_key.public_key);
  ASSIGN_OR_RETURN(m.shipped, log.index().Shipped());
  in.event.allowed = true;
  in.event.outcome = "ok";
  in.event.detail = {{"backup_key", key->id},
                     {"expires_at", FormatRfc3339(m.expires_at)},
                     {"file", to.filename().string()},
                     {"store_sequence", std::to_string(m.store_sequence)}};
  const audit::Event failed_template = in.event;
  RETURN_IF_ERROR(log.Record(std::move(in.event)));

  auto written = [&]() -> Result<void> {
    // The checkpoint signs a head at or past the event (another may have been signed since, by
    // this process or the service: any of them will do).
    RETURN_IF_ERROR(log.Checkpoint());
    const auto head = log.journal().LastCheckpoint();
    m.checkpoint_sequence = head.sequence;
    m.checkpoint_hash = HexEncode(head.hash);
    int64_t total = FileSize(store_copy);
    for (const auto& [name, path] : plan->files) total += FileSize(path);
    ASSIGN_OR_RETURN(auto segments, audit::ListSegments(log.journal().dir()));
    for (int64_t s : segments) total += FileSize(audit::SegmentPath(log.journal().dir(), s));
    int64_t done = 0;
    const fs::path partial = TempBeside(to, "partial", in.random);
    ASSIGN_OR_RETURN(auto w, ArchiveWriter::Create(partial, m, *key, in.random));
    for (const auto& [name, path] : plan->files) {
      RETURN_IF_ERROR(CopyFileInto(*w, name, path, in.progress, done, total));
    }
    RETURN_IF_ERROR(
        CopyFileInto(*w, std::string(kStoreEntry), store_copy, in.progress, done, total));
    RETURN_IF_ERROR(
        CopyJournal(*w, log.journal().dir(), head.sequence, head.hash, in.progress, done, total));
    ASSIGN_OR_RETURN(report.sha256, w->Finish());
    if (in.progress) in.progress(total, total);
    report.bytes = w->bytes_written();
    auto placed = RenameNew(partial, to);
    if (!placed) fs::remove(partial, ec);
    return placed;
  }();
  if (!written) {
    // The event said a backup was taken: say it was not, and why.
    auto failed = failed_template;
    failed.action = "backup.failed";
    failed.allowed = false;
    failed.outcome = std::string(ErrorCodeName(written.error().code));
    failed.reason = written.error().message;
    (void)log.Record(std::move(failed));
    return std::unexpected(written.error());
  }
  report.manifest = std::move(m);
  return report;
}

namespace {

// Creates `dir` and any parents missing, each 0700 (what init makes is its owner's alone).
Result<void> MakeDirs(const fs::path& dir) {
  std::error_code ec;
  if (dir.empty() || fs::is_directory(dir, ec)) return {};
  RETURN_IF_ERROR(MakeDirs(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return IoError("cannot create", dir);
  return {};
}

// Writes the files of an archive under `staging`: the configuration and named files where their
// names say, the store and the journal's segments aside until the configuration says where.
class Unpacker {
 public:
  explicit Unpacker(fs::path staging) : staging_(std::move(staging)) {}
  ~Unpacker() {
    if (fd_ >= 0) ::close(fd_);
  }
  Unpacker(const Unpacker&) = delete;
  Unpacker& operator=(const Unpacker&) = delete;

  FileSink Sink() {
    return {[this](const std::string& name) { return Begin(name); },
            [this](std::string_view bytes) { return Data(bytes); }, [this] { return End(); }};
  }

  const fs::path& config() const { return config_; }
  bool has_store() const { return has_store_; }
  fs::path store() const { return staging_ / ".restore-store"; }
  fs::path journal() const { return staging_ / ".restore-journal"; }
  int segments() const { return segments_; }

 private:
  Result<void> Begin(const std::string& name) {
    std::string_view n = name;
    fs::path path;
    if (n == kStoreEntry && !has_store_) {
      has_store_ = true;
      path = store();
    } else if (n.starts_with(kConfigPrefix) && config_.empty() &&
               PlainRelative(n.substr(kConfigPrefix.size())) &&
               n.substr(kConfigPrefix.size()).find('/') == std::string_view::npos) {
      path = config_ = staging_ / n.substr(kConfigPrefix.size());
    } else if (n.starts_with(kFilePrefix) && PlainRelative(n.substr(kFilePrefix.size()))) {
      path = staging_ / n.substr(kFilePrefix.size());
    } else if (n.starts_with(kJournalPrefix) && SegmentName(n.substr(kJournalPrefix.size()))) {
      path = journal() / n.substr(kJournalPrefix.size());
      ++segments_;
    } else {
      return Fail(ErrorCode::kDataLoss,
                  "the backup archive is damaged or not a Strongroom backup: it names a file it "
                  "may not hold");
    }
    RETURN_IF_ERROR(MakeDirs(path.parent_path()));
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) {
      if (errno == EEXIST) {
        return Fail(ErrorCode::kDataLoss,
                    "the backup archive is damaged or not a Strongroom backup: it holds a file "
                    "twice");
      }
      return IoError("cannot create", path);
    }
    path_ = path;
    return {};
  }

  Result<void> Data(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return IoError("cannot write", path_);
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return {};
  }

  Result<void> End() {
    const bool synced = ::fsync(fd_) == 0;
    ::close(fd_);
    fd_ = -1;
    if (!synced) return IoError("cannot sync", path_);
    return {};
  }

  const fs::path staging_;
  fs::path config_;
  bool has_store_ = false;
  int segments_ = 0;
  int fd_ = -1;
  fs::path path_;
};

std::unexpected<Error> Refused(std::string message) {
  return Fail(ErrorCode::kFailedPrecondition, std::move(message));
}

Result<void> CheckManifest(const Manifest& m, const RestoreInput& in) {
  if (m.environment != in.environment) {
    return Refused(fmt::format(
        "this backup is of a {} instance and cannot become a {} one: data never crosses "
        "environments",
        EnvironmentName(m.environment), EnvironmentName(in.environment)));
  }
  const auto theirs = ParseVersion(m.version);
  const auto ours = ParseVersion(Version());
  if (!theirs || !ours) {
    return Refused(fmt::format("this backup names a version, \"{}\", that is not MAJOR.MINOR.PATCH",
                               m.version));
  }
  if (*theirs > *ours || m.schema_version > store::LatestSchemaVersion()) {
    return Refused(fmt::format(
        "this backup was made by Strongroom {}, newer than this one ({}): restore it with {} or "
        "later",
        m.version, Version(), m.version));
  }
  if (in.clock.Now() > m.expires_at) {
    return Refused(fmt::format(
        "this backup expired on {} ([backup] retention_days when it was taken): an expired "
        "backup may hold records purged since, and is not restored",
        FormatRfc3339(m.expires_at)));
  }
  return {};
}

Result<void> MoveInto(const fs::path& from, const fs::path& to, const fs::path& staging,
                      std::string_view what) {
  if (!Inside(staging, to)) {
    return Refused(fmt::format(
        "the backup's configuration keeps the {} outside its instance directory ({}): restore "
        "puts everything inside the new directory",
        what, to.string()));
  }
  RETURN_IF_ERROR(MakeDirs(to.parent_path()));
  if (::rename(from.c_str(), to.c_str()) != 0) return IoError("cannot create", to);
  return {};
}

Result<audit::VerifyReport> VerifyJournal(const fs::path& journal, std::span<const uint8_t> key,
                                          Environment env, int64_t committed) {
  ASSIGN_OR_RETURN(auto index, audit::JournalIndex::Open(journal));
  ASSIGN_OR_RETURN(auto report, audit::Verify(journal, *index, key, env, committed));
  if (!report.ok) {
    return Fail(ErrorCode::kDataLoss,
                fmt::format("the audit log in this backup does not verify: {} (at sequence {})",
                            report.problem, report.first_bad_sequence));
  }
  return report;
}

// The journal restored ends on the checkpoint the manifest names, as the backup wrote it.
Result<void> CheckJournalEnd(const fs::path& journal, const Manifest& m) {
  ASSIGN_OR_RETURN(auto reader, audit::JournalReader::FromStart(journal));
  std::optional<audit::JournalRecord> last;
  for (;;) {
    auto item = reader.Next();
    if (!item) {
      return Fail(ErrorCode::kDataLoss,
                  fmt::format("the audit log in this backup is damaged: {}", item.error().message));
    }
    if (!*item) break;
    last = std::move((*item)->record);
  }
  if (!last || last->kind != audit::RecordKind::kCheckpoint ||
      last->sequence != m.checkpoint_sequence || HexEncode(last->hash) != m.checkpoint_hash) {
    return Fail(ErrorCode::kDataLoss,
                "the audit log in this backup does not end on the checkpoint its manifest names");
  }
  return {};
}

Result<RestoreReport> Build(const RestoreInput& in, const Manifest& manifest,
                            const crypto::BackupKey& backup_key,
                            const crypto::MasterKey& master_key, const fs::path& staging) {
  RestoreReport report;
  Unpacker unpack(staging);
  ASSIGN_OR_RETURN(report.manifest,
                   ReadArchive(in.archive, backup_key, unpack.Sink(), in.progress));
  // What was checked before is what the chunks authenticate (the file was read twice).
  if (FormatManifest(report.manifest) != FormatManifest(manifest)) {
    return Fail(ErrorCode::kDataLoss, "the backup archive changed while it was read");
  }
  RETURN_IF_ERROR(CheckManifest(report.manifest, in));
  if (unpack.config().empty() || !unpack.has_store() || unpack.segments() == 0) {
    return Fail(ErrorCode::kDataLoss,
                "the backup archive is damaged or not a Strongroom backup: it lacks its "
                "configuration, store or audit log");
  }
  const auto& m = report.manifest;
  report.config = unpack.config().filename();
  ASSIGN_OR_RETURN(auto config, LoadConfig(unpack.config()));
  if (config.environment != in.environment) {
    return Refused("the configuration in this backup names another environment than its manifest");
  }
  for (const auto& p : NamedFiles(config)) {
    std::error_code ec;
    if (!fs::exists(p, ec)) report.outside.push_back(p.string());
  }
  RETURN_IF_ERROR(MoveInto(unpack.store(), config.store.path, staging, "store"));
  const auto journal = AuditJournalPath(config);
  RETURN_IF_ERROR(MoveInto(unpack.journal(), journal, staging, "audit journal"));
  if (!Inside(staging, config.keys.master_key_file)) {
    return Refused(
        "the backup's configuration keeps the master key outside its instance "
        "directory: restore puts everything inside the new directory");
  }
  RETURN_IF_ERROR(crypto::WriteMasterKeyFile(config.keys.master_key_file, master_key));
  if (Inside(staging, config.backup.key_file)) {
    RETURN_IF_ERROR(crypto::WriteBackupKeyFile(config.backup.key_file, backup_key));
  }
  ASSIGN_OR_RETURN(auto audit_key,
                   crypto::ReadSigningKeyFile(config.audit.signing_key_file, in.environment));
  if (HexEncode(audit_key.public_key) != m.audit_public_key) {
    return Fail(ErrorCode::kDataLoss,
                "the audit key in this backup is not the one its manifest names");
  }
  if (!in.audit_public_key.empty() && in.audit_public_key != m.audit_public_key) {
    return Refused(fmt::format(
        "the audit log in this backup is signed by key {}, not by the key given ({}): it is not "
        "the instance you recorded",
        m.audit_public_key, in.audit_public_key));
  }
  RETURN_IF_ERROR(CheckJournalEnd(journal, m));

  if (config.store.backend != "sqlite") return Refused("this backup is not of an embedded store");
  ASSIGN_OR_RETURN(auto db, store::SqliteStore::Open({config.store.path, 1, 64}));
  RETURN_IF_ERROR(store::Migrate(*db));
  RETURN_IF_ERROR(store::CheckEnvironment(*db, in.environment));
  RETURN_IF_ERROR(store::CheckWrappedBy(*db, master_key));
  if (master_key.provider == crypto::KeyProvider::kPkcs11) {
    // The key is in a token: the one the backup's configuration names must still hold it.
    store::MasterKeys keys(config.keys, in.environment);
    if (auto usable = keys.Use(master_key); !usable) return std::unexpected(usable.error());
  }
  // This host may name its audit node differently: it goes on from where the backup's stood.
  const auto node = AuditNodeName(config);
  if (node != m.node) {
    RETURN_IF_ERROR(db->Write([&](store::Transaction& tx) -> Result<void> {
      return store::SetMeta(tx, audit::AuditLog::CommittedKeyFor(node),
                            std::to_string(m.store_sequence));
    }));
  }
  // The chain as it was backed up verifies before anything is added to it.
  ASSIGN_OR_RETURN(auto as_backed_up,
                   VerifyJournal(journal, audit_key.public_key, in.environment, m.store_sequence));
  (void)as_backed_up;
  {
    ASSIGN_OR_RETURN(auto index, audit::JournalIndex::Open(journal));
    RETURN_IF_ERROR(index->SetShipped(std::min(m.shipped, m.checkpoint_sequence)));
  }

  ASSIGN_OR_RETURN(auto log, audit::AuditLog::Open(*db, in.clock, audit_key, in.environment,
                                                   audit::OptionsFrom(config, /*owner=*/true)));
  // Opening it corrected each change recorded after the snapshot: those are not in this store.
  report.not_in_backup = log->journal().DurableHead().sequence - m.checkpoint_sequence;
  audit::Event e;
  e.actor = {"", in.operator_name, "cli", ""};
  e.source = "cli";
  e.action = "backup.restore";
  e.target = {"backup", m.id, ""};
  e.allowed = true;
  e.reason = "operator with access to the instance's files";
  e.detail = {{"taken_at", FormatRfc3339(m.created_at)},
              {"taken_on", m.node},
              {"version", m.version},
              {"store_sequence", std::to_string(m.store_sequence)},
              {"checkpoint", std::to_string(m.checkpoint_sequence)},
              {"changes_not_in_backup", std::to_string(report.not_in_backup)}};
  ASSIGN_OR_RETURN(auto forgotten,
                   log->Change<identity::Forgotten>(std::move(e), [&](store::Transaction& tx) {
                     return identity::ForgetLiveCredentials(tx, in.clock.Now());
                   }));
  report.sessions_ended = forgotten.sessions;
  report.enrolment_tokens_spent = forgotten.enrolment_tokens;
  ASSIGN_OR_RETURN(report.purged,
                   records::Purge(*db, *log, in.clock).Run(false, records::Purge::Pace::kAlone));
  RETURN_IF_ERROR(log->Checkpoint());
  int64_t committed = 0;
  RETURN_IF_ERROR(db->Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto v, store::GetMeta(tx, log->CommittedKey()));
    committed = v ? std::stoll(*v) : 0;
    return {};
  }));
  log.reset();
  db->Close();
  ASSIGN_OR_RETURN(report.verified,
                   VerifyJournal(journal, audit_key.public_key, in.environment, committed));
  return report;
}

}  // namespace

Result<RestoreReport> Restore(const RestoreInput& in) {
  fs::path dir = fs::absolute(in.data_dir).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();  // "DIR/"
  std::error_code ec;
  const bool exists = fs::exists(fs::symlink_status(dir, ec));
  if (exists && (!fs::is_directory(fs::symlink_status(dir, ec)) || !fs::is_empty(dir, ec))) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} exists and is not an empty directory: restore never overwrites an "
                            "instance",
                            dir.string()));
  }
  // What the archive says of itself first: a damaged one, or one of another environment, is
  // named as such whatever keys were given.
  ASSIGN_OR_RETURN(auto manifest, ReadManifest(in.archive));
  RETURN_IF_ERROR(CheckManifest(manifest, in));
  ASSIGN_OR_RETURN(auto backup_key,
                   SayIfMissing(crypto::ReadBackupKeyFile(in.backup_key_file, in.environment),
                                fmt::format("no backup key at {}: restore needs the backup key "
                                            "the archive was made under",
                                            in.backup_key_file.string())));
  if (manifest.backup_key_id != backup_key.id) {
    return Refused(fmt::format("this backup was encrypted under backup key {}; the key given is {}",
                               manifest.backup_key_id, backup_key.id));
  }
  ASSIGN_OR_RETURN(auto master_key,
                   SayIfMissing(crypto::ReadMasterKeyFile(in.master_key_file, in.environment),
                                fmt::format("no master key at {}: restore needs the master key "
                                            "in use when the backup was taken",
                                            in.master_key_file.string())));
  fs::path staging = dir;
  staging += ".restore-" + in.random.RandomHex(4);
  if (::mkdir(staging.c_str(), 0700) != 0) return IoError("cannot create", staging);
  auto built = Build(in, manifest, backup_key, master_key, staging);
  if (built) {
    if (exists) fs::remove(dir, ec);
    built->config = dir / built->config;
    if (::rename(staging.c_str(), dir.c_str()) != 0) {
      built = IoError("cannot create", dir);
    } else if (auto synced = SyncDirectory(dir.parent_path()); !synced) {
      built = std::unexpected(synced.error());
    }
  }
  if (!built) fs::remove_all(staging, ec);
  return built;
}

}  // namespace strongroom::backup
