#include "webauthn/cbor_check.h"

#include <fmt/format.h>

#include <set>
#include <string_view>

#include "common/utf8.h"

namespace strongroom::webauthn {
namespace {

enum Major : uint8_t {
  kUnsigned = 0,
  kNegative = 1,
  kBytes = 2,
  kText = 3,
  kArray = 4,
  kMap = 5,
  kTag = 6,
  kSimple = 7
};

class Walk {
 public:
  Walk(std::span<const uint8_t> data, const CborLimits& limits) : data_(data), limits_(limits) {}

  Result<void> Item(int depth) {
    if (depth > limits_.max_depth)
      return Bad(fmt::format("nests deeper than {}", limits_.max_depth));
    if (pos_ >= data_.size()) return Bad("ends inside an item");
    const size_t start = pos_;
    const uint8_t initial = data_[pos_++];
    const auto major = static_cast<Major>(initial >> 5);
    const uint8_t info = initial & 31;
    if (info == 31) return Bad("has an indefinite length", start);
    if (info >= 28) return Bad("has a reserved length code", start);
    if (major == kTag) return Bad("has a tag", start);
    if (major == kSimple) {
      // false, true, null; not undefined (23), floats (25-27) or other simple values.
      if (info < 20 || info > 22) return Bad("has a float or a simple value", start);
      return {};
    }
    ASSIGN_OR_RETURN(const uint64_t argument, Argument(info, start));
    const uint64_t left = data_.size() - pos_;
    switch (major) {
      case kUnsigned:
      case kNegative:
        return {};
      case kBytes:
      case kText: {
        if (argument > left) return Bad("has a string longer than what follows", start);
        const std::string_view text(reinterpret_cast<const char*>(data_.data() + pos_),
                                    static_cast<size_t>(argument));
        pos_ += static_cast<size_t>(argument);
        if (major == kText && !Utf8CodePoints(text))
          return Bad("has text that is not UTF-8", start);
        return {};
      }
      case kArray:
        if (argument > left) return Bad("has an array longer than what follows", start);
        for (uint64_t i = 0; i < argument; ++i) RETURN_IF_ERROR(Item(depth + 1));
        return {};
      case kMap: {
        if (argument > left / 2) return Bad("has a map longer than what follows", start);
        std::set<std::string_view> keys;
        for (uint64_t i = 0; i < argument; ++i) {
          const size_t key_at = pos_;
          if (key_at >= data_.size()) return Bad("ends inside a map");
          const auto key_major = static_cast<Major>(data_[key_at] >> 5);
          if (key_major != kUnsigned && key_major != kNegative && key_major != kText) {
            return Bad("has a map key that is neither an integer nor text", key_at);
          }
          RETURN_IF_ERROR(Item(depth + 1));
          const std::string_view key(reinterpret_cast<const char*>(data_.data() + key_at),
                                     pos_ - key_at);
          if (!keys.insert(key).second) return Bad("has a map key twice", key_at);
          RETURN_IF_ERROR(Item(depth + 1));
        }
        return {};
      }
      default:
        return Bad("is not CBOR", start);
    }
  }

  size_t position() const { return pos_; }

 private:
  // The number an item's first byte and the bytes after it give (a value, a length, a count).
  Result<uint64_t> Argument(uint8_t info, size_t start) {
    if (info < 24) return info;
    const size_t size = size_t{1} << (info - 24);  // 24..27: 1, 2, 4 or 8 bytes
    if (data_.size() - pos_ < size) return Bad("ends inside an item's length", start);
    uint64_t v = 0;
    for (size_t i = 0; i < size; ++i) v = (v << 8) | data_[pos_++];
    // Each number in its shortest form (as CTAP2's canonical CBOR), so that one value has one
    // encoding: a key written twice in two forms is still found twice.
    const uint64_t shortest_from = info == 24 ? 24 : uint64_t{1} << (8 * (size / 2));
    if (v < shortest_from) return Bad("has a number not in its shortest form", start);
    return v;
  }

  std::unexpected<Error> Bad(std::string_view what) const { return Bad(what, pos_); }
  std::unexpected<Error> Bad(std::string_view what, size_t at) const {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("the CBOR {} (at byte {})", what, at));
  }

  std::span<const uint8_t> data_;
  const CborLimits& limits_;
  size_t pos_ = 0;
};

}  // namespace

Result<size_t> CheckCborItem(std::span<const uint8_t> data, const CborLimits& limits) {
  if (data.size() > limits.max_bytes) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("the CBOR is longer than {} bytes", limits.max_bytes));
  }
  Walk walk(data, limits);
  RETURN_IF_ERROR(walk.Item(0));
  return walk.position();
}

}  // namespace strongroom::webauthn
