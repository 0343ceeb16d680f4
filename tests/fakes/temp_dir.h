#pragma once
// A fresh private directory for one test, removed with everything in it when the object dies.

#include <filesystem>

namespace strongroom::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `text` to `path` (creating or truncating) with `mode`.
void WriteFile(const std::filesystem::path& path, const std::string& text, unsigned mode = 0600);
std::string ReadFile(const std::filesystem::path& path);

}  // namespace strongroom::testing
