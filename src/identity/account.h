#pragma once
// An account as the rest of the service sees it once a request is authenticated: kind and roles
// as enums, remits and grants as sorted sets, expiry as a time point. Identity owns the accounts
// table and parses its text columns here, once per request; nothing downstream re-splits a list
// or re-parses a date, and nothing compares a role or a kind by its name (authz decides).
//
// Value types; safe to copy and to read from any thread. LoadAccount runs inside the caller's
// transaction.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/store.h"

namespace strongroom::identity {

enum class Kind : uint8_t {
  kStandard,    // works with records
  kPrivileged,  // administers; never sees record content
  kService,     // automation with API tokens (SCIM); never sees record content
  kOperator,    // the person at the instance's command line (never an account in the store)
};

enum class Role : uint8_t {
  kReader,           // standard: views and lists records
  kEditor,           // standard: also creates, updates and deletes them
  kApprover,         // standard: approves other people's exports
  kOrgAdmin,         // privileged: manages their own organisation's people
  kSecurityOfficer,  // privileged: organisations, privileged accounts, orders, the audit log
  kProvisioner,      // service: provisions its organisation's people over SCIM
};
inline constexpr std::array kAllRoles = {Role::kReader,          Role::kEditor,
                                         Role::kApprover,        Role::kOrgAdmin,
                                         Role::kSecurityOfficer, Role::kProvisioner};
inline constexpr std::array kAllKinds = {Kind::kStandard, Kind::kPrivileged, Kind::kService};

std::string_view Name(Kind kind);
std::string_view Name(Role role);
std::optional<Kind> ParseKind(std::string_view name);
std::optional<Role> ParseRole(std::string_view name);

// A set of roles.
class Roles {
 public:
  constexpr Roles() = default;
  constexpr Roles(std::initializer_list<Role> roles) {
    for (Role r : roles) Add(r);
  }
  constexpr bool Has(Role r) const { return (bits_ & Bit(r)) != 0; }
  constexpr void Add(Role r) { bits_ = static_cast<uint8_t>(bits_ | Bit(r)); }
  constexpr bool empty() const { return bits_ == 0; }
  // The names, in kAllRoles order.
  std::vector<std::string> Names() const;
  // A comma-separated list of role names; nullopt if any name is not a role.
  static std::optional<Roles> Parse(std::string_view list);
  constexpr bool operator==(const Roles&) const = default;

 private:
  static constexpr uint8_t Bit(Role r) { return static_cast<uint8_t>(1u << static_cast<int>(r)); }
  uint8_t bits_ = 0;
};

// Which roles an account of `kind` may hold: "" if the comma-separated `roles` fit, else what is
// wrong (a name that is no role never fits). Standard accounts hold reader, editor and approver;
// privileged ones security_officer and org_admin (at least one); service accounts provisioner
// alone.
std::string RolesMisfit(Kind kind, std::string_view roles);

struct Account {
  std::string id;
  std::string username;
  Kind kind = Kind::kStandard;
  Roles roles;
  std::string org_id;
  std::string person_id;
  std::string status;  // the account's, or "suspended" while its organisation is
  TimePoint expires_at{};
  std::vector<std::string> remits;  // sorted (standard accounts)
  std::vector<std::string> grants;  // sorted: "OFFICIAL-SENSITIVE" and descriptor names
  bool operator==(const Account&) const = default;
};

// The columns AccountOf reads, for a query over `accounts a` (an account reads as "suspended"
// while its organisation is), and how many there are.
inline constexpr const char* kAccountColumns =
    "a.id, a.username, a.kind, a.roles, a.org_id, CASE WHEN (SELECT o.status FROM organisations o "
    "WHERE o.id = a.org_id) = 'suspended' THEN 'suspended' ELSE a.status END, a.expires_at, "
    "a.remits, a.grants, a.person_id";
inline constexpr int kAccountColumnCount = 10;
// A row that starts with kAccountColumns as its typed account; nullopt if a column does not parse
// (the store's own checks rule that out: such an account is treated as not there).
std::optional<Account> AccountOf(const store::Row& row);
// The account `id`, or nullopt.
Result<std::optional<Account>> LoadAccount(store::Transaction& tx, std::string_view id);

// A comma-separated list as a sorted set.
std::vector<std::string> SortedList(std::string_view list);
// Whether the sorted `set` holds `value`.
bool Holds(const std::vector<std::string>& set, std::string_view value);

}  // namespace strongroom::identity
