#pragma once
// Exports need a second person. An export (every record the requester may list, or one remit of
// them) is requested with a reason, and approved by a different person holding `approver` in the
// same organisation: never the requester, never another account of the requester's person.
// Unapproved requests expire after 72 hours.
//
// On approval the archive is built at once from what the requester may see, held encrypted under
// its own key (wrapped by the organisation key; the approver never sees content), and may be
// downloaded once, by the requester only, within 24 hours. The download is the archive encrypted
// with AES-256-GCM (12-byte nonce || ciphertext || 16-byte tag, associated data: the export id in
// UTF-8) and the key, given to the requester with it; both are then deleted from the store.
//
// Every step is audited.
//
// Thread-safety: all methods may be called from any thread.

#include <string>

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

class ExportService {
 public:
  // Everything passed must outlive the service.
  ExportService(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys,
                records::RecordService& records, const Clock& clock, crypto::Random& random);

  Result<ExportRequest> Request(const identity::Principal& who, std::string_view remit,
                                std::string_view reason, const identity::RequestContext& ctx);
  Result<ExportRequest> Approve(const identity::Principal& who, std::string_view id,
                                const identity::RequestContext& ctx);
  // Audited as a read ("export.list").
  Result<ExportList> List(const identity::Principal& who, const identity::RequestContext& ctx);
  Result<ExportArchive> Download(const identity::Principal& who, std::string_view id,
                                 const identity::RequestContext& ctx);
  // Audits a request refused before it could be read (a malformed body or query) as an attempt
  // at `action` ("export.list", ...) and returns `error`.
  std::unexpected<Error> RefuseMalformed(const identity::Principal& who, std::string action,
                                         const Error& error, const identity::RequestContext& ctx);
  // Expires unapproved requests and undownloaded archives (called by the purge job).
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
  // An approval's archive is read, decrypted and sealed here, at a lower CPU priority than the
  // views beside it (common/bulk_lane.h).
  BulkLane bulk_;
};

}  // namespace strongroom::exports
