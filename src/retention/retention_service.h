#pragma once
// Retention Orders. Every record has `retain_until`; past it, the purge job (records/purge.h)
// crypto-shreds the record unless a Retention Order holds it (holds.h).
//
// Retention Orders (legal holds) are made by a security officer with a reference, a reason, a
// scope (an organisation, and optionally a remit, record ids and descriptors) and a review date.
// While active, the records in scope cannot be deleted or purged. Lifting one needs a second
// security officer: never the one who made it, nor another account of that person. The records
// then fall to the next purge if they are past retention.
//
// Every call is audited.
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

 private:
  audit::Event MakeEvent(const identity::Principal& who, std::string action,
                         std::string_view target_id, const identity::RequestContext& ctx) const;
  std::unexpected<Error> Refuse(audit::Event event, const Error& error);
  // Whether `who` may take `action` (authz); a refusal is audited on `event`.
  Result<void> Admit(const identity::Principal& who, authz::AdminAction action,
                     audit::Event& event);

  store::Store& store_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  crypto::Random& random_;
};

}  // namespace strongroom::retention
