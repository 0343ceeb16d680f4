// `strongroom doctor` on a real instance: what it checks, and that each check can fail.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <map>

#include "fakes/temp_dir.h"
#include "integration/instance.h"
#include "integration/process.h"

namespace strongroom::testing {
namespace {

// The checks of one `doctor --json` run, by name: status and detail.
struct Report {
  int exit_code = -1;
  bool ok = false;
  std::map<std::string, std::pair<std::string, std::string>> checks;
};

Report Doctor(const Instance& inst) {
  auto r = RunBinary({"doctor", "--config", inst.config().string(), "--json"});
  Report out;
  out.exit_code = r.exit_code;
  auto parsed = boost::json::parse(r.out).as_object();
  out.ok = parsed.at("ok").as_bool();
  for (const auto& c : parsed.at("checks").as_array()) {
    const auto& o = c.as_object();
    out.checks[std::string(o.at("check").as_string())] = {std::string(o.at("status").as_string()),
                                                          std::string(o.at("detail").as_string())};
  }
  return out;
}

TEST(DoctorTest, AFreshInstancePassesItsOwnChecks) {
  Instance inst;
  const auto report = Doctor(inst);
  for (const char* check : {"files.instance_dir",
                            "files.config",
                            "files.master_key",
                            "keys.master",
                            "files.audit_key",
                            "files.tls_key",
                            "files.store",
                            "files.backup_key",
                            "tls.expiry",
                            "tls.key_strength",
                            "tls.issuer",
                            "listeners.https",
                            "listeners.admin",
                            "listeners.metrics",
                            "process.syscall_filter",
                            "defense.crs",
                            "defense.mode",
                            "versions.libssl3",
                            "versions.libsqlite3-0",
                            "versions.libboost-json1.81.0"}) {
    ASSERT_TRUE(report.checks.contains(check)) << check;
    EXPECT_EQ(report.checks.at(check).first, "pass")
        << check << ": " << report.checks.at(check).second;
  }
  EXPECT_NE(report.checks.at("tls.issuer").second.find("self-signed"), std::string::npos)
      << "init's certificate is self-signed: " << report.checks.at("tls.issuer").second;
  // The host-wide checks looked, whatever they found on this machine.
  ASSERT_TRUE(report.checks.contains("clock.synchronised"));
  ASSERT_TRUE(report.checks.contains("updates.security"));
  EXPECT_NE(report.checks.at("updates.security").second.find("libssl3"), std::string::npos)
      << report.checks.at("updates.security").second;
  EXPECT_EQ(report.exit_code, report.ok ? 0 : 1);
  EXPECT_EQ(report.checks.at("process.restart").first, "skip") << "no server running yet";

  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  const auto running = Doctor(inst);
  EXPECT_EQ(running.checks.at("process.restart").first, "pass")
      << running.checks.at("process.restart").second;
  EXPECT_NE(running.checks.at("process.restart")
                .second.find("pid " + std::to_string(inst.process().pid())),
            std::string::npos)
      << "it found the instance's own server: " << running.checks.at("process.restart").second;
}

TEST(DoctorTest, ALooseKeyFileOrAWeakCertificateFails) {
  Instance inst;
  ASSERT_EQ(::chmod((inst.data_dir() / "keys" / "master.key").c_str(), 0644), 0);
  auto loose = Doctor(inst);
  EXPECT_EQ(loose.checks.at("files.master_key").first, "fail");
  EXPECT_NE(loose.checks.at("files.master_key").second.find("0644"), std::string::npos);
  EXPECT_EQ(loose.exit_code, 1);
  EXPECT_FALSE(loose.ok);
  ASSERT_EQ(::chmod((inst.data_dir() / "keys" / "master.key").c_str(), 0600), 0);

  // A 1024-bit RSA certificate, made by openssl itself, in place of the instance's.
  const auto tls = inst.data_dir() / "tls";
  auto made = RunProgram(
      "/usr/bin/openssl",
      {"req", "-x509", "-newkey", "rsa:1024", "-nodes", "-days", "30", "-subj", "/CN=weak.test",
       "-keyout", (tls / "key.pem").string(), "-out", (tls / "cert.pem").string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  ASSERT_EQ(::chmod((tls / "key.pem").c_str(), 0600), 0);
  auto weak = Doctor(inst);
  EXPECT_EQ(weak.checks.at("tls.key_strength").first, "fail")
      << weak.checks.at("tls.key_strength").second;
  EXPECT_NE(weak.checks.at("tls.key_strength").second.find("RSA 1024"), std::string::npos);
  EXPECT_EQ(weak.checks.at("tls.expiry").first, "warn") << "30 days is under a month's notice";
  EXPECT_EQ(weak.checks.at("files.master_key").first, "pass") << "and the key file is fine again";
}

TEST(DoctorTest, ASelfSignedCertificateIsAWarningInProduction) {
  Instance inst("production");
  const auto report = Doctor(inst);
  EXPECT_EQ(report.checks.at("tls.issuer").first, "warn");
  EXPECT_EQ(report.checks.at("files.master_key").first, "pass");
  // The test harness serves every surface on one listener: in production, a warning.
  EXPECT_EQ(report.checks.at("listeners.admin").first, "warn");
  EXPECT_NE(report.checks.at("listeners.admin").second.find("server.admin_listen"),
            std::string::npos)
      << report.checks.at("listeners.admin").second;
}

TEST(DoctorTest, AnAllowListThatAdmitsEveryoneIsAWarning) {
  Instance inst;
  inst.SetServer(
      {{"admin_listen", "\"127.0.0.1:0\""}, {"admin_allow", R"(["10.0.0.0/8", "::/0"])"}});
  const auto report = Doctor(inst);
  EXPECT_EQ(report.checks.at("listeners.admin").first, "warn");
  EXPECT_NE(report.checks.at("listeners.admin").second.find("::/0 admits every address"),
            std::string::npos)
      << report.checks.at("listeners.admin").second;
  EXPECT_EQ(report.checks.at("listeners.metrics").first, "pass")
      << report.checks.at("listeners.metrics").second;
}

TEST(DoctorTest, AConfigurationItCannotReadIsAUsageErrorAndNothingIsChecked) {
  TempDir dir;
  const auto bad = dir.path() / "bad.toml";
  WriteFile(bad, "environment = \"test\"\n[server]\nlisten = \"'; rm -rf /\"\n", 0600);
  for (const std::string& config :
       {(dir.path() / "missing.toml").string(), bad.string(), std::string(5000, 'x')}) {
    auto r = RunBinary({"doctor", "--config", config, "--json"});
    EXPECT_EQ(r.exit_code, 2) << config.substr(0, 80);
    EXPECT_TRUE(r.out.empty()) << "no findings for a configuration it cannot read: " << r.out;
    EXPECT_NE(r.err.find("strongroom: "), std::string::npos) << r.err;
  }
}

TEST(DoctorTest, DetectionWithoutItsRulesOrOffIsAFailure) {
  Instance missing;
  missing.AddToSection("defense", "crs_rules = \"/nonexistent/crs\"\n");
  auto report = Doctor(missing);
  EXPECT_EQ(report.checks.at("defense.crs").first, "fail");
  EXPECT_NE(report.checks.at("defense.crs").second.find("/nonexistent/crs/REQUEST-901"),
            std::string::npos)
      << report.checks.at("defense.crs").second;
  EXPECT_EQ(report.exit_code, 1);
  Instance off;
  off.AddToSection("defense", "enabled = false\n");
  report = Doctor(off);
  EXPECT_EQ(report.checks.at("defense.crs").first, "fail");
  EXPECT_EQ(report.exit_code, 1);
}

TEST(DoctorTest, TheFilterOffIsAFailure) {
  Instance inst;
  inst.SetServer({{"syscall_filter", "false"}});
  const auto report = Doctor(inst);
  EXPECT_EQ(report.checks.at("process.syscall_filter").first, "fail");
  EXPECT_EQ(report.exit_code, 1);
}

}  // namespace
}  // namespace strongroom::testing
