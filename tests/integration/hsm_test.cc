// The master key inside a PKCS#11 token ([keys] provider = "pkcs11"), against Debian's SoftHSM2
// with a token the test makes: `init` makes the key in the token, the service (under its system
// call filter) seals and opens records with it across restarts, `keys rotate` moves it within the
// token, into a key file and back, and the service refuses to start, saying why, with the key not
// where the configuration says or with the token gone.

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/bytes.h"
#include "crypto/master_key.h"
#include "fakes/softhsm.h"
#include "fakes/temp_dir.h"
#include "integration/org_fixture.h"
#include "integration/process.h"

namespace strongroom::testing {
namespace {

// The token is made before the instance (its init makes the key in it).
struct TokenFirst {
  TokenFirst() { hsm.Start(); }
  SoftHsm hsm;
};

class HsmTest : protected TokenFirst, public OrgFixture {
 protected:
  HsmTest()
      : OrgFixture({"--pkcs11-module", SoftHsm::kModule.string(), "--pkcs11-token", SoftHsm::kLabel,
                    "--pkcs11-pin-file", hsm.pin_file().string()}) {}

  RunResult Rotate() { return RunBinary({"keys", "rotate", "--config", inst_.config().string()}); }
  RunResult Serve() { return RunBinary({"serve", "--config", inst_.config().string()}); }

  // `doctor`'s finding on the master key: its status and detail.
  std::pair<std::string, std::string> DoctorOnTheKey() {
    auto r = RunBinary({"doctor", "--config", inst_.config().string(), "--json"});
    const auto parsed = boost::json::parse(r.out);
    for (const auto& c : parsed.as_object().at("checks").as_array()) {
      const auto& o = c.as_object();
      if (o.at("check").as_string() == "keys.master") {
        return {std::string(o.at("status").as_string()), std::string(o.at("detail").as_string())};
      }
    }
    return {"absent", r.out};
  }

  // The record `id` as its reader sees it (its title, or the status and body).
  std::string Seen(const std::string& id) {
    auto r = api_.As(sessions_["rob.reader"], "GET", "/api/v1/records/" + id);
    if (r.status != 200) return std::to_string(r.status) + " " + r.body;
    return std::string(JsonOf(r).at("title").as_string());
  }

  // Every regular file in the instance directory and every one the service holds open.
  std::vector<std::filesystem::path> FilesOfTheService() {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(inst_.data_dir())) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
    const auto fds = std::filesystem::path("/proc") / std::to_string(inst_.process().pid()) / "fd";
    for (const auto& e : std::filesystem::directory_iterator(fds)) {
      std::error_code ec;
      const auto target = std::filesystem::read_symlink(e.path(), ec);
      if (!ec && std::filesystem::is_regular_file(target, ec)) files.push_back(target);
    }
    return files;
  }
};

TEST_F(HsmTest, RecordsSealedUnderAKeyInTheTokenOpenAcrossRestartsAndRotations) {
  // init made the key in the token: the key file only names it.
  const auto key_file = inst_.data_dir() / "keys/master.key";
  const auto named = ReadFile(key_file);
  EXPECT_NE(named.find("provider pkcs11"), std::string::npos) << named;
  EXPECT_EQ(named.find("\nkey "), std::string::npos) << named;
  EXPECT_NE(inst_.init_output().find("inside the PKCS#11 token"), std::string::npos)
      << inst_.init_output();

  auto made = CreateRecord("ann.editor", "Sealed under the token");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string id(JsonOf(made).at("id").as_string());
  EXPECT_EQ(Seen(id), "Sealed under the token");
  ASSERT_EQ(inst_.Stop(), 0);
  ASSERT_TRUE(inst_.Start()) << inst_.StartupError();
  EXPECT_EQ(Seen(id), "Sealed under the token") << "opened afresh through the token";
  // (The token did its work under the service's system-call filter.)
  const auto status = ReadFile("/proc/" + std::to_string(inst_.process().pid()) + "/status");
  EXPECT_NE(status.find("Seccomp:\t2"), std::string::npos) << status;

  // Within the token: a new key; the old one stays for older backups.
  ASSERT_EQ(inst_.Stop(), 0);
  auto within = Rotate();
  ASSERT_EQ(within.exit_code, 0) << within.err;
  EXPECT_NE(within.out.find("(pkcs11) -> "), std::string::npos) << within.out;
  EXPECT_NE(within.out.find("stays in the PKCS#11 token"), std::string::npos) << within.out;
  EXPECT_NE(ReadFile(key_file), named);
  ASSERT_TRUE(inst_.Start()) << inst_.StartupError();
  EXPECT_EQ(Seen(id), "Sealed under the token");

  // Out into a key file, and back into the token.
  ASSERT_EQ(inst_.Stop(), 0);
  inst_.ReplaceInConfig("provider = \"pkcs11\"", "provider = \"file\"");
  auto out = Rotate();
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("(file)"), std::string::npos) << out.out;
  auto file_key = crypto::ReadMasterKeyFile(key_file);
  ASSERT_TRUE(file_key) << file_key.error().message;
  ASSERT_EQ(file_key->provider, crypto::KeyProvider::kFile);
  const std::string hex = HexEncode(file_key->key.view());
  const std::string raw(AsChars(file_key->key.view()));
  ASSERT_TRUE(inst_.Start()) << inst_.StartupError();
  EXPECT_EQ(Seen(id), "Sealed under the token");

  // A key that is not where the configuration says is refused, saying what to do.
  ASSERT_EQ(inst_.Stop(), 0);
  inst_.ReplaceInConfig("provider = \"file\"", "provider = \"pkcs11\"");
  auto misplaced = Serve();
  EXPECT_EQ(misplaced.exit_code, 2);
  EXPECT_NE(misplaced.err.find("run `strongroom keys rotate`"), std::string::npos) << misplaced.err;
  auto in = Rotate();
  ASSERT_EQ(in.exit_code, 0) << in.err;
  ASSERT_TRUE(inst_.Start()) << inst_.StartupError();
  EXPECT_EQ(Seen(id), "Sealed under the token");
  auto another = CreateRecord("ann.editor", "Sealed after the moves");
  ASSERT_EQ(another.status, 201) << another.body;
  EXPECT_EQ(Seen(std::string(JsonOf(another).at("id").as_string())), "Sealed after the moves");

  // The key file's key, and the token's PIN, are in none of the service's files now: its store,
  // journal and log, and every file it holds open (the scan finds them where they are).
  const auto copy = inst_.data_dir() / "control.key";
  WriteFile(copy, "before " + hex + " " + SoftHsm::kPin + " after");
  int scanned = 0;
  for (const auto& file : FilesOfTheService()) {
    const auto bytes = ReadFile(file);
    ++scanned;
    if (file == copy) {
      EXPECT_NE(bytes.find(hex), std::string::npos) << "the scan can find the key";
      EXPECT_NE(bytes.find(SoftHsm::kPin), std::string::npos) << "and the PIN";
      continue;
    }
    EXPECT_EQ(bytes.find(hex), std::string::npos) << file;
    EXPECT_EQ(bytes.find(raw), std::string::npos) << file;
    EXPECT_EQ(bytes.find(SoftHsm::kPin), std::string::npos) << file;
  }
  EXPECT_GT(scanned, 5);
  std::filesystem::remove(copy);

  // Each rotation is in the audit log, with where the key went.
  ASSERT_EQ(inst_.Stop(), 0);
  auto audit = RunBinary(
      {"audit", "search", "--config", inst_.config().string(), "--action", "keys.rotate"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  size_t rotations = 0;
  for (size_t at = audit.out.find("\"keys.rotate\""); at != std::string::npos;
       at = audit.out.find("\"keys.rotate\"", at + 1)) {
    ++rotations;
  }
  EXPECT_EQ(rotations, 3u) << audit.out;
  EXPECT_NE(audit.out.find("\"to_provider\":\"file\""), std::string::npos) << audit.out;

  const auto [fine, fine_detail] = DoctorOnTheKey();
  EXPECT_EQ(fine, "pass") << fine_detail;
  EXPECT_NE(fine_detail.find("inside the PKCS#11 token"), std::string::npos) << fine_detail;

  // A wrong PIN: refused, saying so, and neither PIN is told.
  const auto wrong_pin = inst_.data_dir() / "wrong.pin";
  WriteFile(wrong_pin, "pin-not-this-one\n", 0600);
  inst_.ReplaceInConfig(hsm.pin_file().string(), wrong_pin.string());
  auto wrong = Serve();
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("the PIN is wrong"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.err.find("pin-not-this-one"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.err.find(SoftHsm::kPin), std::string::npos) << wrong.err;
  inst_.ReplaceInConfig(wrong_pin.string(), hsm.pin_file().string());

  // The token gone: the service does not start, and says which token it looked for.
  SoftHsm::RemoveToken();
  const auto [gone_status, gone_detail] = DoctorOnTheKey();
  EXPECT_EQ(gone_status, "fail") << gone_detail;
  EXPECT_NE(gone_detail.find("no PKCS#11 token labelled"), std::string::npos) << gone_detail;
  auto gone = Serve();
  EXPECT_EQ(gone.exit_code, 2);
  EXPECT_NE(gone.err.find("no PKCS#11 token labelled \"strongroom-test\""), std::string::npos)
      << gone.err;
  EXPECT_EQ(gone.err.find(SoftHsm::kPin), std::string::npos) << "the PIN is never told";
}

// A backup holds no master key; restored with the file that names the key in the token, the new
// instance opens its records through the same token.
TEST_F(HsmTest, ABackupRestoresAndOpensThroughTheToken) {
  auto made = CreateRecord("ann.editor", "Backed up under the token");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string id(JsonOf(made).at("id").as_string());
  TempDir out;
  const auto archive = out.path() / "hsm.backup";
  auto taken = RunBinary(
      {"backup", "--config", inst_.config().string(), "--to", archive.string(), "--no-progress"});
  ASSERT_EQ(taken.exit_code, 0) << taken.err;

  Instance restored{Instance::Made{}};
  auto r = RunBinary({"restore", "--from", archive.string(), "--data-dir",
                      restored.data_dir().string(), "--environment", "test", "--backup-key",
                      (inst_.data_dir() / "keys/backup.key").string(), "--master-key",
                      (inst_.data_dir() / "keys/master.key").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(ReadFile(restored.data_dir() / "keys/master.key").find("provider pkcs11"),
            std::string::npos);
  ASSERT_TRUE(restored.Start()) << restored.StartupError();
  ApiClient api(restored, api_);
  api.AdvanceClock(api_.clock_offset() + 30);  // past every code the original instance took
  auto ann = api.SignIn("ann.editor");
  ASSERT_FALSE(ann.cookie.empty());
  auto got = api.As(ann, "GET", "/api/v1/records/" + id);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(JsonOf(got).at("title").as_string(), "Backed up under the token");
}

// `init` into a token refuses what it cannot use, leaving nothing behind: no directory, and no key
// in the token (OpenSC's tool lists the token's objects).
TEST(HsmInitTest, BadTokenSettingsAreRefusedAndLeaveNothing) {
  SoftHsm hsm;
  ASSERT_NO_FATAL_FAILURE(hsm.Start());
  TempDir dir;
  const auto d = dir.path() / "inst";
  WriteFile(dir.path() / "wrong.pin", "not-the-pin\n", 0600);
  ::unsetenv("CREDENTIALS_DIRECTORY");
  const std::string module = SoftHsm::kModule.string();
  const std::string pin = hsm.pin_file().string();
  const std::vector<std::vector<std::string>> cases = {
      {"--pkcs11-module", module},                                     // no token
      {"--pkcs11-token", SoftHsm::kLabel},                             // no module
      {"--pkcs11-pin-file", pin},                                      // a PIN for nothing
      {"--pkcs11-module", module, "--pkcs11-token", SoftHsm::kLabel},  // no PIN source
      {"--pkcs11-module", module, "--pkcs11-token", std::string(33, 't'), "--pkcs11-pin-file", pin},
      {"--pkcs11-module", module, "--pkcs11-token", "strong\x1b[2Jroom", "--pkcs11-pin-file", pin},
      {"--pkcs11-module", module, "--pkcs11-token", "x\nprovider = \"file\"", "--pkcs11-pin-file",
       pin},
      {"--pkcs11-module", module, "--pkcs11-token", "'; DROP TABLE org_keys; --",
       "--pkcs11-pin-file", pin},
      {"--pkcs11-module", "/etc/hostname", "--pkcs11-token", SoftHsm::kLabel, "--pkcs11-pin-file",
       pin},
      {"--pkcs11-module", module, "--pkcs11-token", SoftHsm::kLabel, "--pkcs11-pin-file",
       (dir.path() / "wrong.pin").string()},
      {"--pkcs11-module", module, "--pkcs11-token", SoftHsm::kLabel, "--pkcs11-pin-file",
       (dir.path() / "absent.pin").string()},
  };
  for (const auto& args : cases) {
    std::vector<std::string> full = {"init", "--data-dir", d.string(), "--environment", "test"};
    full.insert(full.end(), args.begin(), args.end());
    const auto r = RunBinary(full);
    EXPECT_NE(r.exit_code, 0) << args[1];
    EXPECT_FALSE(r.err.empty()) << args[1] << ": it says why";
    EXPECT_EQ(r.err.find(SoftHsm::kPin), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("not-the-pin"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(d)) << args[1];
  }
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().filename().string().find("inst"), std::string::npos) << e.path();
  }
  const auto objects =
      RunProgram("/usr/bin/pkcs11-tool", {"--module", module, "--token-label", SoftHsm::kLabel,
                                          "--login", "--pin", SoftHsm::kPin, "--list-objects"});
  ASSERT_EQ(objects.exit_code, 0) << objects.err;
  EXPECT_EQ(objects.out.find("Secret Key Object"), std::string::npos) << objects.out;

  // The control: a good init leaves its key there, and the listing shows it.
  const auto good =
      RunBinary({"init", "--data-dir", d.string(), "--environment", "test", "--pkcs11-module",
                 module, "--pkcs11-token", SoftHsm::kLabel, "--pkcs11-pin-file", pin});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  const auto after =
      RunProgram("/usr/bin/pkcs11-tool", {"--module", module, "--token-label", SoftHsm::kLabel,
                                          "--login", "--pin", SoftHsm::kPin, "--list-objects"});
  EXPECT_NE(after.out.find("strongroom-master"), std::string::npos) << after.out;
}

}  // namespace
}  // namespace strongroom::testing
