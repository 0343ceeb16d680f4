#include "identity/account.h"

#include <algorithm>

#include "common/names.h"
#include "common/text.h"

namespace strongroom::identity {
namespace {

constexpr std::pair<Kind, std::string_view> kKindNames[] = {
    {Kind::kStandard, "standard"},
    {Kind::kPrivileged, "privileged"},
    {Kind::kService, "service"},
    {Kind::kOperator, "cli"},
};

constexpr std::pair<Role, std::string_view> kRoleNames[] = {
    {Role::kReader, "reader"},
    {Role::kEditor, "editor"},
    {Role::kApprover, "approver"},
    {Role::kOrgAdmin, "org_admin"},
    {Role::kSecurityOfficer, "security_officer"},
    {Role::kProvisioner, "provisioner"},
};

}  // namespace

std::string_view Name(Kind kind) { return NameIn<Kind>(kKindNames, kind); }
std::string_view Name(Role role) { return NameIn<Role>(kRoleNames, role); }

std::optional<Kind> ParseKind(std::string_view name) {
  const auto kind = ParseIn<Kind>(kKindNames, name);
  if (kind == Kind::kOperator) return std::nullopt;  // never an account's kind
  return kind;
}

std::optional<Role> ParseRole(std::string_view name) { return ParseIn<Role>(kRoleNames, name); }

std::vector<std::string> Roles::Names() const {
  std::vector<std::string> out;
  for (Role r : kAllRoles) {
    if (Has(r)) out.emplace_back(Name(r));
  }
  return out;
}

std::optional<Roles> Roles::Parse(std::string_view list) {
  Roles out;
  for (const auto& name : SplitList(list)) {
    const auto role = ParseRole(name);
    if (!role) return std::nullopt;
    out.Add(*role);
  }
  return out;
}

std::string RolesMisfit(Kind kind, std::string_view list) {
  const auto parsed = Roles::Parse(list);
  const Roles roles = parsed.value_or(Roles{});
  const auto only = [&](std::initializer_list<Role> allowed) {
    Roles all(allowed);
    for (Role r : kAllRoles) {
      if (roles.Has(r) && !all.Has(r)) return false;
    }
    return parsed.has_value();
  };
  switch (kind) {
    case Kind::kStandard:
      if (!only({Role::kReader, Role::kEditor, Role::kApprover})) {
        return "standard accounts hold roles reader, editor or approver";
      }
      return "";
    case Kind::kPrivileged:
      if (parsed && roles.empty()) return "privileged accounts need a role";
      if (!only({Role::kSecurityOfficer, Role::kOrgAdmin})) {
        return "privileged accounts hold roles security_officer or org_admin";
      }
      return "";
    case Kind::kService:
      if (!parsed || roles != Roles{Role::kProvisioner}) {
        return "service accounts hold the role provisioner only";
      }
      return "";
    case Kind::kOperator:
      break;
  }
  return "no account is of that kind";
}

std::optional<Account> AccountOf(const store::Row& r) {
  const auto kind = ParseKind(r.Text(2));
  const auto roles = Roles::Parse(r.Text(3));
  const auto expires = ParseRfc3339(r.Text(6));
  if (!kind || !roles || !expires) return std::nullopt;
  return Account{r.Text(0),
                 r.Text(1),
                 *kind,
                 *roles,
                 r.Text(4),
                 r.Text(9),
                 r.Text(5),
                 *expires,
                 SortedList(r.Text(7)),
                 SortedList(r.Text(8))};
}

Result<std::optional<Account>> LoadAccount(store::Transaction& tx, std::string_view id) {
  static const std::string sql =
      std::string("SELECT ") + kAccountColumns + " FROM accounts a WHERE a.id = ?";
  ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {std::string(id)}));
  if (rows.empty()) return std::optional<Account>();
  return AccountOf(rows.front());
}

std::vector<std::string> SortedList(std::string_view list) {
  auto out = SplitList(list);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool Holds(const std::vector<std::string>& set, std::string_view value) {
  return std::binary_search(set.begin(), set.end(), value);
}

}  // namespace strongroom::identity
