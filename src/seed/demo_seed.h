#pragma once
// `strongroom seed-demo`: synthetic organisations, people and records for a non-production
// instance, so that it can be tried, tested and demonstrated without live data.
//
// Rules:
// - Refused outright on a production instance (the store's recorded environment, not only the
//   configuration's, is checked), and refused on an instance that already holds demo data.
// - Nothing seeded is real: organisation names say "Demo Supplier", people are "Example"s with
//   addresses under the reserved `.invalid` domain, telephone numbers come from Ofcom's range for
//   drama (01632 960xxx), and every record body carries `"synthetic": true`.
// - No approval is pretended. Seeded accounts are created by the operator who ran the command,
//   without a join request, and each audit event says so ("seed.account.create", actor the
//   operator, reason naming seed-demo and the environment). They start `pending_enrolment` with
//   a one-time enrolment token: each still sets a password and a second factor before signing in.
// - Everything goes through the same writers as the live paths (lifecycle::InsertOrg,
//   lifecycle::InsertAccount, records::InsertRecord), so seeded records are encrypted and bound
//   to the environment like any other, and every row written has its audit event in the same
//   transaction.
// - Content is drawn from a generator seeded by `content_seed`: the same seed gives the same
//   titles, bodies, classifications and labels (identifiers and keys are always fresh).
//
// Thread-safety: one call at a time (it is a maintenance command run with the service stopped).

#include <cstdint>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "common/environment.h"
#include "crypto/random.h"
#include "records/record_service.h"
#include "store/key_store.h"
#include "store/store.h"

namespace strongroom::seed {

inline constexpr int kMaxOrganisations = 26;
inline constexpr int kMinPeoplePerOrganisation = 4;  // an admin, an editor, an approver, a reader
inline constexpr int kMaxPeoplePerOrganisation = 500;
inline constexpr int kMaxRecordsPerOrganisation = 1'000'000;

struct SeedOptions {
  int organisations = 2;
  int people_per_organisation = 6;
  int records_per_organisation = 50;
  uint64_t content_seed = 1;
};

struct SeededAccount {
  std::string organisation;  // its name
  std::string username;
  std::string kind;
  std::string roles;
  std::string remits;
  std::string grants;
  std::string enrolment_token;  // shown once, to the operator, to hand to the tester
  TimePoint token_expires_at{};
};

struct SeedReport {
  int organisations = 0;
  int records = 0;
  std::vector<SeededAccount> accounts;
};

// Seeds `store`, which must have been initialised for `environment` (kFailedPrecondition
// otherwise, and always in production). `progress(done, total)` after each batch of records.
Result<SeedReport> SeedDemo(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys,
                            const Clock& clock, crypto::Random& random, Environment environment,
                            const records::RecordsOptions& records_options,
                            std::string_view operator_name, const SeedOptions& options,
                            const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace strongroom::seed
