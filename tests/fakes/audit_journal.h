#pragma once
// The audit log as tests open it (its journal in a directory of the test's own) and read it back
// (every event in the journal, in order, as its canonical text).

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "audit/audit_log.h"

namespace strongroom::testing {

inline std::unique_ptr<audit::AuditLog> OpenAuditLog(store::Store& store, const Clock& clock,
                                                     const crypto::SigningKey& key,
                                                     const std::filesystem::path& journal,
                                                     int checkpoint_every = 1000,
                                                     int64_t segment_bytes = 64 << 20) {
  auto log = audit::AuditLog::Open(store, clock, key, Environment::kTest,
                                   {journal, "node-1", checkpoint_every, segment_bytes, true});
  EXPECT_TRUE(log) << log.error().message;
  return log ? std::move(*log) : nullptr;
}

// Every event in the journal at `dir`, oldest first.
inline std::vector<std::string> JournalEvents(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  auto reader = audit::JournalReader::FromStart(dir);
  EXPECT_TRUE(reader) << reader.error().message;
  if (!reader) return out;
  for (;;) {
    auto item = reader->Next();
    EXPECT_TRUE(item) << item.error().message;
    if (!item || !*item) return out;
    if ((*item)->record.kind == audit::RecordKind::kEvent) out.push_back((*item)->record.text);
  }
}

// The events with `action`, oldest first, parsed.
inline std::vector<boost::json::object> JournalEvents(const std::filesystem::path& dir,
                                                      const std::string& action) {
  std::vector<boost::json::object> out;
  for (const auto& text : JournalEvents(dir)) {
    auto e = boost::json::parse(text).as_object();
    if (e["action"].as_string() == action) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace strongroom::testing
