#pragma once
// Retention: every record has `retain_until`; past it, the purge job crypto-shreds the record
// (its wrapped data key and ciphertext are deleted, with SQLite's secure_delete overwriting them)
// unless a Retention Order holds it. The job also purges expired sessions, login challenges,
// enrolment tokens and export archives.
//
// Retention Orders (legal holds) are made by a security officer with a reference, a reason, a
// scope (an organisation, and optionally a remit, record ids and descriptors) and a review date.
// While active, the records in scope cannot be deleted or purged. Lifting one needs a second
// security officer: never the one who made it, nor another account of that person. The records
// then fall to the next purge if they are past retention.
//
// Every call is audited; each purged record is its own audit event, in the same transaction as
// its deletion.
//
// Thread-safety: all methods may be called from any thread.

#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "authz/admin.h"
#include "common/clock.h"
#include "crypto/random.h"
#include "identity/auth.h"
#include "store/store.h"

namespace strongroom::retention {

struct OrderInput {
  std::string reference;
  std::string reason;
  std::string org_id;
  std::string remit;                     // "" = every remit
  std::vector<std::string> record_ids;   // empty = every record
  std::vector<std::string> descriptors;  // empty = whatever the labels
  std::string review_on;                 // YYYY-MM-DD, in the future
};

struct Order {
  std::string id;
  std::string reference;
  std::string reason;
  std::string org_id;
  std::string remit;
  std::string record_ids;
  std::string descriptors;
  std::string review_on;
  std::string created_by;
  std::string created_at;
  std::string status;
  std::string lifted_by;
  std::string lifted_at;
};

struct PurgeReport {
  int64_t records = 0;
  int64_t held = 0;  // past retention but held by an order
  int64_t sessions = 0;
  int64_t challenges = 0;
  int64_t enrolment_tokens = 0;
  int64_t devices = 0;    // device cookies unused for 180 days
  int64_t throttles = 0;  // sign-in delays that ended over a day ago
  int64_t export_archives = 0;
  std::vector<std::string> record_ids;  // purged (or, on a dry run, that would be)
};

class RetentionService {
 public:
  // Everything passed must outlive the service.
  RetentionService(store::Store& store, audit::AuditLog& audit, const Clock& clock,
                   crypto::Random& random);

  Result<std::string> CreateOrder(const identity::Principal& officer, const OrderInput& input,
                                  const identity::RequestContext& ctx);
  Result<std::vector<Order>> ListOrders(const identity::Principal& officer,
                                        const identity::RequestContext& ctx);
  Result<void> LiftOrder(const identity::Principal& officer, std::string_view id,
                         std::string_view reason, const identity::RequestContext& ctx);

  // Purges up to `batch` records per transaction until none is left. `dry_run` counts only.
  Result<PurgeReport> Purge(bool dry_run, int batch = 200);

 private:
  audit::Event MakeEvent(const identity::Principal& who, std::string action,
                         std::string_view target_id, const identity::RequestContext& ctx) const;
  std::unexpected<Error> Refuse(audit::Event event, const Error& error);
  // The purge's parts: what is due (and, for a dry run, which), one batch crypto-shredded.
  static std::string DueSql();
  Result<void> CountDue(PurgeReport& report, bool list);
  Result<int64_t> PurgeBatch(int batch);
  audit::Event SystemEvent(std::string action, audit::Target target, std::string reason) const;
  // Whether `who` may take `action` (authz); a refusal is audited on `event`.
  Result<void> Admit(const identity::Principal& who, authz::AdminAction action,
                     audit::Event& event);

  store::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  crypto::Random& random_;
};

}  // namespace strongroom::retention
