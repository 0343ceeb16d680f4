#include "approvals/two_person.h"

#include "common/names.h"

namespace strongroom::approvals {
namespace {

Outcome Refused(ErrorCode code, std::string message, std::string reason) {
  return {false, State::kPending, Error{code, std::move(message)}, std::move(reason)};
}

}  // namespace

std::string_view Name(State state) {
  static constexpr std::pair<State, std::string_view> kNames[] = {
      {State::kPending, "pending"},
      {State::kApproved, "approved"},
      {State::kRejected, "rejected"},
      {State::kExpired, "expired"},
  };
  return NameIn<State>(kNames, state);
}

Outcome Decide(const identity::Account& decider, const Request& r, Verdict verdict, TimePoint now) {
  if (r.state != State::kPending || r.expires_at <= now) {
    return Refused(
        ErrorCode::kFailedPrecondition, "that request has been decided already or expired",
        r.state == State::kPending ? "expired" : "already " + std::string(Name(r.state)));
  }
  if (decider.status != "active" || decider.expires_at <= now) {
    return Refused(
        ErrorCode::kPermissionDenied, "an inactive account decides nothing",
        "decider's account is " +
            (decider.status == "active" ? std::string("past its expiry") : decider.status));
  }
  if (verdict == Verdict::kApprove) {
    if (decider.id == r.requester_account ||
        (!decider.person_id.empty() && decider.person_id == r.requester_person)) {
      return Refused(ErrorCode::kPermissionDenied,
                     "a second person decides: not the requester, by any of their accounts",
                     "the requester may not approve their own request, by any account");
    }
    if (!r.subject_person.empty() && decider.person_id == r.subject_person) {
      return Refused(ErrorCode::kPermissionDenied, "no one approves a request about themselves",
                     "the decider is the person the request is about");
    }
  }
  return {true,
          verdict == Verdict::kApprove ? State::kApproved : State::kRejected,
          {},
          verdict == Verdict::kApprove ? "a second person approves" : "rejected"};
}

}  // namespace strongroom::approvals
