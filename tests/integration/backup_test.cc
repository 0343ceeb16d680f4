// `strongroom backup` while the service serves and writes, `strongroom restore` into a new
// instance, and everything restore must refuse (backup/backup.h).

#include "backup/backup.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "backup/archive.h"
#include "integration/org_fixture.h"

namespace strongroom::testing {
namespace {

namespace fs = std::filesystem;

RunResult Restore(const fs::path& archive, const fs::path& dir, const fs::path& from_instance,
                  const std::string& environment = "test") {
  return RunBinary({"restore", "--from", archive.string(), "--data-dir", dir.string(),
                    "--environment", environment, "--backup-key",
                    (from_instance / "keys/backup.key").string(), "--master-key",
                    (from_instance / "keys/master.key").string()});
}

// Nothing of a refused restore is left: neither the directory nor its staging beside it.
void ExpectNothingWritten(const fs::path& dir) {
  EXPECT_FALSE(fs::exists(dir)) << dir;
  for (const auto& e : fs::directory_iterator(dir.parent_path())) {
    EXPECT_EQ(e.path().filename().string().find(dir.filename().string()), std::string::npos)
        << "left behind: " << e.path();
  }
}

class BackupTest : public OrgFixture {
 protected:
  fs::path TakeBackup(const std::string& name) {
    const auto to = out_.path() / name;
    auto r = RunBinary({"backup", "--config", inst_.config().string(), "--to", to.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // It prints the file's SHA-256, as sha256sum would, to record with it.
    const auto at = r.out.find("SHA-256 ");
    EXPECT_NE(at, std::string::npos) << r.out;
    if (at != std::string::npos) {
      EXPECT_EQ(r.out.substr(at + 8, 64), HexEncode(crypto::Sha256(AsBytes(ReadFile(to)))));
    }
    return to;
  }

  std::string MakeRecord(const std::string& title, std::optional<TimePoint> retain_until) {
    boost::json::object body{{"remit", "north"},
                             {"title", title},
                             {"classification", "OFFICIAL"},
                             {"descriptors", boost::json::array{"PERSONAL"}},
                             {"body", {{"summary", "BODY " + title}}}};
    if (retain_until) body["retain_until"] = FormatRfc3339(*retain_until);
    auto r = api_.As(sessions_["ann.editor"], "POST", "/api/v1/records", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(JsonOf(r).at("id").as_string());
  }

  TempDir out_;
};

TEST_F(BackupTest, UnderWritesEveryAcknowledgedWriteIsRestoredDecryptedAndVerified) {
  // A writer creates records while the backup runs. Each record is tagged with the phase its
  // request started in and the phase its answer came in: 0 before the backup began, 1 while it
  // ran, 2 after it ended.
  struct Made {
    std::string id, title;
    int started = 0, answered = 0;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Made> made;
  std::atomic<int> phase{0};
  std::atomic<bool> stop{false};
  bool failed = false;
  const auto count = [&](auto pred) { return std::count_if(made.begin(), made.end(), pred); };
  std::thread writer([&] {
    for (int n = 0; !stop; ++n) {
      const int started = phase.load();
      const std::string title = fmt::format("load {}", n);
      auto r = CreateRecord("ann.editor", title);
      const int answered = phase.load();
      std::lock_guard lock(mu);
      if (r.status != 201) {
        ADD_FAILURE() << r.status << " " << r.body;
        failed = true;
      } else {
        made.push_back({std::string(JsonOf(r).at("id").as_string()), title, started, answered});
      }
      cv.notify_all();
      if (failed) break;
    }
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock,
            [&] { return failed || count([](const Made& m) { return m.answered == 0; }) >= 20; });
  }
  phase = 1;
  const auto archive = TakeBackup("under-load.backup");
  phase = 2;
  {
    std::unique_lock lock(mu);
    cv.wait(lock,
            [&] { return failed || count([](const Made& m) { return m.started == 2; }) >= 5; });
  }
  stop = true;
  writer.join();
  ASSERT_FALSE(HasFailure());
  // Nothing but the archive is left beside it, nor in the instance.
  for (const auto& dir : {out_.path(), inst_.data_dir()}) {
    for (const auto& e : fs::directory_iterator(dir)) {
      EXPECT_EQ(e.path().filename().string().find(".backup-"), std::string::npos) << e.path();
      EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
    }
  }

  auto before = RunBinary(
      {"audit", "search", "--config", inst_.config().string(), "--action", "backup.create"});
  EXPECT_EQ(before.exit_code, 0) << before.err;
  EXPECT_NE(before.out.find("\"allow\":true"), std::string::npos) << before.out;

  Instance restored{Instance::Made{}};
  auto r = Restore(archive, restored.data_dir(), inst_.data_dir());
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("audit log verified"), std::string::npos) << r.out;
  auto verify = RunBinary({"audit", "verify", "--config", restored.config().string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  ASSERT_TRUE(restored.Start()) << restored.StartupError();
  ApiClient api(restored, api_);
  api.AdvanceClock(api_.clock_offset() + 30);  // past every code the original instance took
  EXPECT_EQ(api.As(sessions_["ann.editor"], "GET", "/api/v1/records").status, 401)
      << "sessions are not restored";
  auto ann = api.SignIn("ann.editor");
  ASSERT_FALSE(ann.cookie.empty());
  int present = 0;
  for (const auto& m : made) {
    auto got = api.As(ann, "GET", "/api/v1/records/" + m.id);
    if (m.answered == 0) {
      ASSERT_EQ(got.status, 200) << "acknowledged before the backup began: " << m.title;
    } else if (m.started == 2) {
      EXPECT_EQ(got.status, 404) << "asked for after the backup ended: " << m.title;
    } else {
      EXPECT_TRUE(got.status == 200 || got.status == 404) << "during the backup: " << got.status;
    }
    if (got.status == 200) {
      ++present;
      // Whole, and readable: the title and body decrypt to what was written.
      EXPECT_EQ(JsonOf(got).at("title").as_string(), m.title);
      EXPECT_EQ(JsonOf(got).at("body").at("summary").as_string(), "BODY " + m.title);
    }
  }
  EXPECT_GE(present, 20);
  restored.Stop();
  // The restored log holds the backup's own event and the restore's, and still verifies after
  // serving.
  for (const char* action : {"backup.create", "backup.restore"}) {
    auto found =
        RunBinary({"audit", "search", "--config", restored.config().string(), "--action", action});
    EXPECT_EQ(found.exit_code, 0) << found.err;
    EXPECT_NE(found.out.find(action), std::string::npos) << action;
  }
  verify = RunBinary({"audit", "verify", "--config", restored.config().string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(BackupTest, RestoreShredsWhatIsPastRetentionBeforeServingAndKeepsWhatAnOrderHolds) {
  const auto now = SystemClock().Now() + std::chrono::seconds(api_.clock_offset());
  const auto due = MakeRecord("due tomorrow", now + std::chrono::hours(24));
  const auto held = MakeRecord("due tomorrow, held", now + std::chrono::hours(24));
  const auto kept = MakeRecord("kept for years", std::nullopt);
  auto order =
      api_.As(officer1_, "POST", "/api/v1/retention-orders",
              boost::json::object{
                  {"reference", "LIT-7"},
                  {"reason", "litigation"},
                  {"review_on", "2099-06-30"},
                  {"scope", {{"org", org_a_}, {"record_ids", boost::json::array{held.c_str()}}}}});
  ASSERT_EQ(order.status, 201) << order.body;
  const auto archive = TakeBackup("retention.backup");

  const auto restore = [&](const fs::path& dir, const Clock& clock) {
    return backup::Restore({archive,
                            dir,
                            Environment::kTest,
                            inst_.data_dir() / "keys/backup.key",
                            inst_.data_dir() / "keys/master.key",
                            "tester",
                            "",
                            clock,
                            crypto::DefaultRandom(),
                            {}});
  };
  // Past its expiry ([backup] retention_days = 35), the backup is refused whole.
  ManualClock late(now + std::chrono::days(36));
  auto refused = restore(out_.path() / "late", late);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("expired"), std::string::npos) << refused.error().message;
  ExpectNothingWritten(out_.path() / "late");

  // Two days on: the record due tomorrow is shredded before the instance can serve; the one an
  // order holds is not (the order came back with the data).
  ManualClock later(now + std::chrono::hours(48));
  auto report = restore(out_.path() / "restored", later);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->purged.records, 1);
  EXPECT_EQ(report->purged.held, 1);
  EXPECT_TRUE(report->verified.ok);
  EXPECT_GT(report->sessions_ended, 0) << "the officers' and users' sessions";

  Instance restored{Instance::Made{}};
  fs::rename(out_.path() / "restored", restored.data_dir());
  ASSERT_TRUE(restored.Start()) << restored.StartupError();
  ApiClient api(restored, api_);
  api.AdvanceClock(api_.clock_offset() + 48 * 3600);  // where the restore's clock stood
  auto ann = api.SignIn("ann.editor");
  ASSERT_FALSE(ann.cookie.empty());
  EXPECT_EQ(api.As(ann, "GET", "/api/v1/records/" + due).status, 404);
  EXPECT_EQ(api.As(ann, "GET", "/api/v1/records/" + held).status, 200);
  EXPECT_EQ(api.As(ann, "GET", "/api/v1/records/" + kept).status, 200);
}

// A backup, taken with the service stopped, and what restore does with it and with forgeries.
class BackupRefusalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = RunBinary({"backup", "--config", inst_.config().string(), "--to", archive_.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Writes an archive of the instance's environment under its backup key, holding `files`.
  fs::path Forge(backup::Manifest m,
                 const std::vector<std::pair<std::string, std::string>>& files) {
    const auto path = out_.path() / fmt::format("forged-{}.backup", forged_++);
    auto key = crypto::ReadBackupKeyFile(inst_.data_dir() / "keys/backup.key", Environment::kTest);
    if (!key) {
      ADD_FAILURE() << key.error().message;
      return path;
    }
    auto w = backup::ArchiveWriter::Create(path, std::move(m), *key, crypto::DefaultRandom());
    if (!w) {
      ADD_FAILURE() << w.error().message;
      return path;
    }
    for (const auto& [name, bytes] : files) {
      EXPECT_TRUE((*w)->BeginFile(name));
      EXPECT_TRUE((*w)->Write(bytes));
      EXPECT_TRUE((*w)->EndFile());
    }
    EXPECT_TRUE((*w)->Finish());
    return path;
  }

  Instance inst_;
  TempDir out_;
  fs::path archive_ = out_.path() / "stopped.backup";
  fs::path dir_ = out_.path() / "restored";
  int forged_ = 0;
};

TEST_F(BackupRefusalTest, ADamagedOrCutArchiveIsRefusedAndNothingIsWritten) {
  const auto raw = ReadFile(archive_);
  auto changed = raw;
  changed[raw.size() / 2] = static_cast<char>(changed[raw.size() / 2] ^ 0x20);
  WriteFile(archive_, changed);
  auto r = Restore(archive_, dir_, inst_.data_dir());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("damaged"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("digest"), std::string::npos) << r.err;
  ExpectNothingWritten(dir_);

  WriteFile(archive_, raw.substr(0, raw.size() * 2 / 3));
  r = Restore(archive_, dir_, inst_.data_dir());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("damaged"), std::string::npos) << r.err;
  ExpectNothingWritten(dir_);

  WriteFile(archive_, raw);
  r = Restore(archive_, dir_.string() + "/", inst_.data_dir());
  EXPECT_EQ(r.exit_code, 0) << r.err << " (the archive as it was)";
  EXPECT_TRUE(fs::exists(dir_ / "strongroom.toml")) << "DIR/ is DIR";
}

TEST_F(BackupRefusalTest, AnotherEnvironmentANewerVersionOrMissingKeysAreRefused) {
  auto r = Restore(archive_, dir_, inst_.data_dir(), "development");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("is of a test instance and cannot become a development one"),
            std::string::npos)
      << r.err;
  ExpectNothingWritten(dir_);
  r = Restore(archive_, dir_, inst_.data_dir(), "production");
  EXPECT_NE(r.err.find("data never crosses environments"), std::string::npos) << r.err;
  ExpectNothingWritten(dir_);

  auto m = backup::ReadManifest(archive_);
  ASSERT_TRUE(m) << m.error().message;
  auto newer = *m;
  newer.version = "99.0.0";
  r = Restore(Forge(newer, {}), dir_, inst_.data_dir());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("newer than this one"), std::string::npos) << r.err;
  ExpectNothingWritten(dir_);

  TempDir keys;
  r = RunBinary({"restore", "--from", archive_.string(), "--data-dir", dir_.string(),
                 "--environment", "test", "--backup-key", (keys.path() / "none.key").string(),
                 "--master-key", (inst_.data_dir() / "keys/master.key").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no backup key at"), std::string::npos) << r.err;
  ExpectNothingWritten(dir_);

  // Another instance's backup key, and another instance's master key.
  Instance other;
  r = RunBinary({"restore", "--from", archive_.string(), "--data-dir", dir_.string(),
                 "--environment", "test", "--backup-key",
                 (other.data_dir() / "keys/backup.key").string(), "--master-key",
                 (inst_.data_dir() / "keys/master.key").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("encrypted under backup key"), std::string::npos) << r.err;
  ExpectNothingWritten(dir_);
  r = RunBinary({"restore", "--from", archive_.string(), "--data-dir", dir_.string(),
                 "--environment", "test", "--backup-key",
                 (inst_.data_dir() / "keys/backup.key").string(), "--master-key",
                 (other.data_dir() / "keys/master.key").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("give the master key in use when the backup was taken"), std::string::npos)
      << r.err;
  ExpectNothingWritten(dir_);
}

TEST_F(BackupRefusalTest, AnArchiveNamingAFileOutsideItsPlaceIsRefused) {
  auto m = backup::ReadManifest(archive_);
  ASSERT_TRUE(m);
  for (const std::string name : {"files/../../escaped", "files//etc/escaped", "config/../escaped",
                                 "journal/x.seg", "files/.hidden", "elsewhere"}) {
    auto r = Restore(Forge(*m, {{name, "x"}}), dir_, inst_.data_dir());
    EXPECT_NE(r.exit_code, 0) << name;
    EXPECT_NE(r.err.find("names a file it may not hold"), std::string::npos) << name << r.err;
    ExpectNothingWritten(dir_);
  }
  EXPECT_FALSE(fs::exists(out_.path().parent_path() / "escaped"));
  EXPECT_FALSE(fs::exists(out_.path() / "escaped"));
  // Well-formed, but without a store or journal.
  auto r = Restore(Forge(*m, {{"config/strongroom.toml", "environment = \"test\"\n"}}), dir_,
                   inst_.data_dir());
  EXPECT_NE(r.err.find("lacks its configuration, store or audit log"), std::string::npos) << r.err;
  ExpectNothingWritten(dir_);
}

TEST_F(BackupRefusalTest, ABackupNeedsItsKeyNeverOverwritesAndIsAuditedEitherWay) {
  auto again =
      RunBinary({"backup", "--config", inst_.config().string(), "--to", archive_.string()});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("never overwrites"), std::string::npos) << again.err;
  fs::remove(inst_.data_dir() / "keys/backup.key");
  auto nokey = RunBinary(
      {"backup", "--config", inst_.config().string(), "--to", (out_.path() / "b2").string()});
  EXPECT_NE(nokey.exit_code, 0);
  EXPECT_NE(nokey.err.find("strongroom keys backup-key"), std::string::npos) << nokey.err;
  EXPECT_FALSE(fs::exists(out_.path() / "b2"));
  auto events = RunBinary(
      {"audit", "search", "--config", inst_.config().string(), "--action", "backup.create"});
  EXPECT_NE(events.out.find("\"allow\":false"), std::string::npos) << events.out;
  EXPECT_NE(events.out.find("\"allow\":true"), std::string::npos) << events.out;

  auto made = RunBinary({"keys", "backup-key", "--config", inst_.config().string()});
  EXPECT_EQ(made.exit_code, 0) << made.err;
  auto twice = RunBinary({"keys", "backup-key", "--config", inst_.config().string()});
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_NE(twice.err.find("never overwritten"), std::string::npos) << twice.err;
  auto b3 = RunBinary(
      {"backup", "--config", inst_.config().string(), "--to", (out_.path() / "b3").string()});
  EXPECT_EQ(b3.exit_code, 0) << b3.err;
}

// A production instance belongs to its service's user. A backup started as root works as that
// user, so that what it adds to the instance (journal records, the index) stays the service's to
// write; and a production backup never becomes an instance of another environment.
TEST(BackupProductionTest, AsRootItWorksAsTheOwnerAndNeverBecomesATestInstance) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to give the instance to another user";
  Instance prod("production");
  TempDir out;
  const auto drop = out.path() / "drop";
  fs::create_directory(drop);
  ::chmod(out.path().c_str(), 0711);
  ::chmod(drop.c_str(), 01777);
  const auto archive = drop / "production.backup";
  auto r = RunBinary({"backup", "--config", prod.config().string(), "--to", archive.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat(archive.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, Instance::kNobody) << "written as the instance's owner";
  for (const auto& e : fs::recursive_directory_iterator(prod.data_dir())) {
    ASSERT_EQ(::lstat(e.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, Instance::kNobody) << e.path() << " is not the service's";
    EXPECT_EQ(e.path().filename().string().find(".backup-"), std::string::npos) << e.path();
  }
  auto search = RunBinary(
      {"audit", "search", "--config", prod.config().string(), "--action", "backup.create"});
  EXPECT_NE(search.out.find("\"username\":\"root\""), std::string::npos)
      << "the event names who ran it: " << search.out;

  const auto dir = out.path() / "restored";
  r = RunBinary({"restore", "--from", archive.string(), "--data-dir", dir.string(), "--environment",
                 "test", "--backup-key", (prod.data_dir() / "keys/backup.key").string(),
                 "--master-key", (prod.data_dir() / "keys/master.key").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("is of a production instance and cannot become a test one"),
            std::string::npos)
      << r.err;
  ExpectNothingWritten(dir);
}

}  // namespace
}  // namespace strongroom::testing
