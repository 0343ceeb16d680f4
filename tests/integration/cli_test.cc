// The binary's command line: subcommands, exit codes, and refusals at start-up.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakes/temp_dir.h"
#include "integration/instance.h"
#include "integration/process.h"

namespace strongroom::testing {
namespace {

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

TEST(CliTest, VersionAndHelpSucceed) {
  auto v = RunBinary({"version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("strongroom "), std::string::npos);
  EXPECT_NE(v.out.find("openssl OpenSSL 3"), std::string::npos);
  for (auto args : std::vector<std::vector<std::string>>{{"--help"},
                                                         {"init", "--help"},
                                                         {"serve", "--help"},
                                                         {"keys", "rotate", "--help"},
                                                         {"version", "--help"}}) {
    auto r = RunBinary(args);
    EXPECT_EQ(r.exit_code, 0) << args.front();
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << args.front();
  }
}

TEST(CliTest, UsageErrorsExitTwo) {
  for (auto args : std::vector<std::vector<std::string>>{
           {}, {"frobnicate"}, {"serve"}, {"init"}, {"serve", "--config"}, {"init", "--bogus"}}) {
    EXPECT_EQ(RunBinary(args).exit_code, 2) << (args.empty() ? "(none)" : args.front());
  }
}

TEST(CliTest, InitCreatesAPrivateInstance) {
  TempDir dir;
  const auto d = dir.path() / "inst";
  // A trailing slash names the same directory.
  auto r = RunBinary({"init", "--data-dir", d.string() + "/", "--environment", "development"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("fingerprint"), std::string::npos);
  for (const char* f :
       {"strongroom.toml", "keys/master.key", "keys/backup.key", "tls/key.pem", "strongroom.db"}) {
    struct stat st {};
    ASSERT_EQ(::stat((d / f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 077, 0u) << f << " is readable by group or others";
  }
  struct stat st {};
  ASSERT_EQ(::stat(d.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u);
  // Nothing secret is printed.
  const auto key_text = ReadFile(d / "keys/master.key");
  const auto key_hex = key_text.substr(key_text.find("\nkey ") + 5, 64);
  EXPECT_EQ(r.out.find(key_hex), std::string::npos);
  EXPECT_EQ(r.err.find(key_hex), std::string::npos);
  // Each surface on its own listener, on this machine, by default.
  const auto config = ReadFile(d / "strongroom.toml");
  EXPECT_NE(config.find("\nadmin_listen = \"127.0.0.1:8444\"\n"), std::string::npos) << config;
  EXPECT_NE(config.find("\nmetrics_listen = \"127.0.0.1:9464\"\n"), std::string::npos) << config;
  EXPECT_NE(r.out.find("Officers enrol and sign in on the admin listener, 127.0.0.1:8444"),
            std::string::npos)
      << r.out;
}

TEST(CliTest, InitNeverOverwritesAnInstance) {
  TempDir dir;
  const auto d = dir.path() / "inst";
  ASSERT_EQ(RunBinary({"init", "--data-dir", d.string(), "--environment", "test"}).exit_code, 0);
  const auto key_before = ReadFile(d / "keys/master.key");
  auto again = RunBinary({"init", "--data-dir", d.string(), "--environment", "test"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("never overwrites"), std::string::npos);
  EXPECT_EQ(ReadFile(d / "keys/master.key"), key_before);
}

TEST(CliTest, InitCreatesTwoSecurityOfficersWithOneTimeTokens) {
  TempDir dir;
  const auto d = dir.path() / "inst";
  auto r =
      RunBinary({"init", "--data-dir", d.string(), "--environment", "production",
                 "--audit-local-only", "--officer", "ann.able,Ann Able,ann@example.org,2026-01-15",
                 "--officer", "bob.baker,Bob Baker,bob@example.org,2026-02-20"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"ann.able", "bob.baker"}) {
    const auto pos = r.out.find(name);
    ASSERT_NE(pos, std::string::npos) << r.out;
    const auto token = r.out.find("enrolment token ", pos);
    ASSERT_NE(token, std::string::npos);
    const auto value = r.out.substr(token + 16, 64);
    EXPECT_EQ(value.find_first_not_of("0123456789abcdef"), std::string::npos) << value;
    // Stored only as a hash.
    EXPECT_EQ(ReadFile(d / "strongroom.db").find(value), std::string::npos);
  }
  // The creation of each officer is audited, and the log verifies.
  auto search = RunBinary({"audit", "search", "--config", (d / "strongroom.toml").string(),
                           "--action", "admin.bootstrap.officer"});
  EXPECT_EQ(search.exit_code, 0) << search.err;
  EXPECT_NE(search.out.find("\"username\":\"ann.able\""), std::string::npos) << search.out;
  EXPECT_NE(search.out.find("\"username\":\"bob.baker\""), std::string::npos);
  EXPECT_EQ(RunBinary({"audit", "verify", "--config", (d / "strongroom.toml").string()}).exit_code,
            0);
}

TEST(CliTest, InitRefusesOfficersWhoAreNotTwoDifferentPeople) {
  TempDir dir;
  const auto d = dir.path() / "inst";
  const std::vector<std::vector<std::string>> cases = {
      {},  // production has no demo officers
      {"--officer", "ann.able,Ann Able,ann@example.org,2026-01-15"},
      {"--officer", "ann.able,Ann Able,ann@example.org,2026-01-15", "--officer",
       "ann.able2,Ann Able,ANN@example.org,2026-01-15"},
      {"--officer", "ann.able,Ann Able,ann@example.org,2026-01-15", "--officer",
       "Ann.Able,Ann Again,ann2@example.org,2026-01-15"},
      {"--officer", "admin,Ann Able,ann@example.org,2026-01-15", "--officer",
       "bob.baker,Bob,bob@example.org,2026-01-15"},
      {"--officer", "ann.able,Ann\nAble,ann@example.org,2026-01-15", "--officer",
       "bob.baker,Bob,bob@x.org,2026-01-15"},
      {"--officer", "ann.able,Ann Able,not-an-email,2026-01-15", "--officer",
       "bob.baker,Bob,bob@x.org,2026-01-15"},
      {"--officer", "ann.able,Ann,Able,ann@example.org,2026-01-15", "--officer",
       "bob.baker,Bob,bob@x.org,2026-01-15"},
      // BPSS: required in production, a real date, not in the future.
      {"--officer", "ann.able,Ann Able,ann@example.org", "--officer",
       "bob.baker,Bob,bob@x.org,2026-01-15"},
      {"--officer", "ann.able,Ann Able,ann@example.org,2999-01-01", "--officer",
       "bob.baker,Bob,bob@x.org,2026-01-15"},
      {"--officer", "ann.able,Ann Able,ann@example.org,15/01/2026", "--officer",
       "bob.baker,Bob,bob@x.org,2026-01-15"},
      {"--officer", "ann.able,Ann Able,ann@example.org,2026-02-30", "--officer",
       "bob.baker,Bob,bob@x.org,2026-01-15"},
      {"--officer", "ann.able,Ann Able,ann@example.org,2026-01-15'--", "--officer",
       "bob.baker,Bob,bob@x.org,2026-01-15"},
  };
  for (const auto& extra : cases) {
    std::vector<std::string> args = {"init",          "--data-dir", d.string(),
                                     "--environment", "production", "--audit-local-only"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = RunBinary(args);
    EXPECT_EQ(r.exit_code, 2) << (extra.empty() ? "(none)" : extra.back()) << r.out;
    EXPECT_FALSE(std::filesystem::exists(d));
  }
}

TEST(CliTest, InitRefusesBadArgumentsAndLeavesNothing) {
  TempDir dir;
  const auto d = dir.path() / "inst";
  for (auto args : std::vector<std::vector<std::string>>{{"--environment", "staging"},
                                                         {"--listen", "nonsense"},
                                                         {"--listen", "127.0.0.1:99999"},
                                                         {"--admin-listen", "admin\nx = 1"},
                                                         {"--admin-listen", "127.0.0.1"},
                                                         {"--metrics-listen", "[::1]:-1"},
                                                         {"--tls-cert", "/etc/hostname"},
                                                         {"--node", "a\nb"},
                                                         {"--node", "a\x1b[2Jb"},
                                                         {"--node", std::string(65, 'n')}}) {
    std::vector<std::string> full = {"init", "--data-dir", d.string()};
    full.insert(full.end(), args.begin(), args.end());
    EXPECT_EQ(RunBinary(full).exit_code, 2) << args[0] << " " << args[1];
    EXPECT_FALSE(std::filesystem::exists(d));
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

struct StartupRefusal {
  const char* name;
  std::string from;  // text in the generated config...
  std::string to;    // ...replaced by this
  const char* message;
  std::string also_from = "";  // and a second replacement, if any
  std::string also_to = "";
  friend void PrintTo(const StartupRefusal& v, std::ostream* os) { *os << v.name; }
};

class ServeRefusalTest : public ::testing::TestWithParam<StartupRefusal> {};

TEST_P(ServeRefusalTest, ExitsTwoWithAMessageNamingTheProblem) {
  Instance inst;
  // Owned by a user other than root, as production needs, so that the problem named is the one
  // in the file.
  if (::geteuid() == 0) inst.GiveTo(Instance::kNobody, Instance::kNogroup);
  const auto& p = GetParam();
  auto text = Replace(ReadFile(inst.config()), p.from, p.to);
  if (!p.also_from.empty()) text = Replace(text, p.also_from, p.also_to);
  WriteFile(inst.config(), text, 0600);
  auto r = RunBinary({"serve", "--config", inst.config().string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(p.message), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    ConfigErrors, ServeRefusalTest,
    ::testing::Values(
        StartupRefusal{"UnknownKey", "[log]\n", "[log]\nverbosity = 3\n", "'log.verbosity'"},
        StartupRefusal{"WrongType", "access_log = true", "access_log = \"yes\"",
                       "'log.access_log': must be true or false"},
        StartupRefusal{"OutOfRange", "[server]\n", "[server]\nmax_body_bytes = 5\n",
                       "'server.max_body_bytes': must be between"},
        StartupRefusal{"EnvironmentMismatch", "environment = \"test\"",
                       "environment = \"preproduction\"", "stores never cross environments"},
        // (A production configuration may not turn the go-live gate off.)
        StartupRefusal{"ProductionConfigurationOnATestStore", "environment = \"test\"",
                       "environment = \"production\"", "stores never cross environments",
                       "gate = \"off\"", "gate = \"warn\""},
        StartupRefusal{"MissingKeyFile", "keys/master.key", "keys/absent.key", "keys/absent.key"},
        StartupRefusal{"MissingCertificate", "tls/cert.pem", "tls/absent.pem", "certificate"},
        StartupRefusal{"MissingPasswordList", "/usr/share/john/password.lst", "/nonexistent/list",
                       "'accounts.common_passwords_file'"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(ServeTest, RefusesKeyFileReadableByOthers) {
  Instance inst;
  ::chmod((inst.data_dir() / "keys/master.key").c_str(), 0644);
  auto r = RunBinary({"serve", "--config", inst.config().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
}

TEST(ServeTest, RefusesKeyFileOfAnotherEnvironment) {
  Instance test_inst("test");
  Instance dev_inst("development");
  std::filesystem::copy_file(dev_inst.data_dir() / "keys/master.key",
                             test_inst.data_dir() / "keys/master.key",
                             std::filesystem::copy_options::overwrite_existing);
  auto r = RunBinary({"serve", "--config", test_inst.config().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("keys never cross environments"), std::string::npos) << r.err;
}

TEST(ServeTest, RefusesStoreOfAnotherEnvironment) {
  Instance test_inst("test");
  Instance dev_inst("development");
  std::filesystem::copy_file(dev_inst.data_dir() / "strongroom.db",
                             test_inst.data_dir() / "strongroom.db",
                             std::filesystem::copy_options::overwrite_existing);
  auto r = RunBinary({"serve", "--config", test_inst.config().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("stores never cross environments"), std::string::npos) << r.err;
}

TEST(KeysCommandTest, RotateRefusedWhileServingThenWorksWhenStopped) {
  Instance inst;
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
  auto busy = RunBinary({"keys", "rotate", "--config", inst.config().string()});
  EXPECT_EQ(busy.exit_code, 2);
  EXPECT_NE(busy.err.find("another Strongroom process"), std::string::npos) << busy.err;
  ASSERT_EQ(inst.Stop(), 0);
  const auto before = ReadFile(inst.data_dir() / "keys/master.key");
  auto r = RunBinary({"keys", "rotate", "--config", inst.config().string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(ReadFile(inst.data_dir() / "keys/master.key"), before);
  ASSERT_TRUE(inst.Start()) << inst.StartupError();
}

}  // namespace
}  // namespace strongroom::testing

namespace strongroom::testing {
namespace {

// Every environment's store and key file, opened by an instance of every environment: refused
// unless they are the same (and another instance's key file, even of the same environment, is not
// this store's master key).
struct Crossing {
  std::string from;
  std::string to;
  std::string file;  // "strongroom.db" or "keys/master.key"
};

class EnvironmentMatrixTest : public ::testing::TestWithParam<Crossing> {};

TEST_P(EnvironmentMatrixTest, MaterialNeverCrossesEnvironments) {
  const auto& c = GetParam();
  Instance target(c.to);
  Instance source(c.from);
  std::filesystem::copy_file(source.data_dir() / c.file, target.data_dir() / c.file,
                             std::filesystem::copy_options::overwrite_existing);
  if (c.file == "strongroom.db") {
    // The store comes with its own master key (as a restored backup would).
    std::filesystem::copy_file(source.data_dir() / "keys/master.key",
                               target.data_dir() / "keys/master.key",
                               std::filesystem::copy_options::overwrite_existing);
  }
  if (c.from == c.to && c.file == "strongroom.db") {
    EXPECT_TRUE(target.Start()) << target.StartupError();
    return;
  }
  if (c.from == c.to) {
    // Another instance's key file of the same environment: not the key this store was made with.
    auto r = RunBinary({"serve", "--config", target.config().string()});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("the store's master key is"), std::string::npos) << r.err;
    return;
  }
  auto r = RunBinary({"serve", "--config", target.config().string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("never cross environments"), std::string::npos) << r.err;
}

std::vector<Crossing> Crossings() {
  std::vector<Crossing> out;
  for (const char* from : {"production", "preproduction", "test", "development"}) {
    for (const char* to : {"production", "preproduction", "test", "development"}) {
      for (const char* file : {"strongroom.db", "keys/master.key"}) out.push_back({from, to, file});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(All, EnvironmentMatrixTest, ::testing::ValuesIn(Crossings()),
                         [](const ::testing::TestParamInfo<Crossing>& p) {
                           return p.param.from + "To" + p.param.to +
                                  (p.param.file == "strongroom.db" ? "Store" : "KeyFile");
                         });

}  // namespace
}  // namespace strongroom::testing
