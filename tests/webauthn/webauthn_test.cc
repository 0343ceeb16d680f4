// WebAuthn ceremonies checked on the server (webauthn/webauthn.h) against a software authenticator
// (fake_authenticator.h): each attestation format registers, assertions sign in, and each thing
// that must be checked is refused when it is wrong; hostile CBOR (webauthn/cbor_check.h) is
// refused before libcbor reads it.

#include "webauthn/webauthn.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "fakes/temp_dir.h"
#include "webauthn/cbor_check.h"
#include "webauthn/fake_authenticator.h"

namespace strongroom::webauthn {
namespace {

using testing::cbor::Array;
using testing::cbor::Blob;
using testing::cbor::Int;
using testing::cbor::Join;
using testing::cbor::Map;
using testing::cbor::Text;

constexpr const char* kRpId = "records.example.org";
constexpr const char* kOrigin = "https://records.example.org:8443";

template <typename T>
std::string Why(const Result<T>& r) {
  return r ? std::string("(accepted)") : r.error().message;
}
template <typename T>
std::optional<ErrorCode> CodeOf(const Result<T>& r) {
  if (r) return std::nullopt;
  return r.error().code;
}

class WebAuthnTest : public ::testing::Test {
 protected:
  Expected Ceremony(bool uv = false) const { return {kRpId, kOrigin, challenge_, uv}; }

  // An attestation object of `format` with `statement` over `auth_data`.
  static Bytes AttestationObject(std::string_view format, const Bytes& statement,
                                 const Bytes& auth_data) {
    return Map({{Text("fmt"), Text(format)},
                {Text("attStmt"), statement},
                {Text("authData"), Blob(auth_data)}});
  }

  // The authenticator data of a registration of `key_` under `id_`.
  Bytes RegistrationData(uint8_t flags = testing::kUp | testing::kAt, uint32_t counter = 0,
                         const Bytes& aaguid = Bytes(16, 0xa7)) const {
    return testing::AuthData(
        kRpId, flags, counter,
        testing::AttestedCredential(aaguid, id_, testing::CoseKeyOf(key_.get())));
  }

  Bytes CreateData() const { return testing::ClientData("webauthn.create", challenge_, kOrigin); }
  Bytes GetData() const { return testing::ClientData("webauthn.get", challenge_, kOrigin); }

  Result<NewCredential> Register(std::string_view format, const Bytes& statement,
                                 const Bytes& auth_data, const Expected& expected) const {
    return VerifyRegistration(expected, CreateData(),
                              AttestationObject(format, statement, auth_data));
  }

  // A packed self attestation of `auth_data` for `client_data`.
  Bytes SelfStatement(const Bytes& auth_data, const Bytes& client_data) const {
    const auto hash = crypto::Sha256(client_data);
    return Map(
        {{Text("alg"), Int(-7)},
         {Text("sig"),
          Blob(testing::Sign(key_.get(), Join({auth_data, Bytes(hash.begin(), hash.end())})))}});
  }

  // An assertion: its authenticator data with `counter`, and its signature.
  std::pair<Bytes, Bytes> Assert(uint32_t counter, const Bytes& client_data,
                                 uint8_t flags = testing::kUp) const {
    auto data = testing::AuthData(kRpId, flags, counter);
    const auto hash = crypto::Sha256(client_data);
    auto sig = testing::Sign(key_.get(), Join({data, Bytes(hash.begin(), hash.end())}));
    return {data, sig};
  }

  Bytes challenge_ = Bytes(32, 0x5c);
  Bytes id_ = Bytes(40, 0x1d);
  testing::TestKey key_ = testing::NewP256Key();
};

TEST_F(WebAuthnTest, ANoneAttestationRegistersAndItsAssertionsSignInWithTheCounterMovingOn) {
  auto made = Register("none", Map({}), RegistrationData(), Ceremony());
  ASSERT_TRUE(made) << Why(made);
  EXPECT_EQ(made->id, id_);
  EXPECT_EQ(made->format, "none");
  EXPECT_EQ(made->attestation, "none");
  EXPECT_EQ(made->aaguid, "a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7");
  EXPECT_FALSE(made->user_verified);
  EXPECT_EQ(made->public_key, testing::CoseKeyOf(key_.get()));

  StoredCredential stored{made->public_key, made->sign_count};
  const auto client = GetData();
  auto [data, sig] = Assert(1, client);
  auto first = VerifyAssertion(Ceremony(), stored, client, data, sig);
  ASSERT_TRUE(first) << Why(first);
  EXPECT_EQ(first->sign_count, 1u);
  stored.sign_count = first->sign_count;

  // The same assertion again: its counter has not moved on (a replay, or a cloned key).
  auto again = VerifyAssertion(Ceremony(), stored, client, data, sig);
  EXPECT_EQ(CodeOf(again), ErrorCode::kPermissionDenied) << Why(again);
  EXPECT_NE(Why(again).find("may have been cloned"), std::string::npos);
  auto [back_data, back_sig] = Assert(0, client);
  EXPECT_EQ(CodeOf(VerifyAssertion(Ceremony(), stored, client, back_data, back_sig)),
            ErrorCode::kPermissionDenied);
  auto [next_data, next_sig] = Assert(9, client);
  auto next = VerifyAssertion(Ceremony(), stored, client, next_data, next_sig);
  ASSERT_TRUE(next) << Why(next);
  EXPECT_EQ(next->sign_count, 9u);

  // An authenticator without a counter (always zero) is allowed while it stays at zero.
  StoredCredential counterless{made->public_key, 0};
  auto [zero_data, zero_sig] = Assert(0, client);
  EXPECT_TRUE(VerifyAssertion(Ceremony(), counterless, client, zero_data, zero_sig));
}

TEST_F(WebAuthnTest, PackedSelfAndCertifiedAndFidoU2fAttestationsVerify) {
  const auto auth = RegistrationData();
  const auto client = CreateData();
  auto self = Register("packed", SelfStatement(auth, client), auth, Ceremony());
  ASSERT_TRUE(self) << Why(self);
  EXPECT_EQ(self->attestation, "self");

  // Packed with a certificate: signed by the attestation key, not the credential's.
  const auto hash = crypto::Sha256(client);
  const Bytes message = Join({auth, Bytes(hash.begin(), hash.end())});
  auto batch = testing::NewP256Key();
  const auto certified = [&](const testing::CertificateSpec& spec, EVP_PKEY* signer) {
    return Register(
        "packed",
        Map({{Text("alg"), Int(-7)},
             {Text("sig"), Blob(testing::Sign(signer, message))},
             {Text("x5c"), Array({Blob(testing::AttestationCertificate(batch.get(), spec))})}}),
        auth, Ceremony());
  };
  auto basic = certified({}, batch.get());
  ASSERT_TRUE(basic) << Why(basic);
  EXPECT_EQ(basic->attestation, "basic");
  auto with_aaguid = certified({.aaguid = Bytes(16, 0xa7)}, batch.get());
  EXPECT_TRUE(with_aaguid) << Why(with_aaguid);

  // What the certificate must say, and who must sign.
  EXPECT_NE(Why(certified({.ou = "Marketing"}, batch.get())).find("not an authenticator's"),
            std::string::npos);
  EXPECT_NE(Why(certified({.ca = true}, batch.get())).find("CA"), std::string::npos);
  EXPECT_NE(Why(certified({.aaguid = Bytes(16, 0x01)}, batch.get())).find("another authenticator"),
            std::string::npos);
  EXPECT_NE(Why(certified({.country = false}, batch.get())).find("lacks its C, O or CN"),
            std::string::npos);
  auto wrong_signer = certified({}, key_.get());
  EXPECT_EQ(CodeOf(wrong_signer), ErrorCode::kUnauthenticated) << Why(wrong_signer);

  // fido-u2f: the U2F layout, signed by the certificate's key.
  const auto point = testing::PointOf(key_.get());
  const auto rp_hash = crypto::Sha256(AsBytes(kRpId));
  const Bytes u2f_message = Join(
      {{0x00}, Bytes(rp_hash.begin(), rp_hash.end()), Bytes(hash.begin(), hash.end()), id_, point});
  const auto u2f = [&](const Bytes& signed_message) {
    return Register(
        "fido-u2f",
        Map({{Text("sig"), Blob(testing::Sign(batch.get(), signed_message))},
             {Text("x5c"), Array({Blob(testing::AttestationCertificate(batch.get(), {}))})}}),
        RegistrationData(testing::kUp | testing::kAt, 0, Bytes(16, 0)), Ceremony());
  };
  auto good = u2f(u2f_message);
  ASSERT_TRUE(good) << Why(good);
  EXPECT_EQ(good->format, "fido-u2f");
  EXPECT_EQ(good->aaguid, std::string(32, '0'));
  EXPECT_EQ(CodeOf(u2f(message)), ErrorCode::kUnauthenticated) << "packed's layout is not U2F's";
  const auto cert = Blob(testing::AttestationCertificate(batch.get(), {}));
  auto two = Register("fido-u2f",
                      Map({{Text("sig"), Blob(testing::Sign(batch.get(), u2f_message))},
                           {Text("x5c"), Array({cert, cert})}}),
                      RegistrationData(testing::kUp | testing::kAt, 0, Bytes(16, 0)), Ceremony());
  EXPECT_NE(Why(two).find("one certificate"), std::string::npos) << Why(two);
  auto other_signer =
      Register("fido-u2f",
               Map({{Text("sig"), Blob(testing::Sign(key_.get(), u2f_message))},
                    {Text("x5c"), Array({cert})}}),
               RegistrationData(testing::kUp | testing::kAt, 0, Bytes(16, 0)), Ceremony());
  EXPECT_EQ(CodeOf(other_signer), ErrorCode::kUnauthenticated) << "signed by another key";
}

TEST_F(WebAuthnTest, EachThingTheCeremonyBindsIsCheckedAndNamedWhenWrong) {
  const auto auth = RegistrationData();
  const auto attested = [&](const Bytes& client, const Bytes& data, const Expected& expected) {
    return VerifyRegistration(expected, client,
                              AttestationObject("packed", SelfStatement(data, client), data));
  };
  struct Case {
    const char* what;
    Result<NewCredential> result;
    const char* message;
  };
  Expected other_challenge = Ceremony();
  other_challenge.challenge = Bytes(32, 0x5d);
  Expected no_challenge = Ceremony();
  no_challenge.challenge.clear();
  const Case cases[] = {
      {"a sign-in's client data",
       attested(testing::ClientData("webauthn.get", challenge_, kOrigin), auth, Ceremony()),
       "not for webauthn.create"},
      {"another ceremony's challenge", attested(CreateData(), auth, other_challenge),
       "another challenge"},
      {"a phishing site's origin",
       attested(testing::ClientData("webauthn.create", challenge_, "https://records-example.org"),
                auth, Ceremony()),
       "another origin"},
      {"the origin on another port",
       attested(testing::ClientData("webauthn.create", challenge_, "https://records.example.org"),
                auth, Ceremony()),
       "another origin"},
      {"a frame of another origin",
       attested(
           testing::ClientData("webauthn.create", challenge_, kOrigin, R"(,"crossOrigin":true)"),
           auth, Ceremony()),
       "frame of another origin"},
      {"another RP ID",
       attested(CreateData(),
                testing::AuthData(
                    "example.org", testing::kUp | testing::kAt, 0,
                    testing::AttestedCredential(Bytes(16, 0), id_, testing::CoseKeyOf(key_.get()))),
                Ceremony()),
       "another RP ID"},
      {"the user not present", attested(CreateData(), RegistrationData(testing::kAt), Ceremony()),
       "not present"},
      {"the user not verified when asked", attested(CreateData(), auth, Ceremony(true)),
       "not verified"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(CodeOf(c.result), ErrorCode::kUnauthenticated) << c.what << ": " << Why(c.result);
    EXPECT_NE(Why(c.result).find(c.message), std::string::npos) << c.what << ": " << Why(c.result);
  }
  // The caller's own mistake: no challenge (or one too short to be one) is never matched.
  EXPECT_EQ(CodeOf(attested(CreateData(), auth, no_challenge)), ErrorCode::kInternal);
  // A forged self attestation; a crossOrigin that is not true or false; backed up, not eligible.
  const auto client_data = CreateData();
  auto forged = Map({{Text("alg"), Int(-7)},
                     {Text("sig"), Blob(testing::Sign(testing::NewP256Key().get(), auth))}});
  EXPECT_EQ(CodeOf(Register("packed", forged, auth, Ceremony())), ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(attested(testing::ClientData("webauthn.create", challenge_, kOrigin,
                                                R"(,"crossOrigin":"no")"),
                            auth, Ceremony())),
            ErrorCode::kInvalidArgument);
  EXPECT_NE(Why(attested(client_data, RegistrationData(testing::kUp | testing::kAt | testing::kBs),
                         Ceremony()))
                .find("not eligible for backup"),
            std::string::npos);
  auto verified = attested(
      CreateData(), RegistrationData(testing::kUp | testing::kUv | testing::kAt), Ceremony(true));
  ASSERT_TRUE(verified) << Why(verified);
  EXPECT_TRUE(verified->user_verified);

  // At sign-in: another credential's key, a signature over something else, a wrong challenge.
  auto made = Register("none", Map({}), auth, Ceremony());
  ASSERT_TRUE(made);
  const StoredCredential stored{made->public_key, 0};
  const auto client = GetData();
  auto [data, sig] = Assert(1, client);
  auto other = testing::NewP256Key();
  const auto other_key = testing::CoseKeyOf(other.get());
  EXPECT_EQ(CodeOf(VerifyAssertion(Ceremony(), {other_key, 0}, client, data, sig)),
            ErrorCode::kUnauthenticated);
  auto [data2, sig2] = Assert(2, client);
  EXPECT_EQ(CodeOf(VerifyAssertion(Ceremony(), stored, client, data, sig2)),
            ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(VerifyAssertion(other_challenge, stored, client, data, sig)),
            ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(VerifyAssertion(Ceremony(), stored, CreateData(), data, sig)),
            ErrorCode::kUnauthenticated);
  auto [absent, absent_sig] = Assert(3, client, 0);
  EXPECT_NE(
      Why(VerifyAssertion(Ceremony(), stored, client, absent, absent_sig)).find("not present"),
      std::string::npos);
  EXPECT_NE(Why(VerifyAssertion(Ceremony(true), stored, client, data2, sig2)).find("not verified"),
            std::string::npos);
  EXPECT_TRUE(VerifyAssertion(Ceremony(), stored, client, data2, sig2));

  // Authenticator data an assertion never has; signatures out of range; a stored key that is not
  // one (the service's own data: an internal error, not the caller's).
  const auto signed_over = [&](const Bytes& d) {
    const auto h = crypto::Sha256(client);
    return testing::Sign(key_.get(), Join({d, Bytes(h.begin(), h.end())}));
  };
  const auto attests =
      testing::AuthData(kRpId, testing::kUp | testing::kAt, 4,
                        testing::AttestedCredential(Bytes(16, 0), id_, made->public_key));
  EXPECT_NE(Why(VerifyAssertion(Ceremony(), stored, client, attests, signed_over(attests)))
                .find("attests a credential"),
            std::string::npos);
  const auto trailing = Join({testing::AuthData(kRpId, testing::kUp, 5), {0x00}});
  EXPECT_NE(Why(VerifyAssertion(Ceremony(), stored, client, trailing, signed_over(trailing)))
                .find("bytes after its end"),
            std::string::npos);
  const auto elsewhere = testing::AuthData("example.org", testing::kUp, 6);
  EXPECT_NE(Why(VerifyAssertion(Ceremony(), stored, client, elsewhere, signed_over(elsewhere)))
                .find("another RP ID"),
            std::string::npos);
  auto [data7, sig7] = Assert(7, client);
  EXPECT_EQ(CodeOf(VerifyAssertion(Ceremony(), stored, client, data7, {})),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(VerifyAssertion(Ceremony(), stored, client, data7, Bytes(300, 0x30))),
            ErrorCode::kInvalidArgument);
  const Bytes not_a_key = {0xa0};
  EXPECT_EQ(CodeOf(VerifyAssertion(Ceremony(), {not_a_key, 0}, client, data7, sig7)),
            ErrorCode::kInternal);
  EXPECT_TRUE(VerifyAssertion(Ceremony(), stored, client, data7, sig7));
}

TEST_F(WebAuthnTest, MalformedRegistrationsAreRefusedAsSuch) {
  const auto auth = RegistrationData();
  const auto cose = testing::CoseKeyOf(key_.get());
  const auto point = testing::PointOf(key_.get());
  const std::span<const uint8_t> p(point);
  const auto with_key = [&](const Bytes& key) {
    return testing::AuthData(kRpId, testing::kUp | testing::kAt, 0,
                             testing::AttestedCredential(Bytes(16, 0), id_, key));
  };
  Bytes off_curve_y(p.begin() + 33, p.end());
  off_curve_y[31] ^= 1;
  struct Case {
    const char* what;
    Bytes object;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"not a map", Array({Text("none")}), "not a map of fmt"},
      {"an extra key",
       Join({Map({{Text("fmt"), Text("none")},
                  {Text("attStmt"), Map({})},
                  {Text("authData"), Blob(auth)},
                  {Text("x"), Int(1)}})}),
       "not a map of fmt"},
      {"fmt not text",
       Map({{Text("fmt"), Int(1)}, {Text("attStmt"), Map({})}, {Text("authData"), Blob(auth)}}),
       "not a map of fmt"},
      {"trailing bytes", Join({AttestationObject("none", Map({}), auth), {0x00}}),
       "bytes after its end"},
      {"an unknown format", AttestationObject("tpm", Map({}), auth), "not one of none"},
      {"none with a statement",
       AttestationObject("none", Map({{Text("sig"), Blob(Bytes(8))}}), auth), "has a statement"},
      {"packed without a signature",
       AttestationObject("packed", Map({{Text("alg"), Int(-7)}}), auth), "no signature"},
      {"packed RS256",
       AttestationObject("packed",
                         Map({{Text("alg"), Int(-257)}, {Text("sig"), Blob(Bytes(8, 1))}}), auth),
       "must be ES256"},
      {"a certificate that does not parse",
       AttestationObject("packed",
                         Map({{Text("alg"), Int(-7)},
                              {Text("sig"), Blob(Bytes(8, 1))},
                              {Text("x5c"), Array({Blob(Bytes(40, 0x30))})}}),
                         auth),
       "does not parse"},
      {"five certificates",
       AttestationObject("packed",
                         Map({{Text("alg"), Int(-7)},
                              {Text("sig"), Blob(Bytes(8, 1))},
                              {Text("x5c"), Array({Blob(Bytes(4, 0x30)), Blob(Bytes(4, 0x30)),
                                                   Blob(Bytes(4, 0x30)), Blob(Bytes(4, 0x30)),
                                                   Blob(Bytes(4, 0x30))})}}),
                         auth),
       "1 to 4 certificates"},
      {"authData too short", AttestationObject("none", Map({}), Bytes(36, 0)), "too short"},
      {"no credential attested",
       AttestationObject("none", Map({}), testing::AuthData(kRpId, testing::kUp, 0)),
       "attests no credential"},
      {"an empty credential id",
       AttestationObject("none", Map({}),
                         testing::AuthData(kRpId, testing::kUp | testing::kAt, 0,
                                           testing::AttestedCredential(Bytes(16, 0), {}, cose))),
       "length is out of range"},
      {"a credential id longer than what follows",
       AttestationObject("none", Map({}),
                         testing::AuthData(kRpId, testing::kUp | testing::kAt, 0,
                                           Join({Bytes(16, 0), {0x03, 0xff}, Bytes(10, 1)}))),
       "length is out of range"},
      {"an RS256 key",
       AttestationObject("none", Map({}),
                         with_key(Map({{Int(1), Int(3)},
                                       {Int(3), Int(-257)},
                                       {Int(-1), Blob(Bytes(256, 1))},
                                       {Int(-2), Blob(Bytes(3, 1))}}))),
       "only ES256"},
      {"an ES384 key",
       AttestationObject("none", Map({}),
                         with_key(Map({{Int(1), Int(2)},
                                       {Int(3), Int(-35)},
                                       {Int(-1), Int(2)},
                                       {Int(-2), Blob(p.subspan(1, 32))},
                                       {Int(-3), Blob(p.subspan(33, 32))}}))),
       "only ES256"},
      {"a point off the curve",
       AttestationObject("none", Map({}),
                         with_key(Map({{Int(1), Int(2)},
                                       {Int(3), Int(-7)},
                                       {Int(-1), Int(1)},
                                       {Int(-2), Blob(p.subspan(1, 32))},
                                       {Int(-3), Blob(off_curve_y)}}))),
       "not a P-256 point"},
      {"a short x",
       AttestationObject("none", Map({}),
                         with_key(Map({{Int(1), Int(2)},
                                       {Int(3), Int(-7)},
                                       {Int(-1), Int(1)},
                                       {Int(-2), Blob(p.subspan(1, 31))},
                                       {Int(-3), Blob(p.subspan(33, 32))}}))),
       "32-byte x and y"},
      {"bytes after the key", AttestationObject("none", Map({}), Join({auth, {0x00}})),
       "bytes after its end"},
      {"extensions that are not a map",
       AttestationObject(
           "none", Map({}),
           testing::AuthData(kRpId, testing::kUp | testing::kAt | testing::kEd, 0,
                             Join({testing::AttestedCredential(Bytes(16, 0), id_, cose), Int(5)}))),
       "not a map"},
      {"hostile CBOR in the key",
       AttestationObject("none", Map({}), with_key({0x9a, 0xff, 0xff, 0xff, 0xff})),
       "longer than what follows"},
  };
  for (const auto& c : cases) {
    auto r = VerifyRegistration(Ceremony(), CreateData(), c.object);
    EXPECT_EQ(CodeOf(r), ErrorCode::kInvalidArgument) << c.what << ": " << Why(r);
    EXPECT_NE(Why(r).find(c.message), std::string::npos) << c.what << ": " << Why(r);
  }
  // Extensions that are a map are fine.
  auto extended =
      Register("none", Map({}),
               testing::AuthData(kRpId, testing::kUp | testing::kAt | testing::kEd, 0,
                                 Join({testing::AttestedCredential(Bytes(16, 0), id_, cose),
                                       Map({{Text("credProtect"), Int(1)}})})),
               Ceremony());
  EXPECT_TRUE(extended) << Why(extended);

  // Client data that is not what a browser writes.
  for (
      const std::string& bad : std::vector<std::string>{
          "", "[]", "{", "not json", R"({"type":"webauthn.create","origin":"x"})",
          R"({"type":"webauthn.create","challenge":"*","origin":"https://records.example.org:8443"})",
          R"({"type":1,"challenge":"XFxc","origin":"x"})", std::string(5000, ' ')}) {
    auto r = VerifyRegistration(Ceremony(), AsBytes(bad), AttestationObject("none", Map({}), auth));
    EXPECT_EQ(CodeOf(r), ErrorCode::kInvalidArgument) << bad.substr(0, 40) << ": " << Why(r);
  }
}

// The fuzz target's seeds are what they say: a "none" registration for localhost that verifies,
// so the fuzzer starts from inputs that reach every check.
TEST(WebAuthnSeedTest, TheFuzzTargetsSeedRegistrationVerifies) {
  auto seed = testing::ReadFile(std::filesystem::path(STRONGROOM_SOURCE_DIR) /
                                "fuzz/corpus/webauthn/none-attestation");
  ASSERT_EQ(seed.substr(0, 1), std::string(1, '\0')) << "its first byte: an attestation object";
  seed.erase(0, 1);
  const Bytes challenge(16, 0x42);
  const Expected expected{"localhost", "https://localhost:8443", challenge, false};
  auto made = VerifyRegistration(
      expected, testing::ClientData("webauthn.create", challenge, "https://localhost:8443"),
      AsBytes(seed));
  ASSERT_TRUE(made) << Why(made);
  EXPECT_EQ(made->format, "none");
}

TEST(CborCheckTest, AnItemThatKeepsToTheSubsetPassesWithItsLength) {
  const auto item = Map({{Int(1), Int(2)},
                         {Int(-3), Blob(Bytes(32, 9))},
                         {Text("list"), Array({Text("a"), Int(-70000), Int(1ll << 40)})},
                         {Text("flags"), Bytes{0xf4}}});  // false
  auto length = CheckCborItem(Join({item, {0xff, 0xff}}));
  ASSERT_TRUE(length) << Why(length);
  EXPECT_EQ(*length, item.size()) << "what follows the item is the caller's";
  for (uint8_t simple : {uint8_t{0xf4}, uint8_t{0xf5}, uint8_t{0xf6}}) {
    EXPECT_TRUE(CheckCborItem(Bytes{simple}));
  }
}

TEST(CborCheckTest, HostileCborIsRefusedBeforeAnyoneDecodesIt) {
  Bytes deep;
  for (int i = 0; i < 7; ++i) deep.push_back(0x81);  // [[[[[[[0]]]]]]]
  deep.push_back(0x00);
  Bytes very_deep(100000, 0x81);
  const std::vector<std::pair<Bytes, const char*>> cases = {
      {{}, "ends inside an item"},
      {{0x9a, 0xff, 0xff, 0xff, 0xff}, "array longer than what follows"},  // 4 billion slots
      {{0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "array longer"},
      {{0xba, 0x7f, 0xff, 0xff, 0xff}, "map longer than what follows"},
      {{0x5b, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41},
       "string longer than what follows"},
      {{0x7a, 0xff, 0xff, 0xff, 0xff, 0x61}, "string longer"},
      {{0x82, 0x01}, "array longer than what follows"},
      {{0x82, 0x01, 0x1a, 0x00}, "ends inside an item's length"},
      {{0x19, 0x01}, "ends inside an item's length"},
      {deep, "nests deeper than 6"},
      {very_deep, "longer than 16384 bytes"},
      {{0x9f, 0x01, 0xff}, "indefinite length"},
      {{0x5f, 0x41, 0x00, 0xff}, "indefinite length"},
      {{0x1c}, "reserved length code"},
      {{0xc0, 0x61, 0x61}, "has a tag"},
      {{0xd8, 0x18, 0x41, 0x00}, "has a tag"},
      {{0xf9, 0x3c, 0x00}, "float or a simple value"},
      {{0xfb, 0, 0, 0, 0, 0, 0, 0, 0}, "float or a simple value"},
      {{0xf7}, "float or a simple value"},        // undefined
      {{0xf8, 0x20}, "float or a simple value"},  // simple(32)
      {{0xa2, 0x01, 0x00, 0x01, 0x00}, "map key twice"},
      {{0xa2, 0x61, 0x61, 0x00, 0x61, 0x61, 0x01}, "map key twice"},
      {{0xa1, 0x41, 0x61, 0x00}, "neither an integer nor text"},  // a byte-string key
      {{0xa1, 0x80, 0x00}, "neither an integer nor text"},        // an array key
      {{0x62, 0xc3, 0x28}, "not UTF-8"},
      {{0x63, 0xed, 0xa0, 0x80}, "not UTF-8"},  // a surrogate
      {{0x18, 0x05}, "shortest form"},
      {{0x19, 0x00, 0xff}, "shortest form"},
      {{0x5a, 0x00, 0x00, 0x00, 0x01, 0x00}, "shortest form"},
      // The key 1 twice, the second time in a longer form: still found as the same key.
      {{0xa2, 0x01, 0x00, 0x18, 0x01, 0x00}, "shortest form"},
  };
  for (const auto& [bytes, message] : cases) {
    auto r = CheckCborItem(bytes);
    EXPECT_EQ(CodeOf(r), ErrorCode::kInvalidArgument) << HexEncode(bytes).substr(0, 40);
    EXPECT_NE(Why(r).find(message), std::string::npos)
        << HexEncode(bytes).substr(0, 40) << ": " << Why(r);
  }
  // Within the limits it is given.
  EXPECT_TRUE(CheckCborItem(deep, {.max_depth = 7}));
  EXPECT_FALSE(CheckCborItem(Blob(Bytes(100, 1)), {.max_bytes = 64}));
}

}  // namespace
}  // namespace strongroom::webauthn
