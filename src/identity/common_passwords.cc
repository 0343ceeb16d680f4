#include "identity/common_passwords.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

namespace strongroom::identity {
namespace {

constexpr std::string_view kBuiltIn[] = {
    "password",      "passw0rd", "qwerty",       "qwertyuiop",
    "letmein",       "welcome",  "iloveyou",     "admin",
    "administrator", "changeme", "monkey",       "dragon",
    "football",      "baseball", "sunshine",     "princess",
    "trustno1",      "abc123",   "123456",       "1234567890",
    "111111",        "000000",   "abcdefghijkl", "correcthorsebatterystaple",
    "strongroom",    "summer",   "winter",       "spring",
    "autumn"};

std::string Fold(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

CommonPasswords::CommonPasswords() {
  for (auto w : kBuiltIn) words_.insert(std::string(w));
}

Result<CommonPasswords> CommonPasswords::Load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    return Fail(ErrorCode::kFailedPrecondition,
                fmt::format("cannot read the common-password list {}", path.string()));
  }
  CommonPasswords list;
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line) && ++lines <= 10'000'000) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.starts_with("#!")) continue;
    list.words_.insert(Fold(line));
  }
  return list;
}

bool CommonPasswords::IsCommon(std::string_view password) const {
  const std::string folded = Fold(password);
  if (words_.contains(folded)) return true;
  // A listed word with only digits and symbols after it.
  size_t end = folded.size();
  while (end > 0 && !std::isalpha(static_cast<unsigned char>(folded[end - 1]))) --end;
  if (end > 0 && end < folded.size() && words_.contains(folded.substr(0, end))) return true;
  // A listed word repeated.
  for (size_t len = 1; len <= folded.size() / 2; ++len) {
    if (folded.size() % len != 0) continue;
    const auto unit = folded.substr(0, len);
    bool repeated = true;
    for (size_t i = len; i < folded.size() && repeated; i += len) {
      repeated = folded.compare(i, len, unit) == 0;
    }
    if (repeated && (words_.contains(unit) || len <= 2)) return true;
  }
  return false;
}

}  // namespace strongroom::identity
