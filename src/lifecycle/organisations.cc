#include "lifecycle/organisations.h"

#include <fmt/format.h>

#include "common/text.h"
#include "lifecycle/rules.h"

namespace strongroom::lifecycle {
namespace {

Result<void> CheckCertificate(std::string_view what, const Certificate& c, TimePoint now) {
  if (auto p = CheckText(c.reference, {what, 1, 100}); !p.empty()) return Invalid(p);
  const auto expires = ParseDate(c.expires_on);
  if (!expires) return Invalid(fmt::format("{} expiry must be a date YYYY-MM-DD", what));
  if (*expires <= now) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("the {} certificate has lapsed: an organisation is activated only "
                            "with current certificates",
                            what));
  }
  return {};
}

Result<void> CheckCertificates(const Certificate& iso27001,
                               const Certificate& cyber_essentials_plus, TimePoint now) {
  RETURN_IF_ERROR(CheckCertificate("iso27001", iso27001, now));
  return CheckCertificate("cyber_essentials_plus", cyber_essentials_plus, now);
}

}  // namespace

Result<bool> RemitExists(store::Transaction& tx, std::string_view org_id, std::string_view name) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT 1 FROM remits WHERE org_id = ? AND name = ?",
                                       {std::string(org_id), std::string(name)}));
  return !rows.empty();
}

Result<void> InsertRemit(store::Transaction& tx, std::string_view org_id, std::string_view name,
                         TimePoint now) {
  RETURN_IF_ERROR(tx.Exec("INSERT INTO remits (org_id, name, created_at) VALUES (?, ?, ?)",
                          {std::string(org_id), std::string(name), FormatRfc3339(now)}));
  return {};
}

Result<std::vector<Remit>> ListRemits(store::Transaction& tx, std::string_view org_id) {
  ASSIGN_OR_RETURN(auto rows,
                   tx.Query("SELECT name, created_at FROM remits WHERE org_id = ? ORDER BY name",
                            {std::string(org_id)}));
  std::vector<Remit> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back({r.Text(0), r.Text(1)});
  return out;
}

Result<Org> Organisations::Create(const identity::Principal& admin, const OrgInput& input,
                                  const identity::RequestContext& ctx) {
  const std::string id = "org-" + d_.random.RandomHex(8);
  auto event = MakeEvent(admin, "admin.org.create", "org", id, ctx);
  event.target.org = id;
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kOrgCreate, event));
  const auto now = d_.clock.Now();
  auto check = [&]() -> Result<void> {
    if (auto p = CheckText(input.name, {"name", 1, 200}); !p.empty()) return Invalid(p);
    if (input.agreed_expiry_days < 1 || input.agreed_expiry_days > kMaxAgreedExpiryDays) {
      return Invalid("agreed_expiry_days must be from 1 to 365");
    }
    return lifecycle::CheckCertificates(input.iso27001, input.cyber_essentials_plus, now);
  };
  if (auto ok = check(); !ok) return Refuse(event, ok.error());
  event.detail["name"] = input.name;
  event.allowed = true;
  event.reason = "security officer";
  return d_.audit.Change<Org>(event, [&](store::Transaction& tx) -> Result<Org> {
    ASSIGN_OR_RETURN(auto taken, identity::OrgNameTaken(tx, input.name));
    if (taken) return Fail(ErrorCode::kAlreadyExists, "an organisation of that name exists");
    return identity::InsertOrg(tx, d_.keys, id, input, now);
  });
}

Result<std::vector<Org>> Organisations::List(const identity::Principal& admin,
                                             const identity::RequestContext& ctx,
                                             int lapsing_within_days) {
  auto event = MakeEvent(admin, "admin.org.list", "org", "", ctx);
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kOrgList, event));
  identity::OrgFilter filter;
  filter.id = authz::ListedOrganisation(admin.account);
  event.allowed = true;
  event.reason =
      filter.id.empty() ? "security officer: every organisation" : "org admin: own organisation";
  if (lapsing_within_days >= 0) {
    filter.lapsing_by =
        FormatRfc3339(d_.clock.Now() + std::chrono::days(lapsing_within_days)).substr(0, 10);
  }
  return d_.audit.Observe<std::vector<Org>>(
      event, [&](store::Transaction& tx) { return identity::ListOrgs(tx, filter); });
}

Result<audit::Event> Organisations::ReadIn(const identity::Principal& admin,
                                           authz::AdminAction action, std::string_view org_id,
                                           const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, std::string(authz::RuleFor(action).name), "org", org_id, ctx);
  event.target.org = std::string(org_id.substr(0, 64));
  RETURN_IF_ERROR(Admit(admin, action, event));
  ASSIGN_OR_RETURN(event.reason, AdmitIn(admin, action, org_id, event));
  event.allowed = true;
  return event;
}

Result<Org> Organisations::Find(const identity::Principal& admin, std::string_view org_id,
                                const identity::RequestContext& ctx) {
  ASSIGN_OR_RETURN(auto event, ReadIn(admin, authz::AdminAction::kOrgList, org_id, ctx));
  return d_.audit.Observe<Org>(event, [&](store::Transaction& tx) -> Result<Org> {
    ASSIGN_OR_RETURN(auto org, identity::FindOrg(tx, org_id));
    if (!org) return Fail(ErrorCode::kNotFound, "no such organisation");
    return std::move(*org);
  });
}

Result<Org> Organisations::RenewCertificates(const identity::Principal& admin,
                                             std::string_view org_id, const Certificate& iso27001,
                                             const Certificate& cyber_essentials_plus,
                                             const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, "admin.org.certificates", "org", org_id, ctx);
  event.target.org = std::string(org_id.substr(0, 64));
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kOrgCertificates, event));
  if (auto ok = lifecycle::CheckCertificates(iso27001, cyber_essentials_plus, d_.clock.Now());
      !ok) {
    return Refuse(event, ok.error());
  }
  event.allowed = true;
  event.reason = "security officer; certificates current";
  event.detail = {{"iso27001", iso27001.reference + " to " + iso27001.expires_on},
                  {"cyber_essentials_plus",
                   cyber_essentials_plus.reference + " to " + cyber_essentials_plus.expires_on}};
  return d_.audit.Change<Org>(event, [&](store::Transaction& tx) -> Result<Org> {
    ASSIGN_OR_RETURN(auto org,
                     identity::SetCertificates(tx, org_id, iso27001, cyber_essentials_plus));
    if (!org) return Fail(ErrorCode::kNotFound, "no such organisation");
    return std::move(*org);
  });
}

Result<Org> Organisations::SetFactorPolicy(const identity::Principal& admin,
                                           std::string_view org_id, identity::FactorPolicy policy,
                                           std::optional<bool> user_verification,
                                           const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, "admin.org.second_factor", "org", org_id, ctx);
  event.target.org = std::string(org_id.substr(0, 64));
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kOrgSecondFactor, event));
  event.allowed = true;
  event.reason = "security officer";
  return d_.audit.Change<Org>(event, [&](store::Transaction& tx, audit::Event& ev) -> Result<Org> {
    if (user_verification) {
      policy.user_verification = *user_verification;
    } else {
      ASSIGN_OR_RETURN(auto now, identity::FactorPolicyOf(tx, org_id));
      policy.user_verification = now.user_verification;
    }
    ev.detail = {{"second_factor", std::string(identity::Name(policy.standard))},
                 {"privileged_second_factor", std::string(identity::Name(policy.privileged))},
                 {"webauthn_user_verification",
                  std::string(identity::UserVerificationName(policy.user_verification))}};
    ASSIGN_OR_RETURN(auto org, identity::SetFactorPolicy(tx, org_id, policy));
    if (!org) return Fail(ErrorCode::kNotFound, "no such organisation");
    return std::move(*org);
  });
}

Result<int> Organisations::CheckCertificates(bool warn_only) {
  const auto now = d_.clock.Now();
  int count = 0;
  RETURN_IF_ERROR(d_.store.Write([&](store::Transaction& tx) -> Result<void> {
    count = 0;
    ASSIGN_OR_RETURN(auto lapsed, identity::LapsedOrgs(tx, FormatRfc3339(now).substr(0, 10)));
    for (const auto& id : lapsed) {
      const auto event =
          warn_only
              ? audit::SystemEvent("org.certificate_lapsed", {"org", id, id},
                                   "a supplier certificate has lapsed; configured to warn only")
              : audit::SystemEvent("org.suspend", {"org", id, id},
                                   "a supplier certificate has lapsed: its people cannot sign in");
      if (!warn_only) RETURN_IF_ERROR(identity::SuspendOrg(tx, id, now));
      RETURN_IF_ERROR(d_.audit.Append(tx, event));
      ++count;
    }
    return {};
  }));
  return count;
}

Result<void> Organisations::CreateRemit(const identity::Principal& admin, std::string_view org_id,
                                        std::string_view name,
                                        const identity::RequestContext& ctx) {
  auto event = MakeEvent(admin, "admin.remit.create", "remit", name, ctx);
  event.target.org = std::string(org_id.substr(0, 64));
  RETURN_IF_ERROR(Admit(admin, authz::AdminAction::kRemitCreate, event));
  ASSIGN_OR_RETURN(const auto reason,
                   AdmitIn(admin, authz::AdminAction::kRemitCreate, org_id, event));
  if (!ValidRemitName(name)) {
    return Refuse(event, {ErrorCode::kInvalidArgument,
                          "remit name must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-'"});
  }
  event.allowed = true;
  event.reason = reason;
  auto done = d_.audit.Change<bool>(event, [&](store::Transaction& tx) -> Result<bool> {
    ASSIGN_OR_RETURN(auto org, identity::FindOrg(tx, org_id));
    if (!org) return Fail(ErrorCode::kNotFound, "no such organisation");
    ASSIGN_OR_RETURN(auto exists, RemitExists(tx, org_id, name));
    if (exists) return Fail(ErrorCode::kAlreadyExists, "that remit exists");
    RETURN_IF_ERROR(InsertRemit(tx, org_id, name, d_.clock.Now()));
    return true;
  });
  if (!done) return std::unexpected(done.error());
  return {};
}

Result<std::vector<Remit>> Organisations::Remits(const identity::Principal& admin,
                                                 std::string_view org_id,
                                                 const identity::RequestContext& ctx) {
  ASSIGN_OR_RETURN(auto event, ReadIn(admin, authz::AdminAction::kRemitList, org_id, ctx));
  return d_.audit.Observe<std::vector<Remit>>(
      event, [&](store::Transaction& tx) -> Result<std::vector<Remit>> {
        ASSIGN_OR_RETURN(auto org, identity::FindOrg(tx, org_id));
        if (!org) return Fail(ErrorCode::kNotFound, "no such organisation");
        return ListRemits(tx, org_id);
      });
}

}  // namespace strongroom::lifecycle
