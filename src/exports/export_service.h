#pragma once
// Exports need a second person. An export (every record the requester may list, or one remit of
// them) is requested with a reason, and approved by a different person holding `approver` in the
// same organisation: never the requester, never another account of the requester's person.
// Unapproved requests expire after 72 hours.
//
// On approval the archive is built at once from what the requester may see, held encrypted under
// its own key (wrapped by the organisation key; the approver never sees content), and may be
// downloaded once, by the requester only, within 24 hours.
//
// The archive (10 MB for 10,000 records of 1 KiB) is written to the store in parts (ArchivePace),
// one write each, and after each the disk is left to others for several times as long as the
// part took: the views beside it wait for their audit events to reach the disk, and a burst of
// archive makes each of those flushes wait behind it. The parts of a build that is not approved
// in the end are deleted by the approval; any that a stop leaves behind, by the purge job
// (ExpireDue). The download is the archive encrypted with AES-256-GCM (12-byte nonce || ciphertext
// || 16-byte tag, associated data: the export id in UTF-8) and the key, given to the requester with
// it. The key leaves the store with that answer, so the archive can no longer be opened; its parts
// are then deleted a part at a time at the same pace (any a stop leaves, by the purge job).
//
// Every step is audited.
//
// Thread-safety: all methods may be called from any thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "audit/audit_log.h"
#include "common/bulk_lane.h"
#include "common/clock.h"
#include "crypto/random.h"
#include "identity/auth.h"
#include "records/record_service.h"
#include "store/key_store.h"
#include "store/store.h"

namespace strongroom::exports {

inline constexpr std::chrono::hours kExportRequestLifetime{72};
inline constexpr std::chrono::hours kExportArchiveLifetime{24};
inline constexpr size_t kMaxExportRecords = 10'000;
// Approvals asked for and not yet answered (each a second or more for 10,000 records).
inline constexpr int kMaxApprovalsWaiting = 8;

struct ExportRequest {
  std::string id;
  std::string status;
  int64_t records = 0;
};

// An export as its requester and its approvers see it: never its archive.
struct ExportSummary {
  std::string id;
  std::string requester;  // username
  std::string remit;      // "" for every remit the requester may list
  std::string reason;
  std::string status;  // pending, approved, downloaded or expired
  std::string created_at;
  std::string expires_at;          // of the request, while pending
  std::string archive_expires_at;  // of the archive, once approved
  int64_t records = 0;
  bool mine = false;  // requested by the caller
};

// The exports a person has to do with: those they asked for, and those waiting for their
// approval (pending, in their organisation, asked for by another person, when they hold
// `approver`). Newest first, at most kMaxListedExports of each.
struct ExportList {
  std::vector<ExportSummary> mine;
  std::vector<ExportSummary> to_approve;
};
inline constexpr int kMaxListedExports = 100;

struct ExportArchive {
  Bytes ciphertext;  // nonce || ciphertext || tag
  Secret key;
  int64_t records = 0;
};

// The archive of export `id` opened with its key: the JSON document. For a person downloading
// through the console (over TLS), whose browser has no tool for AES-GCM; the API hands over the
// sealed archive and its key.
Result<Bytes> OpenArchive(const ExportArchive& archive, std::string_view id);

// Whether `account_id` has had an export approved since `since`, inside the caller's transaction
// (the records listing cap asks: records/record_service.h).
Result<bool> ApprovedExportSince(store::Transaction& tx, std::string_view account_id,
                                 TimePoint since);

// How an approval writes its archive: parts of `part_bytes`, each a write of its own, with a pause
// of `pause_factor` times the last part's write before the next. Measured with bench/export_bench
// on a machine of two cores whose disk is shared, for archives of 10,000 records: written whole,
// the p99 of views beside the approvals rose 3.3 to 4.5 times, and an approval took 0.3 s; in
// parts of 64 KiB with pauses of 4 times, 0.9 to 1.7 times, and 1.2 s (of 256 KiB with 9 times:
// 2.1 to 2.6 times, and 1.4 s).
struct ArchivePace {
  size_t part_bytes = 64 * 1024;
  int pause_factor = 4;  // the archive has at most a fifth of the disk's time
  // Parts between re-reads of what the archive depends on (4 MiB): one that changed stops the
  // build there rather than at the end. Each re-read scans the organisation's records on a
  // reader the views share: every 2 MiB, the views' p99 beside the approvals rose to 2.1-3.0
  // times (against 1.7-1.8 without re-reads); every 4 MiB, 1.5-1.8 times.
  int check_every = 64;
  std::function<void(std::chrono::nanoseconds)> pause = [](std::chrono::nanoseconds d) {
    std::this_thread::sleep_for(d);
  };
};

class ExportService {
 public:
  // Everything passed must outlive the service.
  ExportService(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys,
                records::RecordService& records, const Clock& clock, crypto::Random& random,
                ArchivePace pace = {});

  Result<ExportRequest> Request(const identity::Principal& who, std::string_view remit,
                                std::string_view reason, const identity::RequestContext& ctx);
  // An approval runs on the bulk lane, one at a time: it reads, decrypts and seals the records,
  // writes the archive at its pace (a second or more for 10,000 records) and then records the
  // approval. Approve waits for it; ApproveAsync returns at once and hands `done` the outcome, on
  // the lane's thread (for a route that answers without holding a worker meanwhile). Past
  // kMaxApprovalsWaiting asked and not yet answered, more are refused (kUnavailable, audited).
  Result<ExportRequest> Approve(const identity::Principal& who, std::string_view id,
                                const identity::RequestContext& ctx);
  void ApproveAsync(identity::Principal who, std::string id, identity::RequestContext ctx,
                    std::function<void(Result<ExportRequest>)> done);
  // From now on approvals are refused (kUnavailable, audited): those waiting when they reach the
  // lane, the one under way between its parts. Returns at once.
  void RefuseApprovals();
  // Returns once every approval asked for before the call has been answered, and every archive
  // downloaded before it deleted (or, after RefuseApprovals, left to the purge job). A server that
  // has stopped serving calls both before it goes, as the approvals' answers need it.
  void FinishApprovals();
  // Audited as a read ("export.list").
  Result<ExportList> List(const identity::Principal& who, const identity::RequestContext& ctx);
  Result<ExportArchive> Download(const identity::Principal& who, std::string_view id,
                                 const identity::RequestContext& ctx);
  // Audits a request refused before it could be read (a malformed body or query) as an attempt
  // at `action` ("export.list", ...) and returns `error`.
  std::unexpected<Error> RefuseMalformed(const identity::Principal& who, std::string action,
                                         const Error& error, const identity::RequestContext& ctx);
  // Expires unapproved requests and undownloaded archives, and deletes the parts of archives
  // that were never approved (a build cut off by a stop) once their request is no longer pending
  // (called by the purge job).
  Result<int64_t> ExpireDue();

 private:
  // What an approval's archive depends on, read again before the approval is written.
  struct Basis {
    std::string org_id, status, expires_at, remit;
    identity::Account requester;
    identity::Account approver;
    std::string records;  // records::RecordsStamp of the organisation
    bool operator==(const Basis&) const = default;
  };
  // An approval made ready on a reader: the archive sealed under a new key.
  struct Prepared {
    Basis basis;
    int64_t records = 0;
    Bytes wrapped_key;
    Bytes archive;
  };
  // Counts an approval in, or refuses it (audited) past kMaxApprovalsWaiting.
  Result<void> Queue(const identity::Principal& who, std::string_view id,
                     const identity::RequestContext& ctx);
  Result<ExportRequest> ApproveOnLane(const identity::Principal& who, std::string_view id,
                                      const identity::RequestContext& ctx);
  static Error Stopping();
  enum class Written { kWhole, kChanged, kStopping };
  // Writes the prepared archive as the parts of build `build` of export `id`, at the pace; stops
  // early if what it depends on changed, or the service is stopping.
  Result<Written> WriteParts(std::string_view id, const std::string& build,
                             const Prepared& prepared, const std::string& approver_id);
  // Deletes what a build that was not approved wrote (best effort: ExpireDue deletes any left).
  void DropParts(std::string_view id, const std::string& build);
  // Deletes a downloaded archive's parts, one a write, at the pace; on the bulk lane. Stops when
  // the service does (ExpireDue deletes what is left).
  void DeleteParts(const std::string& id, const std::string& build);
  // The one delete of a build's parts, for both of the above (see the .cc).
  static Result<void> DeletePartsOf(store::Transaction& tx, const std::string& id,
                                    const std::string& build, int64_t first, int64_t last);
  static Result<std::optional<Basis>> BasisOf(store::Transaction& tx, std::string_view id,
                                              const std::string& approver_id);
  Result<Prepared> Prepare(store::Transaction& tx, const identity::Principal& who,
                           std::string_view id, audit::Event& ev);
  audit::Event MakeEvent(const identity::Principal& who, std::string action, std::string_view id,
                         const identity::RequestContext& ctx) const;

  store::Store& store_;
  audit::AuditLog& audit_;
  store::KeyStore& keys_;
  records::RecordService& records_;
  const Clock& clock_;
  crypto::Random& random_;
  const ArchivePace pace_;
  std::atomic<int> waiting_{0};  // approvals asked for and not yet answered
  std::atomic<bool> stopping_{false};
  // Approvals run here, at a lower CPU priority than the views beside them (common/bulk_lane.h).
  BulkLane bulk_;
};

}  // namespace strongroom::exports
