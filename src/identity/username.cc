#include "identity/username.h"

#include <algorithm>

namespace strongroom::identity {
namespace {

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

const std::vector<std::string>& DefaultGenericNames() {
  static const std::vector<std::string> kNames = {
      "admin",   "administrator", "root",    "test",   "tester",    "testing",   "shared",
      "team",    "support",       "guest",   "user",   "users",     "system",    "sysadmin",
      "service", "operator",      "info",    "office", "helpdesk",  "security",  "default",
      "demo",    "everyone",      "all",     "nobody", "anonymous", "superuser", "backup",
      "temp",    "tmp",           "generic", "staff",  "manager",   "strongroom"};
  return kNames;
}

Result<std::string> CanonicalUsername(std::string_view input,
                                      const std::vector<std::string>& generic_names) {
  if (input.size() < 3 || input.size() > 64) {
    return Fail(ErrorCode::kInvalidArgument, "username must be 3 to 64 characters");
  }
  std::string name;
  name.reserve(input.size());
  for (char c : input) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!IsAlnum(c) && c != '.' && c != '_' && c != '-') {
      return Fail(ErrorCode::kInvalidArgument,
                  "username may contain only a-z, 0-9, '.', '_' and '-'");
    }
    name.push_back(c);
  }
  if (!IsAlnum(name.front()) || !IsAlnum(name.back())) {
    return Fail(ErrorCode::kInvalidArgument, "username must start and end with a letter or digit");
  }
  // A generic word alone, or with only digits or separators added ("admin1", "test-01").
  std::string stem;
  for (char c : name) {
    if (c >= 'a' && c <= 'z') stem.push_back(c);
  }
  if (std::find(generic_names.begin(), generic_names.end(), stem) != generic_names.end() ||
      std::find(generic_names.begin(), generic_names.end(), name) != generic_names.end()) {
    return Fail(ErrorCode::kInvalidArgument,
                "username must name one person; generic names are not allowed");
  }
  return name;
}

}  // namespace strongroom::identity
