#include "exports/export_service.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <limits>

#include "approvals/two_person.h"
#include "authz/admin.h"
#include "common/text.h"
#include "crypto/aead.h"
#include "records/purge.h"

namespace strongroom::exports {
namespace {

std::unexpected<Error> NoSuchExport() { return Fail(ErrorCode::kNotFound, "no such export"); }

// An export request as stored.
struct StoredExport {
  std::string org_id;
  std::string requester_id;
  std::string remit;
  std::string status;  // pending, approved, downloaded or expired
  std::string expires_at;
  std::string archive_expires_at;
  Bytes wrapped_key;
  std::string archive_build;  // the build whose parts are the approved archive
  int64_t record_count = 0;
};

Result<std::optional<StoredExport>> LoadExport(store::Transaction& tx, std::string_view id) {
  ASSIGN_OR_RETURN(
      auto rows,
      tx.Query("SELECT org_id, requester_id, remit, status, expires_at, "
               "COALESCE(archive_expires_at, ''), wrapped_key, COALESCE(archive_build, ''), "
               "COALESCE(record_count, 0) FROM exports WHERE id = ?",
               {std::string(id)}));
  if (rows.empty()) return std::optional<StoredExport>();
  const auto& r = rows.front();
  return StoredExport{r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4),
                      r.Text(5), r.Blob(6), r.Text(7), r.Int(8)};
}

}  // namespace

Result<bool> ApprovedExportSince(store::Transaction& tx, std::string_view account_id,
                                 TimePoint since) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT 1 FROM exports WHERE requester_id = ? AND "
                                       "approved_at > ? LIMIT 1",
                                       {std::string(account_id), FormatRfc3339(since)}));
  return !rows.empty();
}

Result<Bytes> OpenArchive(const ExportArchive& archive, std::string_view id) {
  return crypto::Open(archive.key, archive.ciphertext, AsBytes(id));
}

ExportService::ExportService(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys,
                             records::RecordService& records, const Clock& clock,
                             crypto::Random& random, ArchivePace pace)
    : store_(store),
      audit_(audit),
      keys_(keys),
      records_(records),
      clock_(clock),
      random_(random),
      pace_(std::move(pace)) {}

audit::Event ExportService::MakeEvent(const identity::Principal& who, std::string action,
                                      std::string_view id,
                                      const identity::RequestContext& ctx) const {
  auto e = identity::EventFor(who, std::move(action), "export", id, ctx);
  e.target.org = who.account.org_id;
  return e;
}

Result<ExportRequest> ExportService::Request(const identity::Principal& who, std::string_view remit,
                                             std::string_view reason,
                                             const identity::RequestContext& ctx) {
  const std::string id = "exp-" + random_.RandomHex(8);
  auto event = MakeEvent(who, "export.request", id, ctx);
  event.detail = {{"remit", std::string(remit)}, {"reason", std::string(reason)}};
  const auto now = clock_.Now();
  return audit_.Change<ExportRequest>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<ExportRequest> {
        if (auto p = CheckText(reason, {"reason", 1, 1000}); !p.empty()) {
          return Fail(ErrorCode::kInvalidArgument, p);
        }
        // Only someone who may list records may ask for them in bulk.
        const auto scoped = authz::ScopeForList(who.account, remit, now);
        ev.reason = scoped.decision.reason;
        if (!scoped.decision.allow) {
          return Fail(ErrorCode::kPermissionDenied, "not permitted: " + scoped.decision.reason);
        }
        if (!remit.empty() && scoped.scope.remits.empty()) {
          return Fail(ErrorCode::kInvalidArgument, "remit must be one of yours");
        }
        RETURN_IF_ERROR(tx.Exec(
            "INSERT INTO exports (id, org_id, requester_id, remit, reason, status, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
            {id, who.account.org_id, who.account.id, std::string(remit), std::string(reason),
             FormatRfc3339(now), FormatRfc3339(now + kExportRequestLifetime)}));
        ev.allowed = true;
        return ExportRequest{id, "pending", 0};
      });
}

Result<ExportRequest> ExportService::Approve(const identity::Principal& who, std::string_view id,
                                             const identity::RequestContext& ctx) {
  if (auto queued = Queue(who, id, ctx); !queued) return std::unexpected(queued.error());
  Result<ExportRequest> out = Fail(ErrorCode::kInternal, "the approval did not run");
  bulk_.Run([&] { out = ApproveOnLane(who, id, ctx); });
  --waiting_;
  return out;
}

void ExportService::ApproveAsync(identity::Principal who, std::string id,
                                 identity::RequestContext ctx,
                                 std::function<void(Result<ExportRequest>)> done) {
  if (auto queued = Queue(who, id, ctx); !queued) return done(std::unexpected(queued.error()));
  bulk_.Post([this, who = std::move(who), id = std::move(id), ctx = std::move(ctx),
              done = std::move(done)] {
    Result<ExportRequest> out = Fail(ErrorCode::kInternal, "the approval failed");
    try {
      out = ApproveOnLane(who, id, ctx);
    } catch (...) {
      // Out of memory, say: the caller is answered all the same.
    }
    --waiting_;
    done(std::move(out));
  });
}

Result<void> ExportService::Queue(const identity::Principal& who, std::string_view id,
                                  const identity::RequestContext& ctx) {
  if (waiting_.fetch_add(1) < kMaxApprovalsWaiting) return {};
  --waiting_;
  auto event = MakeEvent(who, "export.approve", id, ctx);
  event.reason = "too many approvals waiting to be built";
  return audit_.Refuse(
      std::move(event),
      {ErrorCode::kUnavailable, "other exports are being built: approve this one again shortly"});
}

void ExportService::RefuseApprovals() { stopping_ = true; }

void ExportService::FinishApprovals() {
  bulk_.Run([] {});  // the lane runs its jobs in order: those before this one are done
}

// The writer only writes: the decision, the read of up to kMaxExportRecords records, their
// decryption and the archive's sealing happen on a reader; the archive's parts are written at the
// pace; the last write then checks that what they depended on (the request, the requester's
// account, the organisation's records) is as it was, and records the approval. If something
// changed in between (found there, or by a re-read while the parts are written), it starts again.
Result<ExportRequest> ExportService::ApproveOnLane(const identity::Principal& who,
                                                   std::string_view id,
                                                   const identity::RequestContext& ctx) {
  constexpr int kAttempts = 3;
  const auto changed_error = [] {
    return Error{ErrorCode::kFailedPrecondition, "the export changed while it was being built"};
  };
  constexpr std::string_view kChangedReason =
      "the request, its requester or the records changed while it was built";
  for (int attempt = 1;; ++attempt) {
    auto event = MakeEvent(who, "export.approve", id, ctx);
    if (stopping_) {
      event.reason = "the service was stopping";
      return audit_.Refuse(std::move(event), Stopping());
    }
    std::optional<Prepared> prepared;
    auto read = store_.Read([&](store::Transaction& tx) -> Result<void> {
      ASSIGN_OR_RETURN(prepared, Prepare(tx, who, id, event));
      return {};
    });
    if (!read) return audit_.Refuse(std::move(event), read.error());
    const std::string build = random_.RandomHex(8);
    bool changed = false;
    Result<ExportRequest> done = std::unexpected(changed_error());
    auto written = WriteParts(id, build, *prepared, who.account.id);
    if (!written) {
      event.reason = "its archive could not be written";
      done = audit_.Refuse(std::move(event), written.error());
    } else if (*written == Written::kStopping) {
      event.reason = "the service was stopping";
      done = audit_.Refuse(std::move(event), Stopping());
    } else if (*written == Written::kChanged) {
      changed = true;
      event.reason = std::string(kChangedReason);
      done = audit_.Refuse(std::move(event), changed_error());
    } else {
      done = audit_.Change<ExportRequest>(
          event, [&](store::Transaction& tx, audit::Event& ev) -> Result<ExportRequest> {
            ASSIGN_OR_RETURN(auto basis, BasisOf(tx, id, who.account.id));
            if (!basis || *basis != prepared->basis) {
              changed = true;
              ev.reason = std::string(kChangedReason);
              return std::unexpected(changed_error());
            }
            const auto now = clock_.Now();
            if (ParseRfc3339(basis->expires_at).value_or(TimePoint{}) <= now) {
              ev.reason = "the request expired while its archive was built";
              return Fail(ErrorCode::kFailedPrecondition, "that export request has expired");
            }
            RETURN_IF_ERROR(tx.Exec(
                "UPDATE exports SET status = 'approved', approved_by = ?, approved_at = ?, "
                "archive_expires_at = ?, record_count = ?, wrapped_key = ?, archive_build = ? "
                "WHERE id = ?",
                {who.account.id, FormatRfc3339(now), FormatRfc3339(now + kExportArchiveLifetime),
                 prepared->records, prepared->wrapped_key, build, std::string(id)}));
            // Another build's parts (one cut off by a stop) are no archive of anyone's.
            RETURN_IF_ERROR(tx.Exec("DELETE FROM export_parts WHERE export_id = ? AND build <> ?",
                                    {std::string(id), build}));
            ev.allowed = true;
            ev.reason = "approver in the organisation, not the requester";
            ev.detail = {{"requester", prepared->basis.requester.id},
                         {"records", std::to_string(prepared->records)}};
            return ExportRequest{std::string(id), "approved", prepared->records};
          });
    }
    if (!done) DropParts(id, build);
    // A refusal that could not be recorded is that error, not a change to build again for.
    if (done || !changed || done.error().code == ErrorCode::kUnavailable) return done;
    if (attempt == kAttempts) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "the export's records kept changing while it was being built: try again");
    }
  }
}

Error ExportService::Stopping() {
  return {ErrorCode::kUnavailable,
          "the service is stopping: approve the export again once it is back"};
}

Result<ExportService::Written> ExportService::WriteParts(std::string_view id,
                                                         const std::string& build,
                                                         const Prepared& prepared,
                                                         const std::string& approver_id) {
  const Bytes& archive = prepared.archive;
  const size_t size = std::max<size_t>(1, pace_.part_bytes);
  const int64_t check_every = std::max(1, pace_.check_every);
  std::chrono::nanoseconds last{0};
  int64_t part = 0;
  for (size_t at = 0; at < archive.size(); at += size, ++part) {
    if (part > 0) {
      pace_.pause(last * pace_.pause_factor);
      if (stopping_) return Written::kStopping;
    }
    // Now and then, what the archive depends on is read again: a build that can no longer be
    // approved stops writing at once.
    if (part > 0 && part % check_every == 0) {
      ASSIGN_OR_RETURN(auto basis,
                       store::ReadValue<std::optional<Basis>>(store_, [&](store::Transaction& tx) {
                         return BasisOf(tx, id, approver_id);
                       }));
      if (!basis || *basis != prepared.basis) return Written::kChanged;
    }
    const auto started = std::chrono::steady_clock::now();
    const auto end = archive.begin() + static_cast<ptrdiff_t>(std::min(archive.size(), at + size));
    RETURN_IF_ERROR(store_.Write([&](store::Transaction& tx) -> Result<void> {
      RETURN_IF_ERROR(
          tx.Exec("INSERT INTO export_parts (export_id, build, part, data) VALUES (?, ?, ?, ?)",
                  {std::string(id), build, part,
                   Bytes(archive.begin() + static_cast<ptrdiff_t>(at), end)}));
      return {};
    }));
    last = std::chrono::steady_clock::now() - started;
  }
  return Written::kWhole;
}

// Deletes parts `first` to `last` of build `build` of export `id`, unless the export names that
// build as its archive: a commit whose outcome was unknown (a connection lost as it committed) may
// have approved a build that looked refused.
Result<void> ExportService::DeletePartsOf(store::Transaction& tx, const std::string& id,
                                          const std::string& build, int64_t first, int64_t last) {
  RETURN_IF_ERROR(
      tx.Exec("DELETE FROM export_parts WHERE export_id = ? AND build = ? AND part BETWEEN ? AND "
              "? AND NOT EXISTS (SELECT 1 FROM exports WHERE id = ? AND archive_build = ?)",
              {id, build, first, last, id, build}));
  return {};
}

void ExportService::DropParts(std::string_view id, const std::string& build) {
  (void)store_.Write([&](store::Transaction& tx) -> Result<void> {
    return DeletePartsOf(tx, std::string(id), build, 0, std::numeric_limits<int64_t>::max());
  });
}

Result<std::optional<ExportService::Basis>> ExportService::BasisOf(store::Transaction& tx,
                                                                   std::string_view id,
                                                                   const std::string& approver_id) {
  ASSIGN_OR_RETURN(auto e, LoadExport(tx, id));
  if (!e) return std::optional<Basis>();
  ASSIGN_OR_RETURN(auto requester, identity::LoadAccount(tx, e->requester_id));
  ASSIGN_OR_RETURN(auto approver, identity::LoadAccount(tx, approver_id));
  if (!requester || !approver) return std::optional<Basis>();
  ASSIGN_OR_RETURN(auto records, records::RecordsStamp(tx, e->org_id));
  return Basis{e->org_id,
               e->status,
               e->expires_at,
               e->remit,
               std::move(*requester),
               std::move(*approver),
               std::move(records)};
}

Result<ExportService::Prepared> ExportService::Prepare(store::Transaction& tx,
                                                       const identity::Principal& who,
                                                       std::string_view id, audit::Event& ev) {
  const auto now = clock_.Now();
  ASSIGN_OR_RETURN(auto e, LoadExport(tx, id));
  // The approver and the requester as the store has them now (the write checks they are still
  // so): what the requester may see is what the archive holds.
  ASSIGN_OR_RETURN(auto basis, BasisOf(tx, id, who.account.id));
  const auto may =
      !e ? authz::Decision{false, true, "no such export"}
      : !basis
          ? authz::Decision{false, false, "the requester's or approver's account cannot be read"}
          : authz::DecideAdmin(basis->approver, authz::AdminAction::kExportApprove,
                               {e->org_id, {}, "", {}}, now);
  ev.reason = may.reason;
  if (may.hidden) return NoSuchExport();
  if (!basis) {
    return Fail(ErrorCode::kFailedPrecondition,
                "the export's requester or approver cannot be read");
  }
  if (!may.allow) return Fail(ErrorCode::kPermissionDenied, "not permitted: " + may.reason);
  const auto& subject = basis->requester;
  const auto two = approvals::Decide(
      basis->approver,
      {e->status == "pending" ? approvals::State::kPending : approvals::State::kApproved,
       ParseRfc3339(e->expires_at).value_or(TimePoint{}), subject.id, subject.person_id},
      approvals::Verdict::kApprove, now);
  if (!two.allowed) {
    ev.reason = two.reason;
    return std::unexpected(two.error);
  }
  ASSIGN_OR_RETURN(auto records, records_.ReadForExport(tx, subject, e->remit, kMaxExportRecords));
  // Each record's body goes in as stored, the text that was checked when it was written: parsed
  // again here, Boost.JSON 1.81 would read some numbers a little off (http/json.cc).
  boost::json::object head{{"export", std::string(id)}, {"organisation", who.account.org_id}};
  std::string plain = boost::json::serialize(head);
  plain.pop_back();  // the closing brace: the records follow
  plain += ",\"records\":[";
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    boost::json::array descriptors;
    for (const auto& d : r.summary.descriptors) descriptors.emplace_back(d);
    const boost::json::object item{{"id", r.summary.id},
                                   {"remit", r.summary.remit},
                                   {"title", r.summary.title},
                                   {"classification", r.summary.classification},
                                   {"descriptors", std::move(descriptors)},
                                   {"version", r.summary.version},
                                   {"created_at", r.summary.created_at},
                                   {"updated_at", r.summary.updated_at},
                                   {"retain_until", r.summary.retain_until}};
    if (i > 0) plain += ',';
    plain += boost::json::serialize(item);
    plain.pop_back();
    plain += ",\"body\":";
    plain += r.body_json;
    plain += '}';
  }
  plain += "]}";
  ASSIGN_OR_RETURN(auto key, keys_.NewRecordKey(tx, who.account.org_id, id));
  ASSIGN_OR_RETURN(auto sealed, crypto::Seal(key.key, AsBytes(plain), AsBytes(id), random_));
  return Prepared{std::move(*basis), static_cast<int64_t>(records.size()), std::move(key.wrapped),
                  std::move(sealed)};
}

std::unexpected<Error> ExportService::RefuseMalformed(const identity::Principal& who,
                                                      std::string action, const Error& error,
                                                      const identity::RequestContext& ctx) {
  auto event = MakeEvent(who, std::move(action), "", ctx);
  event.reason = "invalid input: " + error.message;
  return audit_.Refuse(std::move(event), error);
}

Result<ExportList> ExportService::List(const identity::Principal& who,
                                       const identity::RequestContext& ctx) {
  auto event = MakeEvent(who, "export.list", "", ctx);
  const auto now = clock_.Now();
  return audit_.Observe<ExportList>(
      std::move(event), [&](store::Transaction& tx, audit::Event& ev) -> Result<ExportList> {
        static const std::string kColumns =
            "SELECT e.id, a.username, e.remit, e.reason, e.status, e.created_at, e.expires_at, "
            "COALESCE(e.archive_expires_at, ''), COALESCE(e.record_count, 0) FROM exports e "
            "JOIN accounts a ON a.id = e.requester_id ";
        const auto read = [&](const std::string& where, store::Params params,
                              bool mine) -> Result<std::vector<ExportSummary>> {
          ASSIGN_OR_RETURN(auto rows, tx.Query(kColumns + where, std::move(params)));
          std::vector<ExportSummary> out;
          for (const auto& r : rows) {
            out.push_back({r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5),
                           r.Text(6), r.Text(7), r.Int(8), mine});
          }
          return out;
        };
        const auto limit =
            " ORDER BY e.created_at DESC, e.id LIMIT " + std::to_string(kMaxListedExports);
        ExportList list;
        ASSIGN_OR_RETURN(list.mine,
                         read("WHERE e.requester_id = ?" + limit, {who.account.id}, true));
        const auto may = authz::DecideAdmin(who.account, authz::AdminAction::kExportApprove,
                                            {who.account.org_id, {}, "", {}}, now);
        ev.reason = may.allow ? "the requester's own, and those to approve" : "the requester's own";
        if (may.allow) {
          // Another person's (approvals::Decide refuses any account of the caller's person).
          ASSIGN_OR_RETURN(
              list.to_approve,
              read("WHERE e.org_id = ? AND e.status = 'pending' AND e.expires_at > ? "
                   "AND e.requester_id <> ? AND a.person_id <> ?" +
                       limit,
                   {who.account.org_id, FormatRfc3339(now), who.account.id, who.account.person_id},
                   false));
        }
        ev.allowed = true;
        ev.detail = {{"mine", std::to_string(list.mine.size())},
                     {"to_approve", std::to_string(list.to_approve.size())}};
        return list;
      });
}

// The writer only writes: the archive (10 MB for 10,000 records) is read on a reader, and the
// write checks that it is still this requester's approved archive of that build as it takes the
// archive's key away with the answer: from then on the archive cannot be opened. Its parts are
// then deleted on the bulk lane a part at a time, at the pace: secure_delete writes each over, and
// all at once that was 10 MB for the disk in one burst. Any a stop leaves, the purge job deletes.
Result<ExportArchive> ExportService::Download(const identity::Principal& who, std::string_view id,
                                              const identity::RequestContext& ctx) {
  auto event = MakeEvent(who, "export.download", id, ctx);
  std::string build;
  Bytes ciphertext;
  auto read = store_.Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto e, LoadExport(tx, id));
    // Anything else is refused by the write below, which decides.
    if (!e || e->requester_id != who.account.id || e->status != "approved") return {};
    ASSIGN_OR_RETURN(auto parts,
                     tx.Query("SELECT data FROM export_parts WHERE export_id = ? AND build = ? "
                              "ORDER BY part",
                              {std::string(id), e->archive_build}));
    build = e->archive_build;
    for (const auto& p : parts) {
      const auto data = p.Blob(0);
      ciphertext.insert(ciphertext.end(), data.begin(), data.end());
    }
    return {};
  });
  if (!read) return audit_.Refuse(std::move(event), read.error());
  const auto now = FormatRfc3339(clock_.Now());
  auto out = audit_.Change<ExportArchive>(
      event, [&](store::Transaction& tx, audit::Event& ev) -> Result<ExportArchive> {
        ASSIGN_OR_RETURN(auto e, LoadExport(tx, id));
        if (!e || e->requester_id != who.account.id) {
          ev.reason = "absent, or not the requester's";
          return NoSuchExport();
        }
        if (e->status != "approved" || e->archive_expires_at <= now) {
          ev.reason = e->status == "downloaded" ? "downloaded already" : "not approved, or expired";
          return Fail(ErrorCode::kFailedPrecondition,
                      "that export is not ready, or has been downloaded or expired");
        }
        if (e->archive_build != build) {  // approved between the read and this write
          ev.reason = "approved while it was read";
          return Fail(ErrorCode::kFailedPrecondition,
                      "that export was approved as it was being read: download it again");
        }
        if (ciphertext.empty()) {
          return Fail(ErrorCode::kDataLoss, "the export's archive is missing");
        }
        ASSIGN_OR_RETURN(auto key, keys_.OpenRecordKey(tx, e->org_id, id, e->wrapped_key));
        // Once: the archive's key leaves the store with this answer.
        RETURN_IF_ERROR(
            tx.Exec("UPDATE exports SET status = 'downloaded', wrapped_key = NULL, "
                    "archive_build = NULL WHERE id = ?",
                    {std::string(id)}));
        ev.allowed = true;
        ev.reason = "the requester, once";
        ev.detail["records"] = std::to_string(e->record_count);
        return ExportArchive{std::move(ciphertext), std::move(key), e->record_count};
      });
  if (out) {
    bulk_.Post([this, id = std::string(id), build] { DeleteParts(id, build); });
  }
  return out;
}

void ExportService::DeleteParts(const std::string& id, const std::string& build) {
  auto last = store::ReadValue<int64_t>(store_, [&](store::Transaction& tx) -> Result<int64_t> {
    ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT COALESCE(MAX(part), -1) FROM export_parts WHERE "
                                         "export_id = ? AND build = ?",
                                         {id, build}));
    return rows.front().Int(0);
  });
  if (!last) return;  // the purge job deletes them
  std::chrono::nanoseconds took{0};
  for (int64_t part = 0; part <= *last; ++part) {
    if (part > 0) pace_.pause(took * pace_.pause_factor);
    if (stopping_) return;  // the purge job deletes the rest
    const auto started = std::chrono::steady_clock::now();
    auto deleted = store_.Write(
        [&](store::Transaction& tx) { return DeletePartsOf(tx, id, build, part, part); });
    if (!deleted) return;
    took = std::chrono::steady_clock::now() - started;
  }
}

Result<int64_t> ExportService::ExpireDue() {
  const auto now = FormatRfc3339(clock_.Now());
  int64_t n = 0;
  RETURN_IF_ERROR(store_.Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto a, tx.Exec("UPDATE exports SET status = 'expired' WHERE status = "
                                     "'pending' AND expires_at <= ?",
                                     {now}));
    ASSIGN_OR_RETURN(auto b, tx.Exec("UPDATE exports SET status = 'expired', wrapped_key = NULL, "
                                     "archive_build = NULL WHERE status = 'approved' AND "
                                     "archive_expires_at <= ?",
                                     {now}));
    // The expired archives' parts; any build's that was never approved (cut off by a stop), once
    // its request is no longer pending; and any parts of a downloaded archive that a stop left.
    ASSIGN_OR_RETURN(auto c, tx.Exec("DELETE FROM export_parts WHERE NOT EXISTS (SELECT 1 FROM "
                                     "exports e WHERE e.id = export_parts.export_id AND "
                                     "(e.status = 'pending' OR e.archive_build = "
                                     "export_parts.build))"));
    n = a + b;
    if (n == 0 && c == 0) return {};
    auto event =
        audit::SystemEvent("export.expire", {"export", "", ""},
                           n > 0 ? "unapproved after 72 hours, or not downloaded within 24 hours"
                                 : "the parts of an archive no longer held (never approved, or "
                                   "downloaded and not yet deleted)");
    event.detail = {{"requests", std::to_string(a)},
                    {"archives", std::to_string(b)},
                    {"parts", std::to_string(c)}};
    RETURN_IF_ERROR(audit_.Append(tx, event));
    return {};
  }));
  return n;
}

}  // namespace strongroom::exports
