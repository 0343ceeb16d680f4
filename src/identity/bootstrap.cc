#include "identity/bootstrap.h"

#include <fmt/format.h>

#include "common/text.h"
#include "crypto/hash.h"
#include "identity/username.h"

namespace strongroom::identity {
namespace {

Result<std::string> CheckedText(std::string_view value, const TextRule& rule) {
  if (auto problem = CheckText(value, rule); !problem.empty()) {
    return Fail(ErrorCode::kInvalidArgument, problem);
  }
  return std::string(value);
}

}  // namespace

Result<std::string> CanonicalEmail(std::string_view email) {
  ASSIGN_OR_RETURN(auto e, CheckedText(email, {"email", 3, 254}));
  const auto at = e.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= e.size() ||
      e.find('@', at + 1) != std::string::npos ||
      e.find_first_of(" ,;<>\"'\\") != std::string::npos || e.find('.', at) == std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "email must look like name@example.org");
  }
  std::string lower = e;
  for (auto& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

Result<std::string> IssueEnrolmentToken(store::Transaction& tx, crypto::Random& random,
                                        std::string_view account_id, TimePoint expires_at) {
  const auto token_bytes = random.RandomSecret(32);
  const auto hash = crypto::Sha256(token_bytes.view());
  RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO enrolment_tokens (token_hash, account_id, expires_at) VALUES (?, ?, ?)",
      {Bytes(hash.begin(), hash.end()), std::string(account_id), FormatRfc3339(expires_at)}));
  return HexEncode(token_bytes.view());
}

Result<OfficerSpec> ParseOfficerSpec(std::string_view text, TimePoint now) {
  const auto c1 = text.find(',');
  const auto c2 = c1 == std::string_view::npos ? c1 : text.find(',', c1 + 1);
  const auto c3 = c2 == std::string_view::npos ? c2 : text.find(',', c2 + 1);
  if (c2 == std::string_view::npos ||
      (c3 != std::string_view::npos && text.find(',', c3 + 1) != std::string_view::npos)) {
    return Fail(ErrorCode::kInvalidArgument,
                "an officer is given as username,Full Name,email[,BPSS date YYYY-MM-DD]");
  }
  OfficerSpec o;
  ASSIGN_OR_RETURN(o.username, CanonicalUsername(text.substr(0, c1)));
  ASSIGN_OR_RETURN(o.name, CheckedText(text.substr(c1 + 1, c2 - c1 - 1), {"name", 1, 200}));
  ASSIGN_OR_RETURN(o.email, CanonicalEmail(text.substr(c2 + 1, c3 - c2 - 1)));
  if (c3 != std::string_view::npos) {
    o.bpss_verified_on = std::string(text.substr(c3 + 1));
    const auto day = o.bpss_verified_on.size() == 10
                         ? ParseRfc3339(o.bpss_verified_on + "T00:00:00Z")
                         : std::nullopt;
    if (!day || *day > now) {
      return Fail(ErrorCode::kInvalidArgument,
                  "an officer's BPSS date is the day it was verified, YYYY-MM-DD, not in the "
                  "future");
    }
  }
  return o;
}

Result<std::vector<IssuedEnrolment>> BootstrapOfficers(store::Store& store, audit::AuditLog& audit,
                                                       store::KeyStore& keys, const Clock& clock,
                                                       crypto::Random& random,
                                                       const std::vector<OfficerSpec>& officers) {
  if (officers.size() != 2) {
    return Fail(ErrorCode::kInvalidArgument, "exactly two security officers are needed");
  }
  if (officers[0].username == officers[1].username || officers[0].email == officers[1].email) {
    return Fail(ErrorCode::kInvalidArgument,
                "the two security officers must be two different people");
  }
  const auto now = clock.Now();
  const auto created = FormatRfc3339(now);
  const auto expires = FormatRfc3339(now + std::chrono::days(kDefaultAgreedExpiryDays));
  const std::string org_id = "org-" + random.RandomHex(8);
  std::vector<IssuedEnrolment> issued;
  RETURN_IF_ERROR(store.Write([&](store::Transaction& tx) -> Result<void> {
    issued.clear();
    ASSIGN_OR_RETURN(auto existing, tx.Query("SELECT COUNT(*) FROM accounts"));
    if (existing.front().Int(0) != 0) {
      return Fail(ErrorCode::kAlreadyExists, "the instance already has accounts");
    }
    RETURN_IF_ERROR(
        tx.Exec("INSERT INTO organisations (id, name, status, agreed_expiry_days, "
                "created_at) VALUES (?, 'Service operator', 'active', ?, ?)",
                {org_id, int64_t{kDefaultAgreedExpiryDays}, created}));
    RETURN_IF_ERROR(keys.CreateOrgKey(tx, org_id));
    for (const auto& o : officers) {
      const std::string person_id = "per-" + random.RandomHex(8);
      const std::string account_id = "acc-" + random.RandomHex(8);
      // No BPSS date given (only outside production): NULL, which the compliance report counts.
      const bool bpss = !o.bpss_verified_on.empty();
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO people (id, org_id, name, email, bpss_verified_on, bpss_verified_by, "
          "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
          {person_id, org_id, o.name, o.email,
           bpss ? store::Value(o.bpss_verified_on) : store::Value(),
           bpss ? store::Value(std::string("declared at init")) : store::Value(), created}));
      RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO accounts (id, person_id, org_id, username, kind, roles, remits, status, "
          "expires_at, created_at) VALUES (?, ?, ?, ?, 'privileged', 'security_officer', '', "
          "'pending_enrolment', ?, ?)",
          {account_id, person_id, org_id, o.username, expires, created}));
      IssuedEnrolment e{o.username, "", now + kBootstrapTokenLifetime};
      ASSIGN_OR_RETURN(e.token, IssueEnrolmentToken(tx, random, account_id, e.expires_at));
      audit::Event event;
      event.actor = {"", "strongroom init", "cli", ""};
      event.source = "cli";
      event.action = "admin.bootstrap.officer";
      event.target = {"account", account_id, org_id};
      event.allowed = true;
      event.reason = "instance initialisation: first two security officers";
      event.outcome = "ok";
      event.detail = {{"username", o.username},
                      {"role", "security_officer"},
                      {"bpss_verified_on", o.bpss_verified_on}};
      RETURN_IF_ERROR(audit.Append(tx, event));
      issued.push_back(std::move(e));
    }
    return {};
  }));
  return issued;
}

}  // namespace strongroom::identity
