#include "crypto/master_key.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "common/file_util.h"

namespace strongroom::crypto {
namespace {

constexpr size_t kKeyIdBytes = 16;
constexpr size_t kMaxKeyFileBytes = 4096;

Result<std::string> ValueOf(std::istringstream& lines, std::string_view name) {
  std::string line;
  if (!std::getline(lines, line)) {
    return Fail(ErrorCode::kDataLoss, fmt::format("master key file lacks its '{}' line", name));
  }
  if (!line.starts_with(name) || line.size() <= name.size() || line[name.size()] != ' ') {
    return Fail(ErrorCode::kDataLoss, fmt::format("master key file: expected a '{}' line", name));
  }
  return line.substr(name.size() + 1);
}

}  // namespace

MasterKey GenerateMasterKey(Environment environment, Random& random) {
  return MasterKey{random.RandomHex(kKeyIdBytes), environment, random.RandomSecret(32)};
}

Result<void> WriteMasterKeyFile(const std::filesystem::path& path, const MasterKey& key) {
  std::string text = fmt::format("strongroom-master-key 1\nid {}\nenvironment {}\nkey {}\n", key.id,
                                 EnvironmentName(key.environment), HexEncode(key.key.view()));
  auto result = WriteNewFile(path, AsBytes(text), 0600);
  SecureWipe({reinterpret_cast<uint8_t*>(text.data()), text.size()});
  return result;
}

Result<MasterKey> ReadMasterKeyFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return Fail(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kFailedPrecondition,
                fmt::format("cannot open master key file {}: {}", path.string(), std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("master key file {} is not a regular file", path.string()));
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("master key file {} is readable by group or others (mode {:o}); "
                            "run: chmod 600 {}",
                            path.string(), st.st_mode & 0777, path.string()));
  }
  Secret raw(kMaxKeyFileBytes);
  const ssize_t n = ::read(fd, raw.mutable_view().data(), kMaxKeyFileBytes);
  ::close(fd);
  if (n <= 0 || static_cast<size_t>(n) >= kMaxKeyFileBytes) {
    return Fail(ErrorCode::kDataLoss, "master key file is empty or too large");
  }
  std::string text(AsChars(raw.view().first(static_cast<size_t>(n))));
  std::istringstream lines(text);
  SecureWipe({reinterpret_cast<uint8_t*>(text.data()), text.size()});

  std::string header;
  std::getline(lines, header);
  if (header != "strongroom-master-key 1") {
    return Fail(ErrorCode::kDataLoss, "not a Strongroom master key file (version 1)");
  }
  MasterKey key;
  ASSIGN_OR_RETURN(key.id, ValueOf(lines, "id"));
  ASSIGN_OR_RETURN(auto env, ValueOf(lines, "environment"));
  ASSIGN_OR_RETURN(auto hex, ValueOf(lines, "key"));
  auto id_bytes = HexDecode(key.id);
  auto env_value = ParseEnvironment(env);
  auto key_bytes = HexDecode(hex);
  SecureWipe({reinterpret_cast<uint8_t*>(hex.data()), hex.size()});
  if (!id_bytes || id_bytes->size() != kKeyIdBytes) {
    return Fail(ErrorCode::kDataLoss, "master key file has a malformed id");
  }
  if (!env_value) return Fail(ErrorCode::kDataLoss, "master key file names an unknown environment");
  if (!key_bytes || key_bytes->size() != 32) {
    if (key_bytes) SecureWipe(*key_bytes);
    return Fail(ErrorCode::kDataLoss, "master key file has a malformed key");
  }
  key.environment = *env_value;
  key.key = Secret(*key_bytes);
  SecureWipe(*key_bytes);
  return key;
}

Result<MasterKey> ReadMasterKeyFile(const std::filesystem::path& path, Environment expected) {
  ASSIGN_OR_RETURN(auto key, ReadMasterKeyFile(path));
  if (key.environment != expected) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("master key file {} belongs to a {} instance, not {}: keys never "
                            "cross environments",
                            path.string(), EnvironmentName(key.environment),
                            EnvironmentName(expected)));
  }
  return key;
}

}  // namespace strongroom::crypto
