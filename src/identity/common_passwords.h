#pragma once
// The common-password check (NIST SP 800-63B: refuse passwords that are known to be common, with
// no composition rules). A password is refused when, folded to lower case, it is on the list, or
// is a listed word followed only by digits and symbols ("Password2024!"), or is a listed word
// repeated ("passwordpassword"). The list is a file of one password per line (by default John the
// Ripper's password.lst from Debian's john-data), merged with a small built-in list.
//
// Thread-safety: immutable after Load; IsCommon may be called from any thread.

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_set>

#include "common/error.h"

namespace strongroom::identity {

class CommonPasswords {
 public:
  // The built-in list only.
  CommonPasswords();
  // The built-in list and the file's (lines starting with "#!" are comments).
  static Result<CommonPasswords> Load(const std::filesystem::path& path);

  bool IsCommon(std::string_view password) const;
  size_t size() const { return words_.size(); }

 private:
  std::unordered_set<std::string> words_;
};

}  // namespace strongroom::identity
