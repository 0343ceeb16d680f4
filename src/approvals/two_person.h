#pragma once
// Two people: what someone asks for that needs a second person (a joiner's account, an export of
// records, the lifting of a Retention Order) is decided by someone else. One rule and one state
// machine for all three, so that no workflow can drift from the others.
//
// A request is pending until it is approved, rejected or expires (a Retention Order is "pending"
// its lift while it holds). `Decide` checks, in order (the first failing is the answer):
// 1. the request is pending and not past its expiry: else kFailedPrecondition;
// 2. the decider is active and not past its own expiry (a leaver, a locked or an expired account
//    decides nothing): else kPermissionDenied;
// 3. to approve, the decider is neither the requester nor another account of the requester's
//    person, nor the person the request is about: else kPermissionDenied. A requester may reject
//    (withdraw) their own request.
// Who may decide at all, and in which organisation, is authz's (DecideAdmin), checked before.
// The error's message is for the caller; `Refusal::reason` for the audit event.
//
// Pure functions; safe from any thread.

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/error.h"
#include "identity/account.h"

namespace strongroom::approvals {

enum class State { kPending, kApproved, kRejected, kExpired };
std::string_view Name(State state);

struct Request {
  State state = State::kPending;
  TimePoint expires_at = TimePoint::max();
  std::string requester_account;
  std::string requester_person;
  std::string subject_person;  // whom it is about; "" when nobody (an export, an order)
};

enum class Verdict { kApprove, kReject };

struct Outcome {
  bool allowed = false;
  State next = State::kPending;  // when allowed
  Error error;                   // when not
  std::string reason;            // for the audit event, either way
};

Outcome Decide(const identity::Account& decider, const Request& request, Verdict verdict,
               TimePoint now);

}  // namespace strongroom::approvals
