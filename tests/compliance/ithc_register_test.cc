// The IT Health Check register's rules: who may record and sign off, hostile input refused with
// nothing recorded and the attempt audited, findings that block a sign-off, and a second officer.

#include "compliance/ithc_register.h"

#include <gtest/gtest.h>

#include "identity/auth_fixture.h"

namespace strongroom::compliance {
namespace {

const Fingerprint kDeployment = {{{"release", "1.4"}, {"host", "records-1"}, {"version", "1.4.2"}}};

class IthcRegisterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    one_ = Real("olivia.officer", "privileged", "security_officer");
    two_ = Real("oscar.officer", "privileged", "security_officer");
  }

  identity::Principal Real(const std::string& username, const std::string& kind,
                           const std::string& roles) {
    return f_.Real(username, kind, roles);
  }

  CheckInput Input() const {
    CheckInput in;
    in.fingerprint = kDeployment.Digest();
    in.performed_on = FormatRfc3339(f_.clock.Now()).substr(0, 10);
    in.organisation = "Assurance Partners Ltd";
    in.tester = "Tess Tester (CHECK team leader)";
    in.scope = "public and admin listeners, signed in as every role";
    in.report_sha256 = std::string(64, 'c');
    in.findings = {{"TLS 1.2 CBC suites offered", "medium", "testssl: ..."},
                   {"Verbose server banner", "info", ""}};
    return in;
  }

  int64_t Count(const std::string& table) {
    return *store::ReadValue<int64_t>(*f_.store, [&](store::Transaction& tx) -> Result<int64_t> {
      ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT COUNT(*) FROM " + table));
      return rows.front().Int(0);
    });
  }

  identity::AuthFixture f_;
  int sign_offs_ = 0;
  IthcRegister register_ = [this] {
    IthcRegister r(*f_.store, *f_.audit, f_.auth->sessions, f_.clock, crypto::DefaultRandom(),
                   {kDeployment, Severity::kLow});
    r.OnSignOff([this] { ++sign_offs_; });
    return r;
  }();
  identity::Principal one_;
  identity::Principal two_;
};

TEST_F(IthcRegisterTest, ACheckIsRecordedWithThisDeploymentAndItsFindingsOpen) {
  auto check = register_.Record(one_, Input(), f_.ctx);
  ASSERT_TRUE(check) << check.error().message;
  EXPECT_EQ(check->status, "open");
  EXPECT_EQ(check->fingerprint, kDeployment.Text());
  EXPECT_EQ(check->fingerprint_digest, kDeployment.Digest());
  EXPECT_EQ(check->recorded_by, one_.account.id);
  ASSERT_EQ(check->findings.size(), 2u);
  EXPECT_EQ(check->findings[0].state, "open");
  EXPECT_EQ(check->findings[0].severity, "medium");
  const auto events = f_.Events("compliance.ithc.record");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].at("detail").at("findings"), "2");
  EXPECT_EQ(events[0].at("decision").at("allow"), true);
  auto listed = register_.List(two_, f_.ctx);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().findings.size(), 2u);
}

TEST_F(IthcRegisterTest, HostileInputIsRefusedAndNothingIsRecorded) {
  const auto today = Input().performed_on;
  const std::vector<std::pair<const char*, std::function<void(CheckInput&)>>> cases = {
      {"future date", [](CheckInput& in) { in.performed_on = "2999-01-01"; }},
      {"not a date", [](CheckInput& in) { in.performed_on = "01/02/2027"; }},
      {"impossible date", [](CheckInput& in) { in.performed_on = "2027-02-30"; }},
      {"SQL in the date", [](CheckInput& in) { in.performed_on = "1' OR '1'='1"; }},
      {"empty organisation", [](CheckInput& in) { in.organisation = ""; }},
      {"control characters", [](CheckInput& in) { in.tester = "Tess\r\nAdmin: yes"; }},
      {"C1 control", [](CheckInput& in) { in.tester = "Tess\u0085"; }},
      {"too long", [](CheckInput& in) { in.scope = std::string(2001, 's'); }},
      {"invalid UTF-8", [](CheckInput& in) { in.organisation = "Acme\xff"; }},
      {"short digest", [](CheckInput& in) { in.report_sha256 = "abc"; }},
      {"upper-case digest", [](CheckInput& in) { in.report_sha256 = std::string(64, 'C'); }},
      {"script digest",
       [](CheckInput& in) { in.report_sha256 = "<script>" + std::string(56, 'a'); }},
      {"unknown severity", [](CheckInput& in) { in.findings[0].severity = "HIGH"; }},
      {"empty title", [](CheckInput& in) { in.findings[1].title = ""; }},
      {"too many findings",
       [](CheckInput& in) {
         in.findings.assign(1001, {"x", "low", ""});
       }},
      {"no fingerprint", [](CheckInput& in) { in.fingerprint = ""; }},
      {"a fingerprint that is no digest", [](CheckInput& in) { in.fingerprint = "ours"; }},
  };
  for (const auto& [what, spoil] : cases) {
    auto in = Input();
    spoil(in);
    auto r = register_.Record(one_, in, f_.ctx);
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << what;
    EXPECT_EQ(r.error().message.find("Admin: yes"), std::string::npos) << "never echoed";
  }
  EXPECT_EQ(Count("ithc_checks"), 0);
  EXPECT_EQ(Count("ithc_findings"), 0);
  const auto refused = f_.Events("compliance.ithc.record");
  ASSERT_EQ(refused.size(), cases.size()) << "each attempt audited";
  for (const auto& e : refused) EXPECT_EQ(e.at("decision").at("allow"), false);
  // Text that merely looks like SQL or markup is kept as text.
  auto in = Input();
  in.scope = "'; DROP TABLE ithc_checks; -- <script>alert(1)</script>";
  auto kept = register_.Record(one_, in, f_.ctx);
  ASSERT_TRUE(kept);
  EXPECT_EQ(register_.Get(two_, kept->id, f_.ctx)->scope, in.scope);
  (void)today;
}

TEST_F(IthcRegisterTest, OnlySecurityOfficersKeepTheRegister) {
  const auto admin = Real("ada.admin", "privileged", "org_admin");
  const auto editor = Real("ed.editor", "standard", "editor");
  for (const auto* who : {&admin, &editor}) {
    auto r = register_.Record(*who, Input(), f_.ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
    auto listed = register_.List(*who, f_.ctx);
    ASSERT_FALSE(listed);
    EXPECT_EQ(listed.error().code, ErrorCode::kPermissionDenied);
  }
  EXPECT_EQ(Count("ithc_checks"), 0);
  // Each refusal audited, and the routes' first step refuses them the same way.
  for (const auto* action : {"compliance.ithc.record", "compliance.ithc.list"}) {
    const auto events = f_.Events(action);
    ASSERT_EQ(events.size(), 2u) << action;
    for (const auto& e : events) EXPECT_EQ(e.at("decision").at("allow"), false) << action;
  }
  for (auto action : {authz::AdminAction::kIthcRecord, authz::AdminAction::kIthcFinding,
                      authz::AdminAction::kIthcMitigate, authz::AdminAction::kIthcAccept,
                      authz::AdminAction::kIthcSignOff}) {
    auto r = register_.Admit(admin, action, "ithc-1", f_.ctx);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
    EXPECT_TRUE(register_.Admit(one_, action, "ithc-1", f_.ctx));
  }
  EXPECT_EQ(f_.Events("compliance.ithc.sign_off").size(), 1u) << "the refusal, not the admission";
  auto bad = register_.RefuseInput(one_, authz::AdminAction::kIthcRecord, std::string(500, 'x'),
                                   {ErrorCode::kInvalidArgument, "scope must be a string"}, f_.ctx);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  const auto refused = f_.Events("compliance.ithc.record").back();
  EXPECT_EQ(refused.at("decision").at("reason"), "scope must be a string");
  EXPECT_EQ(refused.at("target").at("id").as_string().size(), 64u) << "a path's id, cut";
}

TEST_F(IthcRegisterTest, ACheckOfAnotherDeploymentCoversNothingHere) {
  auto in = Input();
  in.fingerprint = Fingerprint{{{"release", "1.3"}}}.Digest();  // before an upgrade, say
  auto r = register_.Record(one_, in, f_.ctx);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Count("ithc_checks"), 0);
  EXPECT_EQ(f_.Events("compliance.ithc.record").back().at("detail").at("fingerprint").as_string(),
            in.fingerprint);
}

TEST_F(IthcRegisterTest, ASecondOfficerSignsOffOnlyWhenNothingBlockingIsOpen) {
  auto check = register_.Record(one_, Input(), f_.ctx);
  ASSERT_TRUE(check);
  const auto high = register_.AddFinding(
      one_, check->id, {"Stored XSS in a record title", "high", "wapiti: ..."}, f_.ctx);
  ASSERT_TRUE(high);

  auto r = register_.SignOff(one_, check->id, f_.ctx);
  ASSERT_FALSE(r) << "the officer who recorded it";
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  r = register_.SignOff(two_, check->id, f_.ctx);
  ASSERT_FALSE(r) << "an open high and an open medium";
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("2 finding(s)"), std::string::npos) << r.error().message;

  ASSERT_TRUE(register_.Resolve(two_, check->id, *high, Resolution::kMitigate,
                                "titles are escaped; retested 2027-01-20", f_.ctx));
  r = register_.SignOff(two_, check->id, f_.ctx);
  ASSERT_FALSE(r) << "the medium is still open";
  const auto medium = check->findings[0].id;
  ASSERT_TRUE(register_.Resolve(one_, check->id, medium, Resolution::kAccept,
                                "CBC suites needed by a legacy client until March", f_.ctx));
  EXPECT_EQ(sign_offs_, 0);
  r = register_.SignOff(two_, check->id, f_.ctx);
  ASSERT_TRUE(r) << r.error().message << " (the info finding does not block)";
  EXPECT_EQ(r->status, "passed");
  EXPECT_EQ(r->signed_off_by, two_.account.id);
  EXPECT_EQ(sign_offs_, 1);

  auto stored = register_.Get(one_, check->id, f_.ctx);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->findings[0].state, "accepted");
  EXPECT_EQ(stored->findings[0].resolved_by, one_.account.id);
  EXPECT_EQ(stored->findings[2].state, "mitigated");
  EXPECT_EQ(stored->findings[1].state, "open");

  // A passed check is closed.
  auto late = register_.AddFinding(one_, check->id, {"Late", "low", ""}, f_.ctx);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(register_.SignOff(two_, check->id, f_.ctx));
  const auto signed_off = f_.Events("compliance.ithc.sign_off");
  ASSERT_EQ(signed_off.size(), 5u) << "every attempt audited";
  EXPECT_EQ(signed_off[3].at("decision").at("allow"), true);
  EXPECT_EQ(signed_off[3].at("decision").at("reason"), "a second security officer");
  EXPECT_EQ(signed_off[4].at("decision").at("reason"),
            "that IT Health Check is signed off: it is closed");
}

TEST_F(IthcRegisterTest, AcceptingAndSigningOffNeedAFreshSecondFactor) {
  auto check = register_.Record(one_, Input(), f_.ctx);
  ASSERT_TRUE(check);
  f_.clock.Advance(std::chrono::minutes(6));
  auto stale = two_;
  stale.mfa_at = FormatRfc3339(f_.clock.Now() - std::chrono::minutes(6));
  auto accepted = register_.Resolve(stale, check->id, check->findings[0].id, Resolution::kAccept,
                                    "reason", f_.ctx);
  ASSERT_FALSE(accepted);
  EXPECT_EQ(accepted.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(accepted.error().message.find("fresh second factor"), std::string::npos);
  // Mitigation is evidence, not a decision: no re-prompt.
  EXPECT_TRUE(register_.Resolve(stale, check->id, check->findings[0].id, Resolution::kMitigate,
                                "fixed", f_.ctx));
  auto signed_off = register_.SignOff(stale, check->id, f_.ctx);
  ASSERT_FALSE(signed_off);
  EXPECT_NE(signed_off.error().message.find("fresh second factor"), std::string::npos);
}

TEST_F(IthcRegisterTest, BadFindingsAndUnknownIdsAreRefused) {
  auto check = register_.Record(one_, Input(), f_.ctx);
  ASSERT_TRUE(check);
  EXPECT_EQ(register_.AddFinding(one_, "ithc-nope", {"x", "low", ""}, f_.ctx).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(register_.AddFinding(one_, check->id, {"x", "urgent", ""}, f_.ctx).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(register_.AddFinding(one_, check->id, {"x\ny", "low", ""}, f_.ctx).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(register_.Resolve(one_, check->id, "itf-nope", Resolution::kMitigate, "fixed", f_.ctx)
                .error()
                .code,
            ErrorCode::kNotFound);
  const auto id = check->findings[0].id;
  EXPECT_EQ(register_.Resolve(one_, check->id, id, Resolution::kMitigate, "", f_.ctx).error().code,
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(register_.Resolve(one_, check->id, id, Resolution::kMitigate, "fixed", f_.ctx));
  EXPECT_EQ(
      register_.Resolve(one_, check->id, id, Resolution::kAccept, "again", f_.ctx).error().code,
      ErrorCode::kFailedPrecondition);
  EXPECT_EQ(register_.SignOff(two_, "ithc-nope", f_.ctx).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Count("ithc_findings"), 2);
}

TEST_F(IthcRegisterTest, TheBlockingSeverityIsConfigured) {
  IthcRegister lenient(*f_.store, *f_.audit, f_.auth->sessions, f_.clock, crypto::DefaultRandom(),
                       {kDeployment, Severity::kHigh});
  auto check = lenient.Record(one_, Input(), f_.ctx);  // an open medium and an open info
  ASSERT_TRUE(check);
  auto r = lenient.SignOff(two_, check->id, f_.ctx);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, "passed");
  EXPECT_EQ(ParseSeverity("critical"), Severity::kCritical);
  EXPECT_EQ(ParseSeverity("CRITICAL"), std::nullopt);
}

}  // namespace
}  // namespace strongroom::compliance
