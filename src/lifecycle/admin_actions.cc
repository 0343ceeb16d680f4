#include "lifecycle/admin_actions.h"

namespace strongroom::lifecycle {

audit::Event AdminActions::MakeEvent(const identity::Principal& admin, std::string action,
                                     std::string target_type, std::string_view target_id,
                                     const identity::RequestContext& ctx) const {
  return identity::EventFor(admin, std::move(action), std::move(target_type), target_id, ctx);
}

std::unexpected<Error> AdminActions::Refuse(audit::Event event, const Error& error) {
  return d_.audit.Refuse(std::move(event), error);
}

Result<void> AdminActions::Admit(const identity::Principal& admin, authz::AdminAction action,
                                 audit::Event& event) {
  const auto d = authz::DecideAdmin(admin.account, action, {}, d_.clock.Now());
  if (!d.allow) {
    event.reason = d.reason;
    return Refuse(event, {ErrorCode::kPermissionDenied, "not permitted: " + d.reason});
  }
  if (authz::RuleFor(action).fresh_second_factor) {
    if (auto fresh = d_.sessions.RequireRecentMfa(admin); !fresh) {
      event.reason = "second factor not fresh";
      return Refuse(event, fresh.error());
    }
  }
  return {};
}

Result<std::string> AdminActions::AdmitIn(const identity::Principal& admin,
                                          authz::AdminAction action, std::string_view org_id,
                                          audit::Event& event) {
  const auto d =
      authz::DecideAdmin(admin.account, action, {std::string(org_id), {}, "", {}}, d_.clock.Now());
  if (d.allow) return d.reason;
  event.reason = d.reason;
  return Refuse(event, {d.hidden ? ErrorCode::kNotFound : ErrorCode::kPermissionDenied,
                        d.hidden ? "no such organisation" : "not permitted: " + d.reason});
}

Result<void> AdminActions::AdmitOn(const identity::Principal& admin, authz::AdminAction action,
                                   const identity::Account& target, audit::Event& event) {
  const auto d = authz::DecideAdmin(admin.account, action,
                                    {target.org_id, target.kind, target.id, {}}, d_.clock.Now());
  event.reason = d.reason;
  if (d.allow) return {};
  if (d.hidden) return Fail(ErrorCode::kNotFound, "no such user");
  return Fail(ErrorCode::kPermissionDenied, "not permitted: " + d.reason);
}

}  // namespace strongroom::lifecycle
