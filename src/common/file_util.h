#pragma once
// Small, careful file operations: create-exclusive with a mode and fsync, atomic replace.

#include <sys/types.h>

#include <filesystem>
#include <span>
#include <string>

#include "common/error.h"

namespace strongroom {

// Creates `path` (never overwriting: kAlreadyExists if present) with `mode`, writes `data`,
// fsyncs the file and its directory.
Result<void> WriteNewFile(const std::filesystem::path& path, std::span<const uint8_t> data,
                          mode_t mode);

// rename(2) `from` over `to` and fsync the directory: the replacement survives a crash.
Result<void> RenameDurably(const std::filesystem::path& from, const std::filesystem::path& to);

// fsyncs a directory so that entries created or renamed in it are durable.
Result<void> SyncDirectory(const std::filesystem::path& dir);

Result<std::string> ReadSmallFile(const std::filesystem::path& path, size_t max_bytes);

}  // namespace strongroom
