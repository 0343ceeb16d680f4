#pragma once
// A QR code (libqrencode, error correction level M) as a self-contained SVG image, for the
// otpauth:// URI shown at enrolment. The SVG holds only squares: no text, no scripts, no links, so
// it is safe to render, and nothing of the secret appears in it as text.

#include <string>
#include <string_view>

#include "common/error.h"

namespace strongroom::identity {

Result<std::string> QrSvg(std::string_view text);

// The same code as an SVG path of unit squares (only "M", "h", "v", "z", digits and commas) on a
// `size` by `size` view box with its quiet zone: for pages that draw it from escaped values.
struct QrPath {
  int size = 0;
  std::string path;
};
Result<QrPath> QrCodePath(std::string_view text);

}  // namespace strongroom::identity
