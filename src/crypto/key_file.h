#pragma once
// Key files: small text files holding key material, readable by their owner only.
//
//   <header line>
//   name value
//   name value
//
// Reading refuses anything but a regular file (no symlinks) that group and others cannot read,
// and keeps the text in a Secret that is wiped when the KeyFileText dies. Writing creates the file
// exclusively with mode 0600 and syncs it. Values are never echoed in errors.

#include <filesystem>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/secret.h"

namespace strongroom::crypto {

class KeyFileText {
 public:
  // kNotFound if absent; kFailedPrecondition for loose permissions or a non-regular file;
  // kDataLoss if the header is not `header`.
  static Result<KeyFileText> Read(const std::filesystem::path& path, std::string_view header);

  // The value of the line `name value`; views into this object's memory.
  Result<std::string_view> Field(std::string_view name) const;

 private:
  explicit KeyFileText(Secret text) : text_(std::move(text)) {}
  Secret text_;
};

// The bytes of a small file that only its owner may read (a regular file, no symlink, no
// permission for group or others), in a Secret; at most `max_bytes`. The errors are
// KeyFileText::Read's, naming `what` (e.g. "key file").
Result<Secret> ReadPrivateFile(const std::filesystem::path& path, std::string_view what,
                               size_t max_bytes);

using KeyFileField = std::pair<std::string_view, std::string_view>;

// Creates `path` (never overwriting) with mode 0600: the header line, then one line per field.
Result<void> WriteKeyFile(const std::filesystem::path& path, std::string_view header,
                          const std::vector<KeyFileField>& fields);

}  // namespace strongroom::crypto
