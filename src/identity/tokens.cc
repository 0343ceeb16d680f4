#include "identity/tokens.h"

#include <fmt/format.h>

namespace strongroom::identity {

NewToken DrawToken(crypto::Random& random) {
  NewToken t;
  const auto secret = random.RandomSecret(32);
  t.id = "tok-" + random.RandomHex(8);
  t.token = std::string(kTokenPrefix) + HexEncode(secret.view());
  return t;
}

Result<void> InsertToken(store::Transaction& tx, const NewToken& token, TimePoint now) {
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO api_tokens (id, token_hash, account_id, org_id, role, created_by, "
              "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              {token.id, HashOf(token.token), token.account_id, token.org_id, token.role,
               token.created_by, FormatRfc3339(now), FormatRfc3339(token.expires_at)}));
  return {};
}

Result<std::string> TokenOwner(store::Transaction& tx, std::string_view token_id) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT account_id FROM api_tokens WHERE id = ?",
                                       {std::string(token_id)}));
  return rows.empty() ? std::string() : rows.front().Text(0);
}

Result<bool> RevokeToken(store::Transaction& tx, std::string_view token_id,
                         std::string_view account_id, TimePoint now) {
  ASSIGN_OR_RETURN(auto n,
                   tx.Exec("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND "
                           "account_id = ? AND revoked_at IS NULL",
                           {FormatRfc3339(now), std::string(token_id), std::string(account_id)}));
  return n > 0;
}

Result<std::vector<TokenRow>> ListTokens(store::Transaction& tx, std::string_view account_id) {
  ASSIGN_OR_RETURN(
      auto rows, tx.Query("SELECT t.id, t.role, COALESCE(c.username, t.created_by), t.created_at, "
                          "t.expires_at, COALESCE(t.revoked_at, '') FROM api_tokens t LEFT JOIN "
                          "accounts c ON c.id = t.created_by WHERE t.account_id = ? ORDER BY "
                          "t.created_at DESC, t.id",
                          {std::string(account_id)}));
  std::vector<TokenRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back({r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5)});
  }
  return out;
}

Result<Principal> Tokens::Authenticate(std::string_view api_token, const RequestContext& ctx) {
  if (api_token.size() != kTokenPrefix.size() + 64 || !api_token.starts_with(kTokenPrefix) ||
      !HexDecode(api_token.substr(kTokenPrefix.size()))) {
    return RefuseAuthentication(deps_.audit, AnonymousEvent("auth.token", ctx),
                                "malformed API token");
  }
  const auto hash = HashOf(api_token);
  const auto now = FormatRfc3339(deps_.clock.Now());
  ASSIGN_OR_RETURN(
      auto principal,
      store::ReadValue<std::optional<Principal>>(
          deps_.store, [&](store::Transaction& tx) -> Result<std::optional<Principal>> {
            static const std::string sql = fmt::format(
                "SELECT {}, t.id FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE "
                "t.token_hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND "
                "a.status = 'active' AND a.expires_at > ? AND (SELECT o.status FROM "
                "organisations o WHERE o.id = a.org_id) = 'active' AND a.kind = 'service'",
                kAccountColumns);
            ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {hash, now, now}));
            if (rows.empty()) return std::nullopt;
            auto account = AccountOf(rows.front());
            if (!account) return std::nullopt;
            return Principal{
                std::move(*account), "tok-" + rows.front().Text(kAccountColumnCount), {}, hash, ""};
          }));
  if (!principal) {
    return RefuseAuthentication(deps_.audit, AnonymousEvent("auth.token", ctx),
                                "API token unknown, revoked or expired");
  }
  return std::move(*principal);
}

}  // namespace strongroom::identity
