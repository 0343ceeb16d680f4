#pragma once
// The first two accounts of an instance: two security officers, two different people, created by
// `strongroom init`. From the first day every action that needs a second person has one, and no
// single person can act alone. Each officer gets a one-time enrolment token (random, 256 bits,
// stored only as its SHA-256, valid 24 hours) with which they set a password and MFA.
//
// There is no other way to create an account outside an approved join request, no default
// password and no break-glass account.

#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "common/clock.h"
#include "common/error.h"
#include "crypto/random.h"
#include "store/key_store.h"
#include "store/store.h"

namespace strongroom::identity {

struct OfficerSpec {
  std::string username;
  std::string name;
  std::string email;
  std::string bpss_verified_on;  // YYYY-MM-DD; "" if not given (production requires it)
};

// A person's email, lower-cased; kInvalidArgument (without echoing it) unless it looks like one.
Result<std::string> CanonicalEmail(std::string_view email);

// Stores a new one-time enrolment token for `account_id` (as its SHA-256 only) inside `tx` and
// returns it, hex-encoded, to be shown once to its owner.
Result<std::string> IssueEnrolmentToken(store::Transaction& tx, crypto::Random& random,
                                        std::string_view account_id, TimePoint expires_at);

// Parses "username,Full Name,email[,YYYY-MM-DD]" as given to `init --officer`: the last, the
// date the person's BPSS was verified, not in the future at `now`.
Result<OfficerSpec> ParseOfficerSpec(std::string_view text, TimePoint now);

struct IssuedEnrolment {
  std::string username;
  std::string token;  // shown once, to the person it belongs to; never stored or logged
  TimePoint expires_at;
};

inline constexpr std::chrono::hours kBootstrapTokenLifetime{24};
inline constexpr int kDefaultAgreedExpiryDays = 90;

// Creates the operator organisation and the two officers. kInvalidArgument unless there are
// exactly two officers who are different people (usernames and emails).
// Also creates the operator organisation's key (it seals the officers' TOTP secrets).
Result<std::vector<IssuedEnrolment>> BootstrapOfficers(store::Store& store, audit::AuditLog& audit,
                                                       store::KeyStore& keys, const Clock& clock,
                                                       crypto::Random& random,
                                                       const std::vector<OfficerSpec>& officers);

}  // namespace strongroom::identity
