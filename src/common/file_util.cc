#include "common/file_util.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace strongroom {
namespace {

std::unexpected<Error> IoError(std::string_view what, const std::filesystem::path& p) {
  return Fail(ErrorCode::kInternal,
              fmt::format("{} {}: {}", what, p.string(), std::strerror(errno)));
}

}  // namespace

Result<void> SyncDirectory(const std::filesystem::path& dir) {
  const auto d = dir.empty() ? std::filesystem::path(".") : dir;
  const int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open directory", d);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return IoError("cannot sync directory", d);
  return {};
}

Result<void> WriteNewFile(const std::filesystem::path& path, std::span<const uint8_t> data,
                          mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Fail(ErrorCode::kAlreadyExists, fmt::format("{} exists already", path.string()));
    }
    return IoError("cannot create", path);
  }
  // The umask may have narrowed the mode; never widened. Set it exactly.
  if (::fchmod(fd, mode) != 0) {
    ::close(fd);
    return IoError("cannot set the mode of", path);
  }
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return IoError("cannot write", path);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return IoError("cannot sync", path);
  }
  ::close(fd);
  return SyncDirectory(path.parent_path());
}

Result<void> RenameDurably(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) return IoError("cannot rename", from);
  return SyncDirectory(to.parent_path());
}

Result<std::string> ReadSmallFile(const std::filesystem::path& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(ErrorCode::kNotFound, fmt::format("cannot read {}", path.string()));
  }
  std::string out(max_bytes + 1, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  const auto n = static_cast<size_t>(in.gcount());
  if (n > max_bytes) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{} is larger than {} bytes", path.string(), max_bytes));
  }
  out.resize(n);
  return out;
}

}  // namespace strongroom
