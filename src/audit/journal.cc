#include "audit/journal.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <future>

#include "common/file_util.h"

namespace strongroom::audit {
namespace {

constexpr size_t kReadChunk = 1 << 20;
constexpr std::string_view kSuffix = ".seg";

std::unexpected<Error> Unwritable() {
  return Fail(ErrorCode::kUnavailable, "the audit log cannot be written");
}

std::unexpected<Error> SystemError(std::string_view what) {
  return Fail(ErrorCode::kUnavailable, fmt::format("audit journal: {}: {}", what, strerror(errno)));
}

// Reads up to `max` bytes of `fd` from `offset`.
Result<std::string> ReadAt(int fd, int64_t offset, size_t max) {
  std::string out(max, '\0');
  size_t got = 0;
  while (got < max) {
    const ssize_t n = ::pread(fd, out.data() + got, max - got, offset + static_cast<int64_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SystemError("read");
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

// True if no whole record starts anywhere in [from, to) of `fd`: what lies there is the wreck of
// an unfinished write, not records after a damaged one.
bool NothingDecodesFrom(int fd, int64_t from, int64_t to) {
  const size_t window = kMaxBodyBytes + kFrameHeaderBytes;
  for (int64_t at = from; at < to;) {
    auto bytes = ReadAt(fd, at, window + kReadChunk);
    if (!bytes) return false;
    const size_t starts = std::min(bytes->size(), static_cast<size_t>(kReadChunk));
    for (size_t i = 0; i < starts; ++i) {
      if (DecodeRecord(std::string_view(*bytes).substr(i)).status == DecodeStatus::kOk) {
        return false;
      }
    }
    if (starts == 0) break;
    at += static_cast<int64_t>(starts);
  }
  return true;
}

class FlockGuard {
 public:
  explicit FlockGuard(int fd) : fd_(fd) {
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        fd_ = -1;
        return;
      }
    }
  }
  ~FlockGuard() {
    if (fd_ >= 0) ::flock(fd_, LOCK_UN);
  }
  bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

}  // namespace

Bytes CheckpointPayload(Environment env, int64_t sequence, std::span<const uint8_t> head_hash,
                        std::string_view time) {
  const auto text = fmt::format("strongroom-audit-checkpoint/v1\n{}\n{}\n{}\n{}",
                                EnvironmentName(env), sequence, HexEncode(head_hash), time);
  return Bytes(text.begin(), text.end());
}

std::filesystem::path SegmentPath(const std::filesystem::path& dir, int64_t segment) {
  return dir / fmt::format("{:020}{}", segment, kSuffix);
}

Result<std::vector<int64_t>> ListSegments(const std::filesystem::path& dir) {
  std::vector<int64_t> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.size() != 20 + kSuffix.size() || !name.ends_with(kSuffix)) continue;
    int64_t n = 0;
    auto [p, err] = std::from_chars(name.data(), name.data() + 20, n);
    if (err == std::errc() && p == name.data() + 20 && n > 0) out.push_back(n);
  }
  if (ec) return Fail(ErrorCode::kUnavailable, "audit journal: cannot list " + dir.string());
  std::sort(out.begin(), out.end());
  return out;
}

Journal::Journal(JournalOptions opts, const Clock& clock, const crypto::SigningKey& key,
                 Environment env, int lock_fd)
    : opts_(std::move(opts)), clock_(clock), key_(key), env_(env), lock_fd_(lock_fd) {}

Result<std::unique_ptr<Journal>> Journal::Open(JournalOptions opts, const Clock& clock,
                                               const crypto::SigningKey& key, Environment env) {
  std::error_code ec;
  if (!std::filesystem::exists(opts.dir, ec)) {
    std::filesystem::create_directories(opts.dir, ec);
    if (ec)
      return Fail(ErrorCode::kUnavailable, "audit journal: cannot create " + opts.dir.string());
    std::filesystem::permissions(opts.dir, std::filesystem::perms::owner_all, ec);
  }
  const int lock_fd = ::open((opts.dir / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return SystemError("open lock");
  std::unique_ptr<Journal> j(new Journal(std::move(opts), clock, key, env, lock_fd));
  {
    FlockGuard lock(lock_fd);
    if (!lock.held()) return SystemError("lock");
    RETURN_IF_ERROR(j->LoadTail());
  }
  j->durable_ = j->head_;
  j->last_checkpoint_ = {j->checkpointed_, j->checkpointed_at_, j->checkpointed_hash_};
  j->writer_ = std::thread([p = j.get()] { p->WriterLoop(); });
  return j;
}

Journal::~Journal() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (fd_ >= 0) ::close(fd_);
  ::close(lock_fd_);
}

void Journal::Apply(const JournalRecord& r) {
  switch (r.kind) {
    case RecordKind::kEvent:
      head_ = {r.sequence, r.hash};
      break;
    case RecordKind::kCheckpoint: {
      // A segment's opening checkpoint is the head until its first event.
      if (r.sequence > head_.sequence) head_ = {r.sequence, r.hash};
      CheckpointText c;
      if (r.sequence >= checkpointed_ && ParseCheckpointText(r.text, c)) {
        checkpointed_ = r.sequence;
        checkpointed_at_ = c.time;
        checkpointed_hash_ = r.hash;
      }
      break;
    }
    case RecordKind::kSeal:
      sealed_ = true;
      break;
  }
}

Result<void> Journal::OpenSegment(int64_t segment) {
  const int fd = ::open(SegmentPath(opts_.dir, segment).c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0) return SystemError("open segment");
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  segment_ = segment;
  end_ = 0;
  sealed_ = false;
  return {};
}

// Reads what lies after end_ in the active segment: records another process appended, and at
// open everything, a bounded piece at a time. What a crashed writer can leave at the end is cut:
// a record that runs past the end of the file (it was never acknowledged), or, at open, nothing
// but zeros (a power cut after the file grew). A record damaged in the middle is passed over for
// verify to name. Anything else wrong at the end is refused: it may hold acknowledged events.
Result<void> Journal::CatchUp(bool at_open) {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return SystemError("stat");
  if (st.st_size < end_) {
    // Written and acknowledged, now gone: someone cut the journal. Nothing more is written
    // after it; audit verify says where.
    return Fail(ErrorCode::kDataLoss, "audit journal: the segment is shorter than was written");
  }
  const auto path = SegmentPath(opts_.dir, segment_).string();
  while (end_ < st.st_size) {
    ASSIGN_OR_RETURN(auto bytes, ReadAt(fd_, end_, kMaxBodyBytes + kFrameHeaderBytes + kReadChunk));
    const bool to_eof = end_ + static_cast<int64_t>(bytes.size()) >= st.st_size;
    size_t pos = 0;
    bool refill = false;
    while (pos < bytes.size() && !refill) {
      const auto d = DecodeRecord(std::string_view(bytes).substr(pos));
      const int64_t at = end_ + static_cast<int64_t>(pos);
      if (d.status == DecodeStatus::kOk) {
        Apply(d.record);
        pos += d.size;
      } else if (d.status == DecodeStatus::kIncomplete && !to_eof) {
        refill = true;  // the record goes on past this piece
      } else if (d.status == DecodeStatus::kCorrupt && d.size > 0 &&
                 at + static_cast<int64_t>(d.size) < st.st_size) {
        spdlog::error("audit journal: a damaged record in {} at offset {}: run audit verify", path,
                      at);
        pos += d.size;
      } else if (d.status == DecodeStatus::kIncomplete ||
                 (at_open && NothingDecodesFrom(fd_, at + 1, st.st_size))) {
        const int64_t cut = st.st_size - at;
        spdlog::warn("audit journal: cutting {} bytes of an unfinished record off the end of {}",
                     cut, path);
        if (::ftruncate(fd_, at) != 0 || ::fdatasync(fd_) != 0) {
          return SystemError("cut a torn tail");
        }
        cut_at_open_ += cut;
        st.st_size = at;
        break;
      } else {
        return Fail(ErrorCode::kDataLoss,
                    fmt::format("audit journal: the end of {} is damaged at offset {}: nothing "
                                "more is written; run audit verify",
                                path, at));
      }
    }
    // (A piece is longer than any record, so a refill always starts further on.)
    end_ += static_cast<int64_t>(pos);
  }
  if (!sealed_) return {};
  // Another process (or this one, before a crash) sealed the segment: go on in the next.
  ASSIGN_OR_RETURN(auto segments, ListSegments(opts_.dir));
  auto next = std::upper_bound(segments.begin(), segments.end(), segment_);
  if (next == segments.end()) return Rotate();
  RETURN_IF_ERROR(OpenSegment(*next));
  return CatchUp(at_open);
}

Result<void> Journal::LoadTail() {
  ASSIGN_OR_RETURN(auto segments, ListSegments(opts_.dir));
  if (segments.empty()) {
    const auto path = SegmentPath(opts_.dir, 1);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return SystemError("create segment");
    ::close(fd);
    RETURN_IF_ERROR(SyncDirectory(opts_.dir));
    segments.push_back(1);
  }
  RETURN_IF_ERROR(OpenSegment(segments.back()));
  return CatchUp(/*at_open=*/true);
}

JournalRecord Journal::SignedCheckpoint(const Head& head) {
  const auto time = FormatRfc3339(clock_.Now());
  auto sig = crypto::Sign(key_, CheckpointPayload(env_, head.sequence, head.hash, time));
  JournalRecord r;
  r.kind = RecordKind::kCheckpoint;
  r.sequence = head.sequence;
  r.hash = head.hash;
  r.text = FormatCheckpointText({time, key_.id(), sig ? *sig : Bytes{}});
  return r;
}

// Seals the full segment and opens the next, which begins with a signed checkpoint of the head:
// once older segments are removed, the oldest one left still anchors the chain. The new file is
// written whole under a temporary name and renamed, so it is never seen without its anchor.
Result<void> Journal::Rotate() {
  if (head_.sequence + 1 <= segment_) {
    return Fail(ErrorCode::kInternal, "audit journal: nothing to rotate");
  }
  if (!sealed_) {
    std::string seal;
    EncodeRecord({RecordKind::kSeal, 0, head_.sequence, head_.hash, ""}, seal);
    RETURN_IF_ERROR(WriteDurably(seal));
    sealed_ = true;
  }
  const int64_t next = head_.sequence + 1;
  std::string anchor;
  const auto cp = SignedCheckpoint(head_);
  EncodeRecord(cp, anchor);
  auto tmp = SegmentPath(opts_.dir, next);
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return SystemError("create segment");
  const bool written =
      ::write(fd, anchor.data(), anchor.size()) == static_cast<ssize_t>(anchor.size()) &&
      ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    return SystemError("write segment");
  }
  RETURN_IF_ERROR(RenameDurably(tmp, SegmentPath(opts_.dir, next)));
  RETURN_IF_ERROR(OpenSegment(next));
  end_ = static_cast<int64_t>(anchor.size());
  Apply(cp);
  return {};
}

// Cuts off what a failed write left. If even that fails, the bytes may hold events that were never
// acknowledged (and changes never committed): the journal takes no more writes until it is
// opened again, when they are read like any other and the uncommitted ones corrected.
void Journal::Undo() {
  if (::ftruncate(fd_, end_) != 0) {
    broken_ = true;
    spdlog::critical(
        "audit journal: a failed write could not be undone: no more writes until "
        "the service restarts");
  }
}

// Writes `bytes` at the end of the active segment and makes them durable; on failure cuts the
// segment back to where it was, so that nothing half-written stays.
Result<void> Journal::WriteDurably(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      Undo();
      errno = saved;
      return SystemError("write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    const int saved = errno;
    Undo();
    errno = saved;
    return SystemError("sync");
  }
  end_ += static_cast<int64_t>(bytes.size());
  return {};
}

void Journal::Submit(Request request) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(request));
      cv_.notify_one();
      return;
    }
  }
  for (auto& e : request.entries) e.done(Fail(ErrorCode::kUnavailable, "the audit log is closed"));
  if (request.finished) request.finished(Fail(ErrorCode::kUnavailable, "the audit log is closed"));
}

void Journal::Append(std::vector<Entry> entries) {
  Request r;
  r.entries = std::move(entries);
  Submit(std::move(r));
}

Result<int64_t> Journal::AppendAndWait(Event event, uint8_t flags) {
  std::promise<Result<int64_t>> promise;
  auto future = promise.get_future();
  std::vector<Entry> entries;
  entries.push_back(
      {std::move(event), flags, [&promise](Result<int64_t> r) { promise.set_value(r); }});
  Append(std::move(entries));
  return future.get();
}

namespace {
Result<void> Await(const std::function<void(std::function<void(Result<void>)>)>& submit) {
  std::promise<Result<void>> promise;
  auto future = promise.get_future();
  submit([&promise](Result<void> r) { promise.set_value(std::move(r)); });
  return future.get();
}
}  // namespace

Result<void> Journal::Import(std::vector<JournalRecord> records) {
  return Await([&](auto finished) {
    Request r;
    r.imported = std::move(records);
    r.finished = std::move(finished);
    Submit(std::move(r));
  });
}

Result<void> Journal::Checkpoint() {
  return Await([&](auto finished) {
    Request r;
    r.checkpoint = true;
    r.finished = std::move(finished);
    Submit(std::move(r));
  });
}

Result<void> Journal::Probe() {
  {
    std::lock_guard lock(mu_);
    if (!failing_ && !inject_failure_) return {};
  }
  // The last write failed: only a write shows whether space has come back. A checkpoint of the
  // head is one that does no harm.
  return Checkpoint();
}

Head Journal::DurableHead() const {
  std::lock_guard lock(mu_);
  return durable_;
}

SignedHead Journal::LastCheckpoint() const {
  std::lock_guard lock(mu_);
  return last_checkpoint_;
}

#ifdef STRONGROOM_TESTING
void Journal::InjectFailureForTest(bool fail) {
  std::lock_guard lock(mu_);
  inject_failure_ = fail;
}
#endif

void Journal::WriterLoop() {
  std::vector<Request> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      while (!queue_.empty()) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    WriteBatch(batch);
    batch.clear();
  }
}

void Journal::WriteBatch(std::vector<Request>& batch) {
  Result<void> outcome;
  std::vector<int64_t> sequences;  // each entry's, in order
  bool forced_checkpoint = false;
  {
    bool injected = false;
    {
      std::lock_guard lock(mu_);
      injected = inject_failure_;
      forced_checkpoint = failing_;
    }
    FlockGuard file_lock(lock_fd_);
    if (injected) {
      outcome = Unwritable();
    } else if (!file_lock.held()) {
      outcome = SystemError("lock");
    } else {
      outcome = broken_ ? SystemError("an earlier failed write could not be undone")
                        : CatchUp(/*at_open=*/false);
      if (outcome && end_ >= opts_.segment_bytes) outcome = Rotate();
    }
    if (outcome) {
      Head head = head_;
      int64_t checkpointed = checkpointed_;
      std::string out;
      std::vector<JournalRecord> checkpoints;
      auto sign = [&] {
        checkpoints.push_back(SignedCheckpoint(head));
        EncodeRecord(checkpoints.back(), out);
        checkpointed = head.sequence;
      };
      for (auto& request : batch) {
        for (auto& r : request.imported) {
          if (r.kind == RecordKind::kEvent && r.sequence != head.sequence + 1) {
            outcome = Fail(ErrorCode::kDataLoss, "audit journal: imported events are not in order");
          }
          EncodeRecord(r, out);
          // An anchor (the checkpoint a pruned log goes on from) is the head until an event.
          if (r.kind == RecordKind::kEvent || r.sequence > head.sequence) {
            head = {r.sequence, r.hash};
          }
          if (r.kind == RecordKind::kCheckpoint) checkpoints.push_back(r);
        }
        for (auto& e : request.entries) {
          e.event.sequence = head.sequence + 1;
          e.event.time = clock_.Now();
          e.event.node = opts_.node;
          JournalRecord r{RecordKind::kEvent, e.flags, e.event.sequence, {}, Canonical(e.event)};
          r.hash = crypto::Sha256Concat(
              head.hash, std::span(reinterpret_cast<const uint8_t*>(r.text.data()), r.text.size()));
          EncodeRecord(r, out);
          head = {r.sequence, r.hash};
          sequences.push_back(r.sequence);
          if (r.sequence % opts_.checkpoint_every == 0) sign();
        }
        if (request.checkpoint && (head.sequence > checkpointed || forced_checkpoint) &&
            head.sequence > 0) {
          sign();
        }
      }
      if (outcome && !out.empty()) outcome = WriteDurably(out);
      if (outcome) {
        head_ = head;
        for (const auto& c : checkpoints) Apply(c);
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    failing_ = !outcome;
    if (outcome) {
      durable_ = head_;
      last_checkpoint_ = {checkpointed_, checkpointed_at_, checkpointed_hash_};
    }
  }
  if (!outcome) {
    spdlog::error("{}", outcome.error().message);
    outcome = outcome.error().code == ErrorCode::kUnavailable ? Unwritable()
                                                              : std::unexpected(outcome.error());
  }
  size_t i = 0;
  for (auto& request : batch) {
    for (auto& e : request.entries) {
      if (outcome) {
        e.done(sequences[i++]);
      } else {
        e.done(std::unexpected(outcome.error()));
      }
    }
    if (request.finished) request.finished(outcome);
  }
}

// --- Reading ---

JournalReader::JournalReader(std::filesystem::path dir, int64_t segment)
    : dir_(std::move(dir)), segment_(segment) {}

JournalReader::JournalReader(JournalReader&& o) noexcept
    : dir_(std::move(o.dir_)),
      segment_(o.segment_),
      fd_(o.fd_),
      file_offset_(o.file_offset_),
      buf_(std::move(o.buf_)),
      pos_(o.pos_),
      skip_before_(o.skip_before_),
      damaged_size_(o.damaged_size_),
      resync_(o.resync_),
      unsealed_end_(o.unsealed_end_),
      bytes_read_(o.bytes_read_) {
  o.fd_ = -1;
}

JournalReader::~JournalReader() {
  if (fd_ >= 0) ::close(fd_);
}

Result<JournalReader> JournalReader::At(const std::filesystem::path& dir, Position at) {
  JournalReader r(dir, at.segment);
  r.fd_ = ::open(SegmentPath(dir, at.segment).c_str(), O_RDONLY | O_CLOEXEC);
  if (r.fd_ < 0) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("audit journal: segment {} is not there", at.segment));
  }
  r.file_offset_ = at.offset;
  return r;
}

Result<JournalReader> JournalReader::FromStart(const std::filesystem::path& dir) {
  ASSIGN_OR_RETURN(auto segments, ListSegments(dir));
  if (segments.empty()) return Fail(ErrorCode::kNotFound, "audit journal: no segments");
  return At(dir, {segments.front(), 0});
}

Result<JournalReader> JournalReader::From(const std::filesystem::path& dir, int64_t sequence) {
  ASSIGN_OR_RETURN(auto segments, ListSegments(dir));
  if (segments.empty()) return Fail(ErrorCode::kNotFound, "audit journal: no segments");
  auto it = std::upper_bound(segments.begin(), segments.end(), sequence);
  const int64_t segment = it == segments.begin() ? segments.front() : *std::prev(it);
  ASSIGN_OR_RETURN(auto r, At(dir, {segment, 0}));
  r.skip_before_ = sequence;
  return r;
}

Result<void> JournalReader::Fill() {
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    file_offset_ += static_cast<int64_t>(pos_);
    pos_ = 0;
  }
  const size_t had = buf_.size();
  buf_.resize(had + kReadChunk);
  for (;;) {
    const ssize_t n =
        ::pread(fd_, buf_.data() + had, kReadChunk, file_offset_ + static_cast<int64_t>(had));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      buf_.resize(had);
      return SystemError("read");
    }
    buf_.resize(had + static_cast<size_t>(n));
    bytes_read_ += n;
    return {};
  }
}

// After a seal: the next segment, if there is one yet (false if not).
Result<bool> JournalReader::NextSegment() {
  ASSIGN_OR_RETURN(auto segments, ListSegments(dir_));
  auto next = std::upper_bound(segments.begin(), segments.end(), segment_);
  if (next == segments.end()) return false;
  ASSIGN_OR_RETURN(auto r, At(dir_, {*next, 0}));
  r.skip_before_ = skip_before_;
  r.bytes_read_ = bytes_read_;
  if (fd_ >= 0) ::close(fd_);
  fd_ = r.fd_;
  r.fd_ = -1;
  segment_ = r.segment_;
  file_offset_ = 0;
  buf_.clear();
  pos_ = 0;
  return true;
}

// After kDataLoss: past the damage. A record of known length is passed over whole; after
// anything else the reader looks for the next place a whole record starts; a segment that ends
// without its seal is left for the next.
void JournalReader::Skip() {
  if (unsealed_end_) {
    unsealed_end_ = false;
    if (auto moved = NextSegment(); !moved || !*moved) buf_.resize(pos_);
    return;
  }
  if (damaged_size_ > 0) {
    pos_ += damaged_size_;
  } else {
    resync_ = true;
  }
  damaged_size_ = 0;
}

// At the end of the bytes of a segment: a later segment means this one should have ended with
// its seal (kDataLoss); otherwise this is the end of what is written so far.
Result<std::optional<JournalReader::Item>> JournalReader::AtEnd(size_t left) {
  // Bytes not yet a record are read again next time: a writer may still finish them, or cut
  // them and write others in their place.
  buf_.resize(pos_);
  ASSIGN_OR_RETURN(auto segments, ListSegments(dir_));
  if (segments.empty() || segments.back() <= segment_) return std::nullopt;
  unsealed_end_ = true;
  return Fail(ErrorCode::kDataLoss,
              fmt::format("segment {} ends without its seal{} at offset {}", segment_,
                          left > 0 ? ", in an incomplete record," : "",
                          file_offset_ + static_cast<int64_t>(pos_)));
}

Result<std::optional<JournalReader::Item>> JournalReader::Next(int64_t up_to) {
  for (;;) {
    auto d = DecodeRecord(std::string_view(buf_).substr(pos_));
    if (d.status == DecodeStatus::kIncomplete) {
      const size_t before = buf_.size() - pos_;
      RETURN_IF_ERROR(Fill());
      if (buf_.size() - pos_ > before) continue;
      resync_ = false;
      return AtEnd(before);
    }
    const Position at{segment_, file_offset_ + static_cast<int64_t>(pos_)};
    if (d.status == DecodeStatus::kCorrupt) {
      if (resync_) {
        ++pos_;
        continue;
      }
      damaged_size_ = d.size;
      return Fail(ErrorCode::kDataLoss, fmt::format("a damaged record in segment {} at offset {}",
                                                    at.segment, at.offset));
    }
    resync_ = false;
    if (d.record.kind == RecordKind::kEvent && d.record.sequence > up_to) {
      buf_.resize(pos_);  // read again when it is durable: see AtEnd
      return std::nullopt;
    }
    if (d.record.kind == RecordKind::kSeal) {
      ASSIGN_OR_RETURN(bool moved, NextSegment());
      if (!moved) {
        buf_.resize(pos_);
        return std::nullopt;  // sealed, the next not made yet: stay before the seal
      }
      if (d.record.sequence >= skip_before_) return Item{std::move(d.record), at};
      continue;
    }
    pos_ += d.size;
    if (d.record.sequence < skip_before_) continue;
    return Item{std::move(d.record), at};
  }
}

Result<JournalRecord> ReadRecordAt(const std::filesystem::path& dir, Position at) {
  const int fd = ::open(SegmentPath(dir, at.segment).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("audit journal: segment {} is not there", at.segment));
  }
  // The frame's header says how much more to read.
  std::string bytes(kFrameHeaderBytes, '\0');
  Decoded d;
  for (int pass = 0; pass < 2; ++pass) {
    const ssize_t n = ::pread(fd, bytes.data(), bytes.size(), at.offset);
    bytes.resize(n > 0 ? static_cast<size_t>(n) : 0);
    d = DecodeRecord(bytes);
    if (d.status != DecodeStatus::kIncomplete || bytes.size() < kFrameHeaderBytes) break;
    uint32_t body = 0;
    for (int k = 3; k >= 0; --k) body = (body << 8) | static_cast<uint8_t>(bytes[k]);
    bytes.assign(kFrameHeaderBytes + body, '\0');
  }
  ::close(fd);
  if (d.status != DecodeStatus::kOk) {
    return Fail(ErrorCode::kDataLoss,
                fmt::format("no whole record in segment {} at offset {}", at.segment, at.offset));
  }
  return std::move(d.record);
}

}  // namespace strongroom::audit
