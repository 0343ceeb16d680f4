#pragma once
// Case records: held encrypted, shown to each person only as far as their organisation, remit and
// grants allow (authz::Decide), every view, list and change audited.
//
// Guarantees:
// - Title and body are sealed with the record's own data key (wrapped by the organisation key),
//   each bound by its AAD to (environment, organisation, record, version, part). No plaintext of
//   either reaches the database.
// - Every call, allowed or refused, is one audit event naming the actor, the record and the
//   decision's reason. A change commits in the same transaction as its event; a view or list
//   returns data only once its event is durable. If the event cannot be written the call fails
//   with kUnavailable and nothing is changed or returned.
// - A record outside the caller's organisation, remit or grants is kNotFound, exactly as a record
//   that does not exist. Lists filter inside the SQL query: hidden records are never read.
// - Updates and deletes name the version they replace; a stale one is kFailedPrecondition.
//
// Thread-safety: all methods may be called from any thread.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "authz/authz.h"
#include "common/clock.h"
#include "common/config.h"
#include "crypto/random.h"
#include "identity/auth.h"
#include "store/key_store.h"
#include "store/store.h"

namespace strongroom::records {

inline constexpr size_t kMaxTitleChars = 200;
inline constexpr size_t kMaxBodyBytes = 256 * 1024;
inline constexpr int kMaxListLimit = 100;

struct RecordsOptions {
  std::vector<std::string> descriptors = {"PERSONAL", "COMMERCIAL", "LOCSEN"};
  std::chrono::days retention_official{2555};
  std::chrono::days retention_sensitive{2555};
  // Records one account may list in 24 hours before it needs an approved export.
  int64_t export_threshold = 500;
  // Whether the account has had an export approved since a time, inside the caller's
  // transaction: the exports module, which owns exports, answers (exports/export_service.h).
  // Unset, the answer is no, and the cap holds.
  std::function<Result<bool>(store::Transaction&, std::string_view account_id, TimePoint since)>
      approved_export_since;
};

// What a caller sends to create (all fields) or update (no remit) a record.
struct RecordInput {
  std::string remit;
  std::string title;
  std::string classification;
  std::vector<std::string> descriptors;
  std::string body_json;  // one JSON object, serialised; stored and returned as it is
  std::optional<TimePoint> retain_until;
};

struct RecordSummary {
  std::string id;
  std::string remit;
  std::string title;
  std::string classification;
  std::vector<std::string> descriptors;
  int64_t version = 0;
  std::string created_at;
  std::string updated_at;
  std::string retain_until;
  std::string author;  // account id
};

struct Record {
  RecordSummary summary;
  std::string body_json;
};

struct Written {
  std::string id;
  int64_t version = 0;
};

struct ListPage {
  std::vector<RecordSummary> items;
  std::string next_cursor;  // "" at the end
};

// The options as configured in [records].
RecordsOptions OptionsFrom(const RecordsConfig& config);

// `input.retain_until`, else `now` plus the retention period of its classification.
TimePoint RetainUntil(const RecordsOptions& options, const RecordInput& input, TimePoint now);

// A new record's id: "rec-", then 12 hex digits of `now` in milliseconds since the epoch (the
// lower 48 bits), then 20 random hex digits (80 bits: ids are still not to be guessed). Ids made
// one after the other sort one after the other, so a new record's index entries go at the end of
// each index instead of onto a random page: a batch of creates writes a few pages, not several
// per record. The time it says is when the record was made (its `created_at`, to within the
// write's wait), which whoever can see the record sees anyway.
std::string NewRecordId(TimePoint now, crypto::Random& random);

// A new record's first version as it is stored: a fresh data key wrapped by the organisation
// key, and title and body sealed under it.
struct SealedNew {
  Bytes wrapped_key;
  Bytes title;
  Bytes body;
};
// Seals `input` as record `id`'s version 1. `tx` may be a read: it is used only to load the
// organisation key the first time.
Result<SealedNew> SealNewRecord(store::Transaction& tx, store::KeyStore& keys, std::string_view id,
                                std::string_view org_id, const RecordInput& input);

// The one place a new record is written: its sealed first version (SealNewRecord), labels and
// descriptors. The checks (who may, valid input) and the audit event are the caller's.
Result<void> InsertRecord(store::Transaction& tx, std::string_view id, std::string_view org_id,
                          std::string_view author, const RecordInput& labels,
                          const SealedNew& sealed, TimePoint retain_until, TimePoint now);
// Both, in one write transaction.
Result<void> InsertRecord(store::Transaction& tx, store::KeyStore& keys, std::string_view id,
                          std::string_view org_id, std::string_view author,
                          const RecordInput& input, TimePoint retain_until, TimePoint now);

// The policy's view of an account.

class RecordService {
 public:
  // Everything passed must outlive the service.
  RecordService(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys,
                const Clock& clock, crypto::Random& random, RecordsOptions options = {});

  const RecordsOptions& options() const { return options_; }

  Result<Written> Create(const identity::Principal& who, const RecordInput& input,
                         const identity::RequestContext& ctx);
  // As Create, without waiting for the write: the decision and the sealing happen on the calling
  // thread, then the insert and its event are queued for the store's writer. `done` runs once
  // they are durable, or refused, on a writer thread (audit_log.h's ChangeAsync), or at once on
  // the calling thread when refused before the write: it must be short and take no lock the
  // caller may hold. `who`, `input` and `ctx` are not used after the call returns.
  void CreateAsync(const identity::Principal& who, const RecordInput& input,
                   const identity::RequestContext& ctx, std::function<void(Result<Written>)> done);
  Result<Record> Get(const identity::Principal& who, std::string_view id,
                     const identity::RequestContext& ctx);
  // As Get, without waiting for the audit event: `answer` makes what is to be sent from the
  // record at once, on the calling thread once the read is over (its failure is the view's), and
  // `done` gets that, or the refusal, on the journal's writer thread once the event is durable.
  // So `done` must be short: it sends what `answer` made (work done there would hold up every
  // event behind it).
  template <typename A>
  void GetAsync(const identity::Principal& who, std::string_view id,
                const identity::RequestContext& ctx, const std::function<Result<A>(Record)>& answer,
                std::function<void(Result<A>)> done) {
    const auto& subject = who.account;
    audit_.ObserveAsync<Record, A>(
        MakeEvent(who, "record.view", id, ctx),
        [&](store::Transaction& tx, audit::Event& ev) { return View(tx, subject, id, ev); }, answer,
        std::move(done));
  }
  Result<Written> Update(const identity::Principal& who, std::string_view id,
                         int64_t expected_version, const RecordInput& input,
                         const identity::RequestContext& ctx);
  Result<void> Delete(const identity::Principal& who, std::string_view id, int64_t expected_version,
                      const identity::RequestContext& ctx);
  // `remit` "" = every remit of the caller; `cursor` "" = from the start; limit 1..100.
  Result<ListPage> List(const identity::Principal& who, std::string_view remit, int limit,
                        std::string_view cursor, const identity::RequestContext& ctx);

  // Every record `requester` may list (optionally in one remit), with bodies, for an approved
  // export; inside the caller's transaction (the caller audits). kResourceExhausted over `max`.
  Result<std::vector<Record>> ReadForExport(store::Transaction& tx, const authz::Subject& requester,
                                            std::string_view remit, size_t max);

  // Audits a request that was refused before it could be read (a malformed body or header) as
  // an attempt at `action` ("record.create", ...) and returns `error`.
  std::unexpected<Error> RefuseMalformed(const identity::Principal& who, std::string action,
                                         std::string_view id, const Error& error,
                                         const identity::RequestContext& ctx);

 private:
  struct Stored;
  audit::Event MakeEvent(const identity::Principal& who, std::string action, std::string_view id,
                         const identity::RequestContext& ctx) const;
  Result<void> Validate(const RecordInput& input, bool with_remit) const;
  // Audits a request refused before any data was read (bad input).
  std::unexpected<Error> RefuseInput(audit::Event event, const Error& error);
  Result<std::optional<Stored>> Load(store::Transaction& tx, std::string_view id);
  // The record `subject` asks for, once authz has admitted the subject at all; "not found" (and
  // the reason on `ev`) if there is none.
  Result<Stored> Find(store::Transaction& tx, const authz::Subject& subject, std::string_view id,
                      audit::Event& ev);
  // The read half of Get: load, decide, decrypt; fills in the event.
  Result<Record> View(store::Transaction& tx, const authz::Subject& subject, std::string_view id,
                      audit::Event& ev);
  // One page of the records in `scope` after `cursor`; with `full`, also their bodies.
  Result<ListPage> ReadScope(store::Transaction& tx, const authz::ListScope& scope,
                             std::string_view cursor, int limit, std::vector<Record>* full);

  store::Store& store_;
  audit::AuditLog& audit_;
  store::KeyStore& keys_;
  const Clock& clock_;
  crypto::Random& random_;
  const RecordsOptions options_;
};

}  // namespace strongroom::records
