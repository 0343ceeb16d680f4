// The backup archive format (backup/archive.h): what goes in comes out, and any change, cut,
// reordering or wrong key is refused with a message that says which.

#include "backup/archive.h"

#include <gtest/gtest.h>

#include <map>

#include "fakes/temp_dir.h"

namespace strongroom::backup {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

Manifest SampleManifest() {
  Manifest m;
  m.id = "00112233445566778899aabbccddeeff";
  m.environment = Environment::kTest;
  m.version = "1.2.3";
  m.schema_version = 13;
  m.node = "node-a";
  m.created_at = *ParseRfc3339("2026-12-01T10:00:00Z");
  m.expires_at = *ParseRfc3339("2027-01-05T10:00:00Z");
  m.store_sequence = 40;
  m.shipped = 12;
  m.checkpoint_sequence = 42;
  m.checkpoint_hash = std::string(64, 'a');
  m.audit_public_key = std::string(64, 'b');
  return m;
}

class ArchiveTest : public ::testing::Test {
 protected:
  ArchiveTest() : key_(crypto::GenerateBackupKey(Environment::kTest, crypto::DefaultRandom())) {}

  // Writes an archive holding `files` (in order) and returns its path.
  std::filesystem::path Write(const std::vector<std::pair<std::string, std::string>>& files,
                              const std::string& name = "a.backup") {
    auto path = dir_ / name;
    auto w = ArchiveWriter::Create(path, SampleManifest(), key_, crypto::DefaultRandom());
    if (!w) {
      ADD_FAILURE() << w.error().message;
      return path;
    }
    for (const auto& [n, bytes] : files) {
      EXPECT_TRUE((*w)->BeginFile(n));
      EXPECT_TRUE((*w)->Write(bytes));
      EXPECT_TRUE((*w)->EndFile());
    }
    auto digest = (*w)->Finish();
    EXPECT_TRUE(digest) << digest.error().message;
    return path;
  }

  // Reads every file of the archive; the error if it was refused.
  Result<std::map<std::string, std::string>> Read(const std::filesystem::path& path) {
    std::map<std::string, std::string> files;
    std::string current;
    FileSink sink{[&](const std::string& name) -> Result<void> {
                    current = name;
                    files[name];
                    return {};
                  },
                  [&](std::string_view bytes) -> Result<void> {
                    files[current].append(bytes);
                    return {};
                  },
                  []() -> Result<void> { return {}; }};
    ASSIGN_OR_RETURN(auto m, ReadArchive(path, key_, sink, {}));
    (void)m;
    return files;
  }

  TempDir dir_;
  crypto::BackupKey key_;
};

std::string Big(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7919) >> 3);
  return s;
}

TEST_F(ArchiveTest, WhatGoesInComesOutInOrderAcrossChunks) {
  const std::string big = Big((3 << 20) + 12345);  // several 1 MiB chunks and 256 KiB pieces
  auto path = Write({{"config/strongroom.toml", "environment = \"test\"\n"},
                     {"store", big},
                     {"empty", ""},
                     {"journal/00000000000000000001.seg", "records"}});
  auto files = Read(path);
  ASSERT_TRUE(files) << files.error().message;
  ASSERT_EQ(files->size(), 4u);
  EXPECT_EQ(files->at("config/strongroom.toml"), "environment = \"test\"\n");
  EXPECT_EQ(files->at("store"), big);
  EXPECT_EQ(files->at("empty"), "");
  EXPECT_EQ(files->at("journal/00000000000000000001.seg"), "records");

  auto m = ReadManifest(path);
  ASSERT_TRUE(m) << m.error().message;
  const auto want = SampleManifest();
  EXPECT_EQ(m->id, want.id);
  EXPECT_EQ(m->environment, Environment::kTest);
  EXPECT_EQ(m->version, "1.2.3");
  EXPECT_EQ(m->schema_version, 13);
  EXPECT_EQ(m->created_at, want.created_at);
  EXPECT_EQ(m->expires_at, want.expires_at);
  EXPECT_EQ(m->store_sequence, 40);
  EXPECT_EQ(m->shipped, 12);
  EXPECT_EQ(m->checkpoint_sequence, 42);
  EXPECT_EQ(m->backup_key_id, key_.id);
  // The manifest is readable, the contents are not.
  const auto raw = ReadFile(path);
  EXPECT_NE(raw.find("\"environment\":\"test\""), std::string::npos);
  EXPECT_EQ(raw.find("environment = "), std::string::npos) << "the configuration is encrypted";
}

TEST_F(ArchiveTest, AnyChangedByteIsRefusedByTheDigestBeforeAnythingIsRead) {
  auto path = Write({{"store", Big(100'000)}});
  const auto raw = ReadFile(path);
  for (size_t at : {size_t{0}, size_t{5}, size_t{30}, raw.size() / 2, raw.size() - 41,
                    raw.size() - 20, raw.size() - 1}) {
    auto changed = raw;
    changed[at] = static_cast<char>(changed[at] ^ 0x01);
    WriteFile(path, changed);
    auto m = ReadManifest(path);
    ASSERT_FALSE(m) << "a change at " << at;
    EXPECT_EQ(m.error().code, ErrorCode::kDataLoss);
    EXPECT_NE(m.error().message.find("digest"), std::string::npos) << m.error().message;
    EXPECT_FALSE(Read(path)) << at;
  }
}

TEST_F(ArchiveTest, ACutArchiveIsRefused) {
  auto path = Write({{"store", Big(3 << 20)}});
  const auto raw = ReadFile(path);
  for (size_t keep :
       {size_t{0}, size_t{10}, size_t{500}, raw.size() / 2, raw.size() - 40, raw.size() - 1}) {
    WriteFile(path, raw.substr(0, keep));
    auto m = ReadManifest(path);
    ASSERT_FALSE(m) << keep;
    EXPECT_EQ(m.error().code, ErrorCode::kDataLoss) << keep;
    EXPECT_NE(m.error().message.find("damaged"), std::string::npos) << m.error().message;
  }
}

// Someone who can rewrite the file, but has not the key, gives it a fresh digest: the chunks'
// associated data still catches every change to the manifest and every cut or reordering.
std::string Redigest(std::string body) {
  const auto d = crypto::Sha256(AsBytes(body));
  body += "SRDIGEST";
  body.append(d.begin(), d.end());
  return body;
}

TEST_F(ArchiveTest, ChangesWithAFreshDigestFailToOpen) {
  auto path = Write({{"store", Big((2 << 20) + 5)}});  // three chunks
  const auto raw = ReadFile(path);
  const auto body = raw.substr(0, raw.size() - 40);
  const auto header_end = body.find('\n', body.find('\n') + 1) + 1;
  const auto ok = Read(path);
  ASSERT_TRUE(ok) << ok.error().message;

  // An edited manifest (an extended expiry).
  auto edited = body;
  const auto at = edited.find("2027-01-05");
  ASSERT_NE(at, std::string::npos);
  edited.replace(at, 4, "2099");
  WriteFile(path, Redigest(edited));
  ASSERT_TRUE(ReadManifest(path)) << "the digest alone is satisfied";
  auto r = Read(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("does not open"), std::string::npos) << r.error().message;

  // Chunks: [u32 length][sealed]; find their boundaries.
  std::vector<std::pair<size_t, size_t>> chunks;
  for (size_t p = header_end; p < body.size();) {
    uint32_t len = 0;
    for (int i = 3; i >= 0; --i) len = (len << 8) | static_cast<uint8_t>(body[p + i]);
    chunks.emplace_back(p, 4 + len);
    p += 4 + len;
  }
  ASSERT_EQ(chunks.size(), 3u);
  const auto chunk = [&](int i) { return body.substr(chunks[i].first, chunks[i].second); };
  const auto head = body.substr(0, header_end);
  for (const auto& forged : {head + chunk(0) + chunk(1),             // the last chunk dropped
                             head + chunk(0) + chunk(2),             // a middle one dropped
                             head + chunk(1) + chunk(0) + chunk(2),  // reordered
                             head + chunk(0) + chunk(1) + chunk(2) + chunk(2)}) {  // one twice
    WriteFile(path, Redigest(forged));
    EXPECT_FALSE(Read(path)) << "a forged archive of " << forged.size() << " bytes";
  }
}

// The manifest is printed to operators: a field holding a terminal escape is refused as damage,
// even under a fresh digest.
TEST_F(ArchiveTest, AManifestFieldWithAControlCharacterIsRefused) {
  auto path = Write({{"store", "x"}});
  const auto raw = ReadFile(path);
  auto body = raw.substr(0, raw.size() - 40);
  const auto at = body.find("\"node-a\"");
  ASSERT_NE(at, std::string::npos);
  body.replace(at, 8, "\"\\u001b[31m\"");
  WriteFile(path, Redigest(body));
  auto m = ReadManifest(path);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kDataLoss);
  EXPECT_NE(m.error().message.find("wrong type"), std::string::npos) << m.error().message;
}

TEST_F(ArchiveTest, AnotherBackupKeyIsNamedAndRefused) {
  auto path = Write({{"store", "x"}});
  auto other = crypto::GenerateBackupKey(Environment::kTest, crypto::DefaultRandom());
  FileSink sink{[](const std::string&) -> Result<void> { return {}; },
                [](std::string_view) -> Result<void> { return {}; },
                []() -> Result<void> { return {}; }};
  auto r = ReadArchive(path, other, sink, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find(key_.id), std::string::npos) << r.error().message;
  // The same id with other key bytes: the archive key does not open.
  other.id = key_.id;
  r = ReadArchive(path, other, sink, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
}

TEST_F(ArchiveTest, NoArchiveAndNotAnArchiveAreToldApart) {
  auto missing = ReadManifest(dir_ / "nothing-here");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  WriteFile(dir_ / "notes.txt", std::string(5000, 'n'));
  auto foreign = ReadManifest(dir_ / "notes.txt");
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kDataLoss);
}

TEST_F(ArchiveTest, AWriterNeverOverwritesAndAnUnfinishedArchiveIsRemoved) {
  auto path = Write({{"store", "x"}});
  auto again = ArchiveWriter::Create(path, SampleManifest(), key_, crypto::DefaultRandom());
  EXPECT_FALSE(again);
  EXPECT_TRUE(ReadManifest(path)) << "the first archive is untouched";
  {
    auto w =
        ArchiveWriter::Create(dir_ / "b.backup", SampleManifest(), key_, crypto::DefaultRandom());
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->BeginFile("store"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "b.backup"));
}

}  // namespace
}  // namespace strongroom::backup
