// The backup archive's readers (backup/archive.h), as restore meets a hostile archive once its
// digest and chunks check out:
// - a manifest line that parses formats to one that parses again to the same manifest;
// - the stream of files, fed in pieces of any size, reaches its sink only as whole items in
//   order (a file begun before its pieces, each piece 1 byte to 256 KiB, a name of 1 to 255
//   bytes, every file ended before the next); when it reads the end mark, those items written
//   out again are exactly the bytes fed, and before it, they are the bytes' beginning.

#include <fuzzer/FuzzedDataProvider.h>

#include "backup/archive.h"
#include "fuzz_check.h"

namespace {

using namespace strongroom;

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void Manifests(const std::string& text) {
  auto m = backup::ParseManifest(text);
  if (!m) {
    FUZZ_CHECK(m.error().code == ErrorCode::kDataLoss, "a bad manifest was not called damage");
    return;
  }
  const auto line = backup::FormatManifest(*m);
  FUZZ_CHECK(line.find('\n') == std::string::npos, "a manifest formatted over two lines");
  auto again = backup::ParseManifest(line);
  FUZZ_CHECK(again.has_value(), "a formatted manifest did not parse");
  FUZZ_CHECK(backup::FormatManifest(*again) == line, "a manifest changed on its way round");
}

void Stream(size_t piece, const std::string& stream) {
  std::string out;
  bool in_file = false;
  backup::FileSink sink{[&](const std::string& name) -> Result<void> {
                          FUZZ_CHECK(!in_file, "a file begun inside another");
                          FUZZ_CHECK(!name.empty() && name.size() <= 255, "a name's length");
                          in_file = true;
                          out.push_back('F');
                          PutLe(out, name.size(), 2);
                          out += name;
                          return {};
                        },
                        [&](std::string_view bytes) -> Result<void> {
                          FUZZ_CHECK(in_file, "bytes outside a file");
                          FUZZ_CHECK(!bytes.empty() && bytes.size() <= (256 << 10),
                                     "a piece's length");
                          out.push_back('D');
                          PutLe(out, bytes.size(), 4);
                          out += bytes;
                          return {};
                        },
                        [&]() -> Result<void> {
                          FUZZ_CHECK(in_file, "a file ended that was not begun");
                          in_file = false;
                          out.push_back('E');
                          return {};
                        }};
  backup::FileStreamReader reader(sink);
  for (size_t at = 0; at < stream.size(); at += piece) {
    auto fed = reader.Feed(std::string_view(stream).substr(at, piece));
    if (!fed) {
      FUZZ_CHECK(fed.error().code == ErrorCode::kDataLoss, "a bad stream was not called damage");
      return;
    }
  }
  if (reader.done()) {
    out.push_back('Z');
    FUZZ_CHECK(out == stream, "what was read is not what was fed");
  } else {
    FUZZ_CHECK(stream.starts_with(out), "what was read is not the beginning of what was fed");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool()) {
    Manifests(in.ConsumeRemainingBytesAsString());
  } else {
    const auto piece = in.ConsumeIntegralInRange<size_t>(1, 64);
    Stream(piece, in.ConsumeRemainingBytesAsString());
  }
  return 0;
}
