#include "identity/enrolment.h"

#include <fmt/format.h>

#include "common/utf8.h"
#include "crypto/hash.h"

namespace strongroom::identity {
namespace {

constexpr std::string_view kIssuer = "Strongroom";

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

void NameAccount(audit::Event& event, const Account& account) {
  event.actor = {account.id, account.username, std::string(Name(account.kind)), ""};
  event.target = {"account", account.id, account.org_id};
}

}  // namespace

Result<void> CheckPasswordPolicy(std::string_view password, Kind kind,
                                 const CommonPasswords& common) {
  const auto n = Utf8CodePoints(password);
  if (!n) return Fail(ErrorCode::kInvalidArgument, "password must be valid UTF-8");
  const size_t min = kind == Kind::kPrivileged ? 15 : 12;
  if (*n < min || *n > 128) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("password must be {} to 128 characters", min));
  }
  for (unsigned char c : password) {
    if (c < 0x20 || c == 0x7f) {
      return Fail(ErrorCode::kInvalidArgument, "password must not contain control characters");
    }
  }
  if (common.IsCommon(password)) {
    return Fail(ErrorCode::kInvalidArgument, "password is too common; choose another");
  }
  return {};
}

struct Enrolment::Pending {
  Bytes token_hash;
  Account account;
  StoredFactor factor;
};

Result<Enrolment::Pending> Enrolment::Find(store::Transaction& tx, std::string_view token) {
  if (token.size() != 64 || !HexDecode(token)) return NotAuthenticated();
  Pending found;
  // The stored hash is over the token's bytes, as issued (hex on the wire).
  const auto d = crypto::Sha256(*HexDecode(token));
  found.token_hash.assign(d.begin(), d.end());
  static const std::string sql = fmt::format(
      "SELECT {}, {} FROM enrolment_tokens t JOIN accounts a ON a.id = t.account_id WHERE "
      "t.token_hash = ? AND t.used_at IS NULL AND t.expires_at > ? AND "
      "a.status = 'pending_enrolment'",
      kAccountColumns, kStoredFactorColumns);
  ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {found.token_hash, FormatRfc3339(deps_.clock.Now())}));
  if (rows.empty()) return NotAuthenticated();
  auto account = AccountOf(rows.front());
  if (!account) return NotAuthenticated();
  found.account = std::move(*account);
  found.factor = StoredFactorOf(rows.front(), kAccountColumnCount);
  return found;
}

Result<EnrolmentStart> Enrolment::Begin(std::string_view token, std::string_view password,
                                        const RequestContext& ctx) {
  auto event = AnonymousEvent("auth.enrol.begin", ctx);
  auto lookup = store::ReadValue<Pending>(deps_.store,
                                          [&](store::Transaction& tx) { return Find(tx, token); });
  if (!lookup) {
    if (lookup.error().code != ErrorCode::kUnauthenticated) return std::unexpected(lookup.error());
    return RefuseAuthentication(deps_.audit, event, "enrolment token not valid");
  }
  const auto& account = lookup->account;
  NameAccount(event, account);
  if (!SignsInAt(account.kind, ctx.reach)) {
    return RefuseAuthentication(deps_.audit, event, WrongListener(account.kind, ctx.reach));
  }
  const Error bound{ErrorCode::kAlreadyExists,
                    "this enrolment has begun already: confirm it with a code, or ask an admin "
                    "for a new enrolment token"};
  if (!lookup->factor.totp_secret.empty()) {
    event.reason = "enrolment begun already";
    return deps_.audit.Refuse(event, bound);
  }
  if (auto policy = CheckPasswordPolicy(password, account.kind, deps_.common); !policy) {
    event.reason = "password refused by policy";
    event.allowed = false;
    event.outcome = "invalid_argument";
    RETURN_IF_ERROR(deps_.audit.Record(event));
    return std::unexpected(policy.error());
  }
  ASSIGN_OR_RETURN(auto hash, crypto::HashPassword(password, deps_.options.argon2));
  const auto secret = deps_.random.RandomSecret(20);
  event.allowed = true;
  event.reason = "valid enrolment token";
  ASSIGN_OR_RETURN(
      auto ok, deps_.audit.Change<bool>(
                   event, [&](store::Transaction& tx, audit::Event& ev) -> Result<bool> {
                     ASSIGN_OR_RETURN(auto again, Find(tx, token));  // still valid inside the write
                     if (!again.factor.totp_secret.empty()) {  // another request began it first
                       ev.reason = "enrolment begun already";
                       return std::unexpected(bound);
                     }
                     ASSIGN_OR_RETURN(auto sealed,
                                      deps_.keys.SealNew(tx, account.org_id, "totp:" + account.id,
                                                         1, secret.view()));
                     RETURN_IF_ERROR(tx.Exec(
                         "UPDATE accounts SET password_hash = ?, totp_key = ?, totp_secret = ?, "
                         "totp_last_step = -1 WHERE id = ?",
                         {hash, sealed.wrapped_key, sealed.ciphertext, account.id}));
                     return true;
                   }));
  (void)ok;
  EnrolmentStart start;
  start.totp_uri =
      fmt::format("otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
                  UrlEncode(kIssuer), UrlEncode(account.username), Base32Encode(secret.view()),
                  UrlEncode(kIssuer));
  return start;
}

Result<std::vector<std::string>> Enrolment::Complete(store::Transaction& tx, const Pending& pending,
                                                     int64_t step, audit::Event& event) {
  const auto& id = pending.account.id;
  RETURN_IF_ERROR(factors_.Accepted(tx, id, step));
  RETURN_IF_ERROR(tx.Exec("UPDATE accounts SET status = 'active' WHERE id = ?", {id}));
  RETURN_IF_ERROR(tx.Exec("UPDATE enrolment_tokens SET used_at = ? WHERE token_hash = ?",
                          {FormatRfc3339(deps_.clock.Now()), pending.token_hash}));
  std::vector<std::string> codes;
  for (int i = 0; i < kRecoveryCodes; ++i) {
    auto c = Base32Encode(deps_.random.RandomBytes(10));  // 80 bits, 16 characters
    RETURN_IF_ERROR(tx.Exec("INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)",
                            {id, HashOf(c)}));
    codes.push_back(std::move(c));
  }
  event.allowed = true;
  event.reason = "enrolment token and first TOTP code";
  event.outcome = "ok";
  RETURN_IF_ERROR(deps_.audit.Append(tx, event));
  return codes;
}

Result<std::vector<std::string>> Enrolment::Confirm(std::string_view token, std::string_view code,
                                                    const RequestContext& ctx) {
  auto event = AnonymousEvent("auth.enrol.confirm", ctx);
  std::vector<std::string> codes;
  Factor outcome = Factor::kInvalid;
  int64_t wait = 0;
  std::string refusal = "enrolment token not valid";
  // One write checks and counts: a wrong code is slowed down like any second factor, and the
  // enrolment token is spent after as many wrong codes as a sign-in challenge allows, so a token
  // caught in transit cannot be used to guess the code the owner's app shows.
  auto done = deps_.store.Write([&](store::Transaction& tx) -> Result<void> {
    outcome = Factor::kInvalid;
    refusal = "enrolment token not valid";
    auto found = Find(tx, token);
    if (!found) {
      if (found.error().code == ErrorCode::kUnauthenticated) return {};
      return std::unexpected(found.error());
    }
    NameAccount(event, found->account);
    if (!SignsInAt(found->account.kind, ctx.reach)) {
      refusal = WrongListener(found->account.kind, ctx.reach);
      return {};
    }
    if (found->factor.totp_secret.empty()) return {};
    int64_t step = -1;
    ASSIGN_OR_RETURN(outcome,
                     factors_.Check(tx, found->account, found->factor, code, event, &step, &wait));
    if (outcome == Factor::kAccepted) {
      ASSIGN_OR_RETURN(codes, Complete(tx, *found, step, event));
      return {};
    }
    if (outcome != Factor::kWrong) return {};
    const int64_t failures = found->factor.failures + 1;
    event.reason = "wrong TOTP code";
    RETURN_IF_ERROR(factors_.Failed(tx, found->account.id, failures, event));
    if (failures < deps_.options.challenge_attempts) return {};
    RETURN_IF_ERROR(tx.Exec("UPDATE enrolment_tokens SET used_at = ? WHERE token_hash = ?",
                            {FormatRfc3339(deps_.clock.Now()), found->token_hash}));
    return AppendSecurityEvent(
        deps_.audit, tx, event, "security.enrolment.ended",
        fmt::format("{} wrong codes: the enrolment token is spent", failures));
  });
  if (!done) return std::unexpected(done.error());
  if (outcome == Factor::kAccepted) return codes;
  return factors_.Refused(outcome, wait, std::move(event), std::move(refusal));
}

}  // namespace strongroom::identity
