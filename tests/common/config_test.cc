#include "common/config.h"

#include <gtest/gtest.h>

namespace strongroom {
namespace {

constexpr const char* kMinimal = R"(
environment = "test"
[tls]
certificate = "tls/cert.pem"
private_key = "tls/key.pem"
[store]
path = "strongroom.db"
[keys]
master_key_file = "keys/master.key"
[audit]
signing_key_file = "keys/audit.key"
)";

Result<Config> Parse(const std::string& text) {
  return ParseConfig(text, "/etc/sr/strongroom.toml");
}

TEST(ConfigTest, MinimalFileGetsSecureDefaultsAndResolvesPaths) {
  auto cfg = Parse(kMinimal);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->environment, Environment::kTest);
  EXPECT_EQ(cfg->server.listen, "127.0.0.1:8443");
  EXPECT_EQ(cfg->server.limits.header_timeout, std::chrono::milliseconds(8000));
  EXPECT_EQ(cfg->server.limits.keepalive_timeout, std::chrono::milliseconds(60000));
  EXPECT_EQ(cfg->server.limits.max_header_bytes, 16 * 1024);
  EXPECT_EQ(cfg->server.limits.max_body_bytes, 1024 * 1024);
  EXPECT_EQ(cfg->tls.min_version, "1.2");
  EXPECT_EQ(cfg->tls.certificate, "/etc/sr/tls/cert.pem");
  EXPECT_EQ(cfg->store.path, "/etc/sr/strongroom.db");
  EXPECT_EQ(cfg->keys.master_key_file, "/etc/sr/keys/master.key");
  // Every surface on `listen` unless given its own; admin and metrics for this machine only.
  EXPECT_EQ(cfg->server.admin_listen, "");
  EXPECT_EQ(cfg->server.metrics_listen, "");
  for (const auto* allow : {&cfg->server.admin_allow, &cfg->server.metrics_allow}) {
    EXPECT_TRUE(allow->Contains("127.0.0.1"));
    EXPECT_TRUE(allow->Contains("::1"));
    EXPECT_FALSE(allow->Contains("10.0.0.1"));
    EXPECT_FALSE(allow->Contains("::2"));
  }
  EXPECT_TRUE(cfg->server.proxy_from.empty()) << "no PROXY protocol header is read by default";
  EXPECT_FALSE(cfg->server.proxy_from.Contains("127.0.0.1"));
}

TEST(ConfigTest, BackupsHaveAKeyBesideTheConfigurationAndABoundedRetention) {
  auto cfg = Parse(kMinimal);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->backup.key_file, "/etc/sr/keys/backup.key");
  EXPECT_EQ(cfg->backup.retention_days, 35);
  cfg = Parse(std::string(kMinimal) + "[backup]\nkey_file = \"/safe/b.key\"\nretention_days = 7\n");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->backup.key_file, "/safe/b.key");
  EXPECT_EQ(cfg->backup.retention_days, 7);
  for (const char* bad : {"0", "366", "-1", "\"35 days\"", "1e3"}) {
    auto refused = Parse(std::string(kMinimal) + "[backup]\nretention_days = " + bad + "\n");
    ASSERT_FALSE(refused) << bad;
    EXPECT_NE(refused.error().message.find("'backup.retention_days'"), std::string::npos)
        << refused.error().message;
  }
  auto unknown = Parse(std::string(kMinimal) + "[backup]\nkeep_forever = true\n");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("'backup.keep_forever': unknown setting"),
            std::string::npos)
      << unknown.error().message;
}

TEST(ConfigTest, AListenersOwnCertificateComesWithItsKeyAndItsListener) {
  const std::string admin = "[server]\nadmin_listen = \"127.0.0.1:8444\"\n";
  // kMinimal with `lines` added to its [tls] table.
  const auto base_with = [](const std::string& lines) {
    std::string text = kMinimal;
    text.insert(text.find("[tls]\n") + 6, lines);
    return text;
  };
  auto cfg =
      Parse(base_with("admin_certificate = \"a.pem\"\nadmin_private_key = \"a.key\"\n") + admin);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->tls.admin_certificate, "/etc/sr/a.pem");
  EXPECT_EQ(cfg->tls.admin_private_key, "/etc/sr/a.key");
  EXPECT_TRUE(cfg->tls.metrics_certificate.empty());
  auto alone = Parse(base_with("metrics_certificate = \"m.pem\"\n"));
  ASSERT_FALSE(alone);
  EXPECT_NE(alone.error().message.find("'tls.metrics_certificate': goes with "
                                       "tls.metrics_private_key"),
            std::string::npos)
      << alone.error().message;
  auto shared = Parse(base_with("admin_certificate = \"a.pem\"\nadmin_private_key = \"a.key\"\n"));
  ASSERT_FALSE(shared);
  EXPECT_NE(shared.error().message.find("'tls.admin_certificate': needs server.admin_listen"),
            std::string::npos)
      << shared.error().message;
}

TEST(ConfigTest, ListenersAndAllowListsAreRead) {
  auto cfg = Parse(std::string(kMinimal) + R"([server]
admin_listen = "10.1.2.3:8444"
admin_origin = "https://admin.example.org"
admin_allow = ["10.1.0.0/16", "2001:db8::/32"]
metrics_listen = "[::1]:9464"
metrics_allow = []
proxy_from = ["10.0.0.10"]
)");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server.admin_listen, "10.1.2.3:8444");
  EXPECT_EQ(cfg->server.admin_origin, "https://admin.example.org");
  EXPECT_TRUE(cfg->server.admin_allow.Contains("10.1.200.1"));
  EXPECT_TRUE(cfg->server.admin_allow.Contains("2001:db8:1::5"));
  EXPECT_FALSE(cfg->server.admin_allow.Contains("127.0.0.1"));
  EXPECT_EQ(cfg->server.metrics_listen, "[::1]:9464");
  EXPECT_TRUE(cfg->server.metrics_allow.empty()) << "an empty list admits nobody";
  EXPECT_FALSE(cfg->server.metrics_allow.Contains("127.0.0.1"));
  EXPECT_TRUE(cfg->server.proxy_from.Contains("10.0.0.10"));
  EXPECT_FALSE(cfg->server.proxy_from.Contains("10.0.0.11"));
}

// The store is SQLite's file or PostgreSQL's connection string, never both; the node keeps its
// lock (and by default its journal) beside the one or the configuration file.
TEST(ConfigTest, AStoreIsAFileOrAConnectionStringAndTheNodeDirectoryFollows) {
  auto sqlite = Parse(kMinimal);
  ASSERT_TRUE(sqlite) << sqlite.error().message;
  EXPECT_EQ(InstanceLockPath(*sqlite), "/etc/sr/strongroom.db.lock");
  EXPECT_EQ(AuditJournalPath(*sqlite), "/etc/sr/audit");
  std::string pg(kMinimal);
  const std::string file_line = "path = \"strongroom.db\"\n";
  pg.replace(pg.find(file_line), file_line.size(),
             "backend = \"postgresql\"\nconninfo = \"host=/run/postgresql dbname=sr\"\n");
  auto cfg = Parse(pg);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->store.backend, "postgresql");
  EXPECT_EQ(cfg->store.conninfo, "host=/run/postgresql dbname=sr");
  EXPECT_EQ(InstanceLockPath(*cfg), "/etc/sr/node.lock");
  EXPECT_EQ(AuditJournalPath(*cfg), "/etc/sr/audit");
  EXPECT_EQ(PrefilterCachePath(*cfg), "/etc/sr/prefilter.cache");

  const std::pair<std::string, std::string> bad[] = {
      {"backend = \"postgresql\"\n", "'store.conninfo': is required for PostgreSQL"},
      {"backend = \"postgresql\"\nconninfo = \"dbname=sr\"\npath = \"x.db\"\n",
       "'store.path': is for backend = \"sqlite\" only"},
      {"path = \"x.db\"\nconninfo = \"dbname=sr\"\n", "'store.conninfo': is for backend"},
      {"backend = \"mysql\"\npath = \"x.db\"\n", "'store.backend'"},
      {"backend = \"postgresql\"\nconninfo = \"dbname=sr\\u0007\"\n",
       "'store.conninfo': must not contain control characters"}};
  for (const auto& [store, message] : bad) {
    std::string text(kMinimal);
    text.replace(text.find(file_line), file_line.size(), store);
    auto r = Parse(text);
    ASSERT_FALSE(r) << store;
    EXPECT_NE(r.error().message.find(message), std::string::npos) << r.error().message;
  }
}

struct BadConfig {
  const char* name;
  std::string extra;    // appended to the minimal file
  const char* message;  // expected in the error
  friend void PrintTo(const BadConfig& v, std::ostream* os) { *os << v.name; }
};

class ConfigErrorTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrorTest, RefusesWithOneMessageNamingTheKey) {
  auto cfg = Parse(std::string(kMinimal) + GetParam().extra);
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(cfg.error().message.find(GetParam().message), std::string::npos) << cfg.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, ConfigErrorTest,
    ::testing::Values(
        BadConfig{"UnknownSection", "[frobnicate]\nx = 1\n", "'frobnicate': unknown section"},
        BadConfig{"UnknownServerKey", "[server]\nlistn = \"1.2.3.4:5\"\n",
                  "'server.listn': unknown setting"},
        BadConfig{"WrongTypeInteger", "[server]\nheader_timeout_ms = \"8s\"\n",
                  "'server.header_timeout_ms': must be an integer"},
        BadConfig{"WrongTypeBool", "[log]\naccess_log = 1\n", "'log.access_log': must be true"},
        BadConfig{"OutOfRangeLow", "[server]\nmax_header_bytes = 10\n",
                  "'server.max_header_bytes': must be between 1024 and 65536"},
        BadConfig{"OutOfRangeHigh", "[server]\nmax_connections = 99999999\n",
                  "'server.max_connections': must be between"},
        BadConfig{"JournalSegmentTooSmall", "segment_kib = 1\n",
                  "'audit.segment_kib': must be between 64 and 1048576"},
        BadConfig{"JournalSegmentNotANumber", "segment_kib = \"64 MiB\"\n", "'audit.segment_kib'"},
        BadConfig{"NodeWithControlCharacters", "node = \"node\\u001b[31m\"\n",
                  "'audit.node': must not contain control characters"},
        BadConfig{"NodeTooLong", "node = \"" + std::string(65, 'n') + "\"\n",
                  "'audit.node': must be at most 64 characters"},
        BadConfig{"NegativeTimeout", "[server]\nkeepalive_timeout_ms = -1\n",
                  "'server.keepalive_timeout_ms': must be between"},
        BadConfig{"RateTooHigh", "[server]\nrequests_per_second_per_source = 1001\n",
                  "'server.requests_per_second_per_source': must be between 0 and 1000"},
        BadConfig{"RateNegative", "[server]\nrequests_per_second_per_source = -5\n",
                  "'server.requests_per_second_per_source': must be between"},
        BadConfig{"RateNotANumber", "[server]\nrequests_per_second_per_source = \"100; DROP\"\n",
                  "'server.requests_per_second_per_source': must be an integer"},
        BadConfig{"BurstZero", "[server]\nrequest_burst_per_source = 0\n",
                  "'server.request_burst_per_source': must be between 1 and"},
        BadConfig{"BadListen", "[server]\nlisten = \"8443\"\n",
                  "'server.listen': must be HOST:PORT"},
        BadConfig{"BadPort", "[server]\nlisten = \"127.0.0.1:70000\"\n",
                  "'server.listen': port must be"},
        BadConfig{"BadOrigin", "[server]\npublic_origin = \"http://x\"\n",
                  "'server.public_origin': must be an https origin"},
        BadConfig{"BadAdminListen", "[server]\nadmin_listen = \"admin; rm -rf /\"\n",
                  "'server.admin_listen': must be HOST:PORT"},
        BadConfig{"BadMetricsListen", "[server]\nmetrics_listen = \"127.0.0.1:99999\"\n",
                  "'server.metrics_listen': port must be"},
        BadConfig{"OriginWithAPath", "[server]\npublic_origin = \"https://x.example.org/app\"\n",
                  "'server.public_origin': must be an https origin"},
        BadConfig{"BadAdminOrigin", "[server]\nadmin_origin = \"https://x/?a=b\"\n",
                  "'server.admin_origin': must be an https origin"},
        BadConfig{"AllowNotAList", "[server]\nadmin_allow = \"10.0.0.0/8\"\n",
                  "'server.admin_allow': must be an array of strings"},
        BadConfig{"AllowNotAnAddress", "[server]\nadmin_allow = [\"everyone\"]\n",
                  "'server.admin_allow': 'everyone' is not an IP address or CIDR range"},
        BadConfig{"AllowHostBits", "[server]\nmetrics_allow = [\"10.0.0.1/8\"]\n",
                  "'server.metrics_allow': '10.0.0.1/8' has bits set past its prefix length"},
        BadConfig{"AllowPrefixTooLong", "[server]\nadmin_allow = [\"10.0.0.0/33\"]\n",
                  "'server.admin_allow': '10.0.0.0/33': the prefix length must be 0 to 32"},
        BadConfig{"ProxyFromNotAnAddress", "[server]\nproxy_from = [\"nginx.local\"]\n",
                  "'server.proxy_from': 'nginx.local' is not an IP address or CIDR range"},
        BadConfig{"AllowPrefixJunk", "[server]\nadmin_allow = [\"::1/1x\"]\n",
                  "the prefix length must be 0 to 128"},
        BadConfig{"AllowRepeated", "[server]\nadmin_allow = [\"::1\", \"::1\"]\n",
                  "'server.admin_allow': must not repeat an entry"},
        BadConfig{"AllowNumber", "[server]\nadmin_allow = [10]\n",
                  "'server.admin_allow': must be an array of strings"},
        BadConfig{"BadLogLevel", "[log]\nlevel = \"loud\"\n", "'log.level': must be one of"},
        BadConfig{"ControlCharacter", "[log]\nlevel = \"in\\u0007fo\"\n",
                  "'log.level': must not contain control characters"},
        BadConfig{"RpIdAnAddress", "[accounts]\nwebauthn_rp_id = \"10.0.0.1\"\n",
                  "'accounts.webauthn_rp_id': must be a host name"},
        BadConfig{"RpIdUpperCase", "[accounts]\nwebauthn_rp_id = \"Records.Example.org\"\n",
                  "'accounts.webauthn_rp_id': must be a host name"},
        BadConfig{"RpIdWithPort", "[accounts]\nwebauthn_rp_id = \"records.example.org:8443\"\n",
                  "'accounts.webauthn_rp_id': must be a host name"},
        BadConfig{"RpIdAnOrigin", "[accounts]\nwebauthn_rp_id = \"https://records.example.org\"\n",
                  "'accounts.webauthn_rp_id': must be a host name"},
        BadConfig{"RpIdEmptyLabel", "[accounts]\nwebauthn_rp_id = \"records..example.org\"\n",
                  "'accounts.webauthn_rp_id': must be a host name"},
        BadConfig{"RpIdTrailingDot", "[accounts]\nwebauthn_rp_id = \"example.org.\"\n",
                  "'accounts.webauthn_rp_id': must be a host name"},
        BadConfig{"RpIdHyphenEnd", "[accounts]\nwebauthn_rp_id = \"example-.org\"\n",
                  "'accounts.webauthn_rp_id': must be a host name"},
        BadConfig{"RpIdSql", "[accounts]\nwebauthn_rp_id = \"x'; DROP TABLE accounts; --\"\n",
                  "'accounts.webauthn_rp_id': must be a host name"},
        BadConfig{"RpIdLabelTooLong",
                  "[accounts]\nwebauthn_rp_id = \"" + std::string(64, 'a') + ".org\"\n",
                  "'accounts.webauthn_rp_id': must be a host name"},
        BadConfig{"RpIdTooLong", "[accounts]\nwebauthn_rp_id = \"" + std::string(254, 'a') + "\"\n",
                  "'accounts.webauthn_rp_id': must be at most 253 characters"},
        BadConfig{"NotToml", "[server\n", "not valid TOML"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(ConfigTest, TopLevelKeysAreChecked) {
  auto unknown = Parse("colour = \"blue\"\n" + std::string(kMinimal));
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("'colour': unknown setting"), std::string::npos);
  auto not_table = Parse("server = 3\n" + std::string(kMinimal));
  ASSERT_FALSE(not_table);
  EXPECT_NE(not_table.error().message.find("'server': must be a table"), std::string::npos);
}

TEST(ConfigTest, EnvironmentIsRequiredAndChecked) {
  auto missing = Parse("[tls]\ncertificate=\"c\"\nprivate_key=\"k\"\n");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("'environment': is required"), std::string::npos);
  auto bad = Parse("environment = \"staging\"\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'environment': must be one of"), std::string::npos);
}

TEST(ConfigTest, TlsVersionMustBeKnown) {
  std::string text = kMinimal;
  text.replace(text.find("[store]"), 0, "min_version = \"1.1\"\n");
  auto cfg = Parse(text);
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("'tls.min_version': must be one of '1.2', '1.3'"),
            std::string::npos);
}

TEST(ConfigTest, TheSyscallFilterIsOnAndStaysOnInProduction) {
  EXPECT_TRUE(Parse(kMinimal)->server.syscall_filter) << "on by default";
  const std::string off = std::string(kMinimal) + "[server]\nsyscall_filter = false\n";
  auto test = Parse(off);
  ASSERT_TRUE(test) << test.error().message;
  EXPECT_FALSE(test->server.syscall_filter) << "may be turned off outside production";
  std::string production = off;
  production.replace(production.find("\"test\""), 6, "\"production\"");
  auto refused = Parse(production);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("'server.syscall_filter': must stay true in production"),
            std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(Parse(std::string(kMinimal) + "[server]\nsyscall_filter = \"no\"\n"))
      << "a boolean only";
}

TEST(ConfigTest, DetectionIsOnInBlockModeByDefaultAndItsSettingsAreChecked) {
  const auto d = Parse(kMinimal)->defense;
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.mode, "block");
  EXPECT_EQ(d.paranoia_level, 1);
  EXPECT_EQ(d.inbound_threshold, 5);
  EXPECT_EQ(d.crs_rules, "/usr/share/modsecurity-crs/rules");
  EXPECT_TRUE(d.allow.empty());
  EXPECT_EQ(d.prefilter, "on");
  EXPECT_TRUE(d.prefilter_cache.empty());
  EXPECT_EQ(PrefilterCachePath(*Parse(kMinimal)), "/etc/sr/prefilter.cache")
      << "beside the store's database";
  auto set = Parse(std::string(kMinimal) +
                   "[defense]\nmode = \"detect\"\nparanoia_level = 2\nblock_s = 60\n"
                   "allow = [\"10.1.0.0/16\"]\ncrs_rules = \"crs\"\nprefilter = \"verify\"\n"
                   "prefilter_cache = \"cache/pf\"\n");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->defense.mode, "detect");
  EXPECT_EQ(set->defense.paranoia_level, 2);
  EXPECT_EQ(set->defense.block_for, std::chrono::seconds(60));
  EXPECT_TRUE(set->defense.allow.Contains("10.1.2.3"));
  EXPECT_EQ(set->defense.crs_rules, "/etc/sr/crs");
  EXPECT_EQ(set->defense.prefilter, "verify");
  EXPECT_EQ(set->defense.prefilter_cache, "/etc/sr/cache/pf");
  EXPECT_EQ(PrefilterCachePath(*set), "/etc/sr/cache/pf");
  for (const char* bad :
       {"mode = \"log\"", "paranoia_level = 5", "paranoia_level = 0", "inbound_threshold = 0",
        "block_s = 1", "allow = [\"10.1.2.3/8\"]", "queue = 0", "crs_rules = \"\"", "typo = 1",
        "enabled = \"yes\"", "prefilter = \"maybe\"", "prefilter = true", "prefilter_cache = 5"}) {
    auto refused = Parse(std::string(kMinimal) + "[defense]\n" + bad + "\n");
    ASSERT_FALSE(refused) << bad;
    EXPECT_NE(refused.error().message.find("defense."), std::string::npos)
        << bad << ": " << refused.error().message;
  }
  std::string production = std::string(kMinimal) + "[defense]\nenabled = false\n";
  EXPECT_TRUE(Parse(production)) << "may be turned off outside production";
  production.replace(production.find("\"test\""), 6, "\"production\"");
  auto refused = Parse(production);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("'defense.enabled': must stay true in production"),
            std::string::npos)
      << refused.error().message;
}

TEST(ConfigTest, ProductionNeedsACollectorUnlessTheRiskIsAccepted) {
  std::string text = kMinimal;
  text.replace(text.find("\"test\""), 6, "\"production\"");
  auto refused = CheckReadyToServe(*Parse(text));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("'audit.collector': is required in production"),
            std::string::npos);
  EXPECT_TRUE(CheckReadyToServe(*Parse(text + "local_only = true\n")));
  auto half = Parse(text + "collector = \"logs.example:2514\"\n");
  ASSERT_FALSE(half);
  EXPECT_NE(half.error().message.find("'audit.collector_ca': is required"), std::string::npos);
  auto full = Parse(text +
                    "collector = \"logs.example:2514\"\ncollector_ca = \"ca.pem\"\n"
                    "client_certificate = \"c.pem\"\nclient_key = \"k.pem\"\n");
  ASSERT_TRUE(full) << full.error().message;
  EXPECT_EQ(full->audit.collector_ca, "/etc/sr/ca.pem");
  EXPECT_TRUE(CheckReadyToServe(*full));
}

TEST(ConfigTest, AuditRetentionIsBetweenSixMonthsAndTwoYears) {
  EXPECT_FALSE(Parse(std::string(kMinimal) + "retention_days = 182\n"));
  EXPECT_FALSE(Parse(std::string(kMinimal) + "retention_days = 731\n"));
  auto ok = Parse(std::string(kMinimal) + "retention_days = 730\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->audit.retention_days, 730);
}

TEST(ConfigTest, TheGoLiveGateIsEnforcedInProductionAndCannotBeTurnedOffThere) {
  std::string production = kMinimal;
  production.replace(production.find("\"test\""), 6, "\"production\"");
  auto cfg = Parse(production);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->compliance.gate, "enforce");
  EXPECT_EQ(cfg->compliance.blocking_severity, "low");
  EXPECT_EQ(Parse(kMinimal)->compliance.gate, "off") << "non-production: off unless asked";
  auto off = Parse(production + "[compliance]\ngate = \"off\"\n");
  ASSERT_FALSE(off);
  EXPECT_NE(off.error().message.find("'compliance.gate': must be \"enforce\" or \"warn\""),
            std::string::npos);
  auto warn = Parse(production + "[compliance]\ngate = \"warn\"\nblocking_severity = \"high\"\n");
  ASSERT_TRUE(warn) << warn.error().message;
  EXPECT_EQ(warn->compliance.gate, "warn");
  EXPECT_EQ(warn->compliance.blocking_severity, "high");
  EXPECT_EQ(Parse(std::string(kMinimal) + "[compliance]\ngate = \"enforce\"\n")->compliance.gate,
            "enforce");
  for (const char* bad : {"gate = \"Enforce\"\n", "gate = true\n", "blocking_severity = \"p1\"\n",
                          "blocking_severity = 3\n", "gates = \"off\"\n"}) {
    auto r = Parse(std::string(kMinimal) + "[compliance]\n" + bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("compliance."), std::string::npos) << r.error().message;
  }
}

TEST(ConfigTest, TheMasterKeyIsInItsFileOrInANamedPkcs11Token) {
  const auto with = [](const std::string& lines) {
    std::string text = kMinimal;
    text.insert(text.find("[audit]"), lines);
    return Parse(text);
  };
  auto file = with("");
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->keys.provider, "file");
  EXPECT_TRUE(file->keys.pkcs11_module.empty());

  auto token = with(
      "provider = \"pkcs11\"\npkcs11_module = \"/usr/lib/softhsm/libsofthsm2.so\"\n"
      "pkcs11_token = \"strongroom\"\npkcs11_pin_file = \"keys/hsm.pin\"\n");
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(token->keys.provider, "pkcs11");
  EXPECT_EQ(token->keys.pkcs11_token, "strongroom");
  EXPECT_EQ(token->keys.pkcs11_pin_file, "/etc/sr/keys/hsm.pin");
  auto no_pin = with(
      "provider = \"pkcs11\"\npkcs11_module = \"/usr/lib/softhsm/libsofthsm2.so\"\n"
      "pkcs11_token = \"strongroom\"\n");
  ASSERT_TRUE(no_pin) << "systemd's credential then";
  EXPECT_TRUE(no_pin->keys.pkcs11_pin_file.empty());

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"provider = \"vault\"\n", "'keys.provider': must be one of 'file', 'pkcs11'"},
      {"provider = \"pkcs11\"\npkcs11_token = \"strongroom\"\n",
       "'keys.pkcs11_module': is required with provider = \"pkcs11\""},
      {"provider = \"pkcs11\"\npkcs11_module = \"/m.so\"\n",
       "'keys.pkcs11_token': is required with provider = \"pkcs11\""},
      {"pkcs11_token = \"" + std::string(33, 't') + "\"\n",
       "'keys.pkcs11_token': must be at most 32 characters"},
      {"pkcs11_token = \"st\\u0000rongroom\"\n", "'keys.pkcs11_token': must not contain control"},
      {"pkcs11_pin = \"1234\"\n", "'keys.pkcs11_pin': unknown setting"},
      {"pkcs11_module = 7\n", "'keys.pkcs11_module': must be a string"},
  };
  for (const auto& [lines, message] : bad) {
    auto r = with(lines);
    ASSERT_FALSE(r) << lines;
    EXPECT_NE(r.error().message.find(message), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("1234"), std::string::npos) << "a PIN is never echoed";
  }
}

TEST(ConfigTest, TheWebAuthnRpIdIsAHostNameOrEachListenersOwn) {
  auto cfg = Parse(kMinimal);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->accounts.webauthn_rp_id, "");
  for (const char* rp : {"localhost", "example.org", "records-1.example.org", "a.b.c.d.e"}) {
    cfg = Parse(std::string(kMinimal) + "[accounts]\nwebauthn_rp_id = \"" + rp + "\"\n");
    ASSERT_TRUE(cfg) << rp << ": " << cfg.error().message;
    EXPECT_EQ(cfg->accounts.webauthn_rp_id, rp);
  }
}

TEST(ConfigTest, RequiredPathsAreRequired) {
  auto cfg = Parse("environment = \"test\"\n[tls]\ncertificate = \"c\"\nprivate_key = \"k\"\n");
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("'store.path': is required"), std::string::npos);
}

TEST(ConfigTest, MissingFileIsNotFound) {
  auto cfg = LoadConfig("/nonexistent/strongroom.toml");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().code, ErrorCode::kNotFound);
}

TEST(HostPortTest, ParsesIpv4Ipv6AndRejectsJunk) {
  auto v4 = ParseHostPort("10.1.2.3:443");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "10.1.2.3");
  EXPECT_EQ(v4->port, 443);
  auto v6 = ParseHostPort("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  for (const char* bad :
       {"", ":", ":80", "host:", "host:-1", "host:65536", "::1:80", "[::1]80", "h:8o", "h:80 "}) {
    EXPECT_FALSE(ParseHostPort(bad)) << bad;
  }
}

}  // namespace
}  // namespace strongroom
