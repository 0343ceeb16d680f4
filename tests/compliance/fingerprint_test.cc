// A major change is computed from the configuration and the build: each major component changed
// is named, and nothing else counts (not even another machine).

#include "compliance/fingerprint.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/bytes.h"
#include "compliance/production_toml.h"
#include "crypto/hash.h"
#include "fakes/temp_dir.h"

namespace strongroom::compliance {
namespace {

constexpr const char* kBase = kProductionToml;

Config Parse(const std::string& text) {
  auto cfg = ParseConfig(text, "/nonexistent/strongroom.toml");
  EXPECT_TRUE(cfg) << (cfg ? "" : cfg.error().message);
  return cfg ? *cfg : Config{};
}

// kBase with `from` replaced by `to` (which must be there).
std::string With(std::string_view from, std::string_view to) {
  std::string text = kBase;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// kBase with `lines` added to the top of `[section]`, or as a new section.
std::string Adding(std::string_view section, std::string_view lines) {
  std::string text = kBase;
  const auto header = "[" + std::string(section) + "]\n";
  const auto at = text.find(header);
  if (at == std::string::npos) return text + header + std::string(lines);
  return text.insert(at + header.size(), lines);
}

const Fingerprint kBaseline = FingerprintOf(Parse(kBase), "1.4.2", "records-1");

struct Change {
  const char* what;
  std::string text;
  std::string version = "1.4.2";
  std::string host = "records-1";
};

TEST(FingerprintTest, EachMajorChangeIsNamed) {
  const std::vector<std::pair<Change, std::string>> cases = {
      {{"minor version", kBase, "1.5.0"}, "release"},
      {{"major version", kBase, "2.0.0"}, "release"},
      {{"public listener", With("0.0.0.0:443", "0.0.0.0:8443")}, "listeners"},
      {{"admin listener", With("10.0.0.5:8444", "10.0.0.6:8444")}, "listeners"},
      {{"admin allow-list", Adding("server", "admin_allow = [\"0.0.0.0/0\"]\n")}, "listeners"},
      {{"redirect listener", Adding("server", "redirect_listen = \"0.0.0.0:80\"\n")}, "listeners"},
      {{"TLS minimum", Adding("tls", "min_version = \"1.3\"\n")}, "tls"},
      {{"master key into an HSM",
        Adding("keys",
               "provider = \"pkcs11\"\npkcs11_module = \"/usr/lib/softhsm/libsofthsm2.so\"\n"
               "pkcs11_token = \"strongroom\"\n")},
       "keys"},
      {{"detection mode", Adding("defense", "mode = \"detect\"\n")}, "detection"},
      {{"paranoia level", Adding("defense", "paranoia_level = 2\n")}, "detection"},
      {{"anomaly threshold", Adding("defense", "inbound_threshold = 100\n")}, "detection"},
  };
  for (const auto& [change, component] : cases) {
    const auto changed = FingerprintOf(Parse(change.text), change.version, change.host);
    EXPECT_NE(changed.Digest(), kBaseline.Digest()) << change.what;
    EXPECT_EQ(MajorDifferences(kBaseline, changed), std::vector<std::string>{component})
        << change.what;
  }
}

TEST(FingerprintTest, OtherChangesAreRecordedButNotMajor) {
  const std::vector<Change> cases = {
      {"patch release", kBase, "1.4.3"},
      {"another machine", kBase, "1.4.2", "records-2"},
      {"log level", With("level = \"info\"", "level = \"warn\"")},
      {"worker queue", Adding("server", "worker_queue = 2048\n")},
      {"retention", Adding("records", "retention_days_official = 3650\n")},
      {"gate mode", Adding("compliance", "gate = \"warn\"\n")},
  };
  for (const auto& change : cases) {
    const auto changed = FingerprintOf(Parse(change.text), change.version, change.host);
    EXPECT_EQ(changed.Digest(), kBaseline.Digest()) << change.what;
    EXPECT_TRUE(MajorDifferences(kBaseline, changed).empty()) << change.what;
  }
  EXPECT_EQ(FingerprintOf(Parse(kBase), "1.4.3", "records-1").Value("version"), "1.4.3");
}

TEST(FingerprintTest, TheConfigurationFileIsDigestedAsWritten) {
  EXPECT_EQ(kBaseline.Value("configuration"), "unreadable");  // no such file here
  testing::TempDir dir;
  auto cfg = Parse(kBase);
  cfg.path = dir.path() / "strongroom.toml";
  const auto digest_of = [&](const std::string& text) {
    std::ofstream(cfg.path, std::ios::trunc) << text;
    return FingerprintOf(cfg, "1.4.2", "records-1").Value("configuration");
  };
  const std::string text = kBase;
  const auto sha =
      crypto::Sha256(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  EXPECT_EQ(digest_of(text), "sha256:" + HexEncode(sha));
  EXPECT_NE(digest_of(text + "# an edit\n"), digest_of(text)) << "any edit changes it";
  EXPECT_EQ(FingerprintOf(cfg, "1.4.2", "records-1").Digest(), kBaseline.Digest())
      << "but not the major components";
}

TEST(FingerprintTest, TextRoundTripsAndGarbageIsDataLoss) {
  auto parsed = ParseFingerprint(kBaseline.Text());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->Digest(), kBaseline.Digest());
  EXPECT_EQ(parsed->components, kBaseline.components);
  for (const char* bad : {"", "no equals sign\n", "release=1.4", "=value\n",
                          "release=1.4\ngarbage\n", "release=1.4\n\n", "release=1.4\nhost=a"}) {
    auto r = ParseFingerprint(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  }
}

TEST(FingerprintTest, ReleaseIsMajorDotMinor) {
  EXPECT_EQ(kBaseline.Value("release"), "1.4");
  EXPECT_EQ(kBaseline.Value("host"), "records-1");
  EXPECT_EQ(kBaseline.Value("detection"), "on, block mode, paranoia level 1, threshold 5");
  EXPECT_EQ(kBaseline.Value("listeners"),
            "public 0.0.0.0:443; admin 10.0.0.5:8444 allow 127.0.0.0/8,::1/128; metrics "
            "127.0.0.1:9464 allow 127.0.0.0/8,::1/128; redirect off");
}

}  // namespace
}  // namespace strongroom::compliance
