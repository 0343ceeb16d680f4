// API tokens at the service level: a token stands for its service account only while the token,
// the account and its organisation are all live, and every refusal is audited.

#include <gtest/gtest.h>

#include "identity/auth.h"
#include "identity/auth_fixture.h"
#include "identity/directory.h"

namespace strongroom::identity {
namespace {

using namespace std::chrono_literals;

class TokensTest : public AuthTest {
 protected:
  // A service account's new token, valid for `lifetime`.
  std::string Issue(const std::string& account_id, std::chrono::hours lifetime = 24h) {
    auto token = DrawToken(crypto::DefaultRandom());
    token.account_id = account_id;
    token.org_id = "org-a";
    token.role = "provisioner";
    token.created_by = account_id;  // any account: an admin in the service
    token.expires_at = f_.clock.Now() + lifetime;
    EXPECT_TRUE(f_.store->Write(
        [&](store::Transaction& tx) { return InsertToken(tx, token, f_.clock.Now()); }));
    ids_[token.token] = token.id;
    return token.token;
  }

  Result<Principal> Authenticate(const std::string& token) {
    return f_.auth->tokens.Authenticate(token, f_.ctx);
  }

  std::map<std::string, std::string> ids_;  // token -> its id
};

TEST_F(TokensTest, ATokenStandsForItsServiceAccountWhileAllIsLive) {
  const auto service = f_.Pending("idp.sync", "service", "provisioner").account_id;
  const auto token = Issue(service);
  auto who = Authenticate(token);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->account.id, service);
  EXPECT_EQ(who->account.kind, Kind::kService);

  // Expired.
  const auto short_lived = Issue(service, 1h);
  f_.clock.Advance(2h);
  EXPECT_EQ(Authenticate(short_lived).error().code, ErrorCode::kUnauthenticated);
  // Revoked.
  ASSERT_TRUE(f_.store->Write([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto revoked, RevokeToken(tx, ids_[token], service, f_.clock.Now()));
    EXPECT_TRUE(revoked);
    ASSIGN_OR_RETURN(auto again, RevokeToken(tx, ids_[token], service, f_.clock.Now()));
    EXPECT_FALSE(again) << "revoked once";
    return {};
  }));
  EXPECT_EQ(Authenticate(token).error().code, ErrorCode::kUnauthenticated);
  // Its organisation suspended.
  const auto other = Issue(service);
  ASSERT_TRUE(Authenticate(other));
  ASSERT_TRUE(f_.store->Write(
      [&](store::Transaction& tx) { return SuspendOrg(tx, "org-a", f_.clock.Now()); }));
  EXPECT_EQ(Authenticate(other).error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(f_.Events("auth.token").size(), 3u) << "each refusal audited";
}

TEST_F(TokensTest, OnlyAServiceAccountsTokenAuthenticates) {
  const auto person = f_.Person("ann.smith");
  const auto token = Issue(person);  // as if stored for a person's account
  EXPECT_EQ(Authenticate(token).error().code, ErrorCode::kUnauthenticated);
}

TEST_F(TokensTest, HostileTokensAreRefusedAndAuditedWithoutTheToken) {
  const auto service = f_.Pending("idp.sync", "service", "provisioner").account_id;
  const auto real = Issue(service);
  auto near = real;
  near.back() = near.back() == '0' ? '1' : '0';
  const std::vector<std::string> hostile = {"",
                                            "srt_",
                                            real.substr(4),
                                            "SRT_" + real.substr(4),
                                            real + "0",
                                            near,
                                            "srt_" + std::string(64, 'g'),
                                            "srt_' OR '1'='1" + std::string(50, 'a')};
  for (size_t i = 0; i < hostile.size(); ++i) {  // a failure names the case, never the token
    EXPECT_EQ(Authenticate(hostile[i]).error().code, ErrorCode::kUnauthenticated) << "case " << i;
  }
  const auto events = f_.Events("auth.token");
  ASSERT_EQ(events.size(), hostile.size());
  for (const auto& e : events) {
    EXPECT_EQ(boost::json::serialize(e).find(real.substr(4, 32)), std::string::npos);
    EXPECT_FALSE(e.at("decision").at("allow").as_bool());
  }
  EXPECT_TRUE(Authenticate(real));
}

}  // namespace
}  // namespace strongroom::identity
