#pragma once
// API tokens: bearer credentials of service accounts (SCIM provisioning), stored only as hashes.
// Identity owns the api_tokens table; the admin actions that decide who may issue or revoke one
// (lifecycle) change it only through here.

#include <string>
#include <string_view>
#include <vector>

#include "identity/auth_common.h"

namespace strongroom::identity {

inline constexpr std::string_view kTokenPrefix = "srt_";

struct NewToken {
  std::string id;          // "tok-" and 16 hex digits: names the token, never proves anything
  std::string token;       // kTokenPrefix and 64 hex digits: shown once, never stored
  std::string account_id;  // a service account
  std::string org_id;
  std::string role;
  std::string created_by;
  TimePoint expires_at{};
};

// Draws a new token's id and secret.
NewToken DrawToken(crypto::Random& random);

// Stores `token` (as its hash), made at `now`.
Result<void> InsertToken(store::Transaction& tx, const NewToken& token, TimePoint now);

// The account the token `token_id` belongs to; "" if there is no such token.
Result<std::string> TokenOwner(store::Transaction& tx, std::string_view token_id);

// Revokes the account's active token `token_id`; false if there was none to revoke.
Result<bool> RevokeToken(store::Transaction& tx, std::string_view token_id,
                         std::string_view account_id, TimePoint now);

// A token as administrators see it: never its secret (only its hash is stored).
struct TokenRow {
  std::string id;
  std::string role;
  std::string created_by;  // the username of who issued it
  std::string created_at, expires_at;
  std::string revoked_at;  // "" while it is not revoked
};

// The tokens of the account `account_id`, newest first.
Result<std::vector<TokenRow>> ListTokens(store::Transaction& tx, std::string_view account_id);

class Tokens {
 public:
  explicit Tokens(const AuthDeps& deps) : deps_(deps) {}

  // The service account a bearer token stands for: the token unrevoked and unexpired, the
  // account active and unexpired, its organisation active. Refusals are audited.
  Result<Principal> Authenticate(std::string_view api_token, const RequestContext& ctx);

 private:
  const AuthDeps& deps_;
};

}  // namespace strongroom::identity
