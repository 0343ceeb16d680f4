#include "crypto/key_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/bytes.h"
#include "common/file_util.h"

namespace strongroom::crypto {
namespace {

constexpr size_t kMaxKeyFileBytes = 4096;

}  // namespace

Result<Secret> ReadPrivateFile(const std::filesystem::path& path, std::string_view what,
                               size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return Fail(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kFailedPrecondition,
                fmt::format("cannot open {} {}: {}", what, path.string(), std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("{} {} is not a regular file", what, path.string()));
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("{} {} is readable by group or others (mode {:o}); run: chmod "
                            "600 {}",
                            what, path.string(), st.st_mode & 0777, path.string()));
  }
  Secret raw(max_bytes + 1);
  const ssize_t n = ::read(fd, raw.mutable_view().data(), max_bytes + 1);
  ::close(fd);
  if (n <= 0 || static_cast<size_t>(n) > max_bytes) {
    return Fail(ErrorCode::kDataLoss,
                fmt::format("{} {} is empty or too large", what, path.string()));
  }
  return Secret(raw.view().first(static_cast<size_t>(n)));
}

Result<KeyFileText> KeyFileText::Read(const std::filesystem::path& path, std::string_view header) {
  ASSIGN_OR_RETURN(auto raw, ReadPrivateFile(path, "key file", kMaxKeyFileBytes - 1));
  KeyFileText text(std::move(raw));
  const auto all = AsChars(text.text_.view());
  if (all.substr(0, all.find('\n')) != header) {
    return Fail(ErrorCode::kDataLoss,
                fmt::format("{} is not a '{}' key file", path.string(), header));
  }
  return text;
}

Result<std::string_view> KeyFileText::Field(std::string_view name) const {
  std::string_view rest = AsChars(text_.view());
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const auto line = rest.substr(0, nl);
    if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ' ') {
      return line.substr(name.size() + 1);
    }
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return Fail(ErrorCode::kDataLoss, fmt::format("key file lacks its '{}' line", name));
}

Result<void> WriteKeyFile(const std::filesystem::path& path, std::string_view header,
                          const std::vector<KeyFileField>& fields) {
  std::string text(header);
  text += '\n';
  for (const auto& [name, value] : fields) text += fmt::format("{} {}\n", name, value);
  auto result = WriteNewFile(path, AsBytes(text), 0600);
  SecureWipe({reinterpret_cast<uint8_t*>(text.data()), text.size()});
  return result;
}

}  // namespace strongroom::crypto
