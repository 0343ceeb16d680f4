#include "identity/qr_svg.h"

#include <fmt/format.h>
#include <qrencode.h>

#include <memory>

namespace strongroom::identity {

Result<QrPath> QrCodePath(std::string_view text) {
  const std::string input(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!code) return Fail(ErrorCode::kInternal, "cannot make a QR code");
  const int n = code->width;
  const int quiet = 4;  // the quiet zone readers need around the symbol
  QrPath out{n + 2 * quiet, ""};
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      if (code->data[y * n + x] & 1)
        out.path += fmt::format("M{},{}h1v1h-1z", x + quiet, y + quiet);
    }
  }
  return out;
}

Result<std::string> QrSvg(std::string_view text) {
  ASSIGN_OR_RETURN(auto qr, QrCodePath(text));
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {0}\" width=\"{1}\" "
      "height=\"{1}\" shape-rendering=\"crispEdges\"><rect width=\"{0}\" height=\"{0}\" "
      "fill=\"#fff\"/><path fill=\"#000\" d=\"{2}\"/></svg>",
      qr.size, qr.size * 4, qr.path);
}

}  // namespace strongroom::identity
