#pragma once
// The one access decision for record content: `Decide(subject, action, resource, now)`.
//
// Policy, deny by default, checked in this order (the first failing rule is the reason):
// 1. the account must be `active` and not past `expires_at`;
// 2. privileged and service accounts never view, list or change record content;
// 3. the account must hold `reader` or `editor` (`approver` alone grants no record access);
// 4. the record's organisation must be the account's, and its remit one of the account's remits;
// 5. `OFFICIAL-SENSITIVE` needs the `OFFICIAL-SENSITIVE` grant, and each descriptor its own grant;
// 6. the role must allow the action: `reader` views and lists; `editor` also creates, updates and
//    deletes.
// A denial from rules 4 and 5 on an existing record is `hidden`: the caller is told "not found",
// exactly as for a record that does not exist, so refusals never confirm that something exists.
// Rule 6 comes after them for the same reason: a reader asking to change a record they cannot
// see is told "not found", not "readers may not change records". Rules 1 to 3 depend on the
// subject alone (`DecideSubject`) and are checked before a record is looked up, so their refusal
// is the same whether or not the record exists.
//
// `ScopeForList` is the same policy as a filter: list queries put it inside their SQL, so hidden
// records are never fetched, counted or paged over.
//
// Pure functions: they read nothing and keep no state; safe from any thread.

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "identity/account.h"

namespace strongroom::authz {

enum class Action { kView, kList, kCreate, kUpdate, kDelete };
std::string_view ActionName(Action action);

inline constexpr std::string_view kSensitive = "OFFICIAL-SENSITIVE";

// Who is asking: the account as Authenticate gave it, typed and parsed once per request.
using Subject = identity::Account;

struct Resource {
  std::string org_id;
  std::string remit;
  std::string classification;  // "OFFICIAL" or "OFFICIAL-SENSITIVE"
  std::vector<std::string> descriptors;
};

struct Decision {
  bool allow = false;
  bool hidden = false;  // denied because of where or what the record is: answer "not found"
  std::string reason;
};

Decision Decide(const Subject& subject, Action action, const Resource& resource, TimePoint now);

// Rules 1 to 3 alone: whether `subject` may touch record content at all. Callers decide this
// before looking a record up, so that those who never may get one answer whether or not the
// record exists, and cannot learn which ids do.
Decision DecideSubject(const Subject& subject, TimePoint now);

// What a subject may list: records of `org_id` in one of `remits`, sensitive ones only if
// `sensitive`, and only those whose every descriptor is in `grants`.
struct ListScope {
  std::string org_id;
  std::vector<std::string> remits;
  bool sensitive = false;
  std::vector<std::string> grants;
};

struct ScopeDecision {
  Decision decision;
  ListScope scope;  // meaningful only when decision.allow
};

// `remit` narrows the list to one remit ("" = all of the subject's remits); a remit the subject
// does not hold gives an empty scope, not an error, so a list never tells whether a remit exists.
ScopeDecision ScopeForList(const Subject& subject, std::string_view remit, TimePoint now);

}  // namespace strongroom::authz
