#include "identity/auth_common.h"

#include <fmt/format.h>

#include "crypto/hash.h"

namespace strongroom::identity {

audit::Event EventFor(const Principal& who, std::string action, std::string target_type,
                      std::string_view target_id, const RequestContext& ctx) {
  audit::Event e;
  e.actor = {who.account.id, who.account.username, std::string(Name(who.account.kind)),
             who.session_id};
  e.source = ctx.source;
  e.action = std::move(action);
  e.target = {std::move(target_type), std::string(target_id.substr(0, 64)), ""};
  e.request_id = ctx.request_id;
  return e;
}

audit::Event AnonymousEvent(std::string action, const RequestContext& ctx) {
  audit::Event e;
  e.actor = {"", "", "anonymous", ""};
  e.source = ctx.source;
  e.action = std::move(action);
  e.target = {"account", "", ""};
  e.request_id = ctx.request_id;
  return e;
}

std::unexpected<Error> NotAuthenticated() {
  return Fail(ErrorCode::kUnauthenticated, "the credentials were not accepted");
}

std::unexpected<Error> RefuseAuthentication(audit::AuditLog& audit, audit::Event event,
                                            std::string reason) {
  event.allowed = false;
  event.reason = std::move(reason);
  event.outcome = "unauthenticated";
  if (auto recorded = audit.Record(std::move(event)); !recorded) {
    return std::unexpected(recorded.error());
  }
  return NotAuthenticated();
}

Bytes HashOf(std::string_view token) {
  const auto d = crypto::Sha256(AsBytes(token));
  return Bytes(d.begin(), d.end());
}

Result<void> AppendSecurityEvent(audit::AuditLog& log, store::Transaction& tx, audit::Event from,
                                 std::string action, std::string reason) {
  from.action = std::move(action);
  from.reason = std::move(reason);
  from.detail.clear();
  RETURN_IF_ERROR(log.Append(tx, std::move(from)));
  return {};
}

std::string WrongListener(Kind kind, Surface reach) {
  return fmt::format("a {} account does not sign in on a listener reaching {}", Name(kind),
                     SurfaceName(reach));
}

bool SignsInAt(Kind kind, Surface reach) {
  switch (kind) {
    case Kind::kStandard:
      return Reaches(reach, Surface::kPublic);
    case Kind::kPrivileged:
      return Reaches(reach, Surface::kAdmin);
    case Kind::kService:
    case Kind::kOperator:
      return false;
  }
  return false;
}

}  // namespace strongroom::identity
