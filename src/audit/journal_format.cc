#include "audit/journal_format.h"

#include <zlib.h>

#include <cstring>

namespace strongroom::audit {
namespace {

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint32_t Crc(std::string_view bytes) {
  return static_cast<uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

bool KnownKind(uint8_t k) { return k >= 1 && k <= 3; }

}  // namespace

void EncodeRecord(const JournalRecord& r, std::string& out) {
  const size_t body = kBodyHeaderBytes + r.text.size();
  const size_t start = out.size();
  PutU32(out, static_cast<uint32_t>(body));
  PutU32(out, 0);  // the checksum, once the body is in place
  out += static_cast<char>(r.kind);
  out += static_cast<char>(r.flags);
  const auto seq = static_cast<uint64_t>(r.sequence);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((seq >> (8 * i)) & 0xff);
  out.append(reinterpret_cast<const char*>(r.hash.data()), r.hash.size());
  out += r.text;
  const uint32_t crc = Crc(std::string_view(out).substr(start + kFrameHeaderBytes, body));
  for (int i = 0; i < 4; ++i) out[start + 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
}

Decoded DecodeRecord(std::string_view bytes) {
  Decoded d;
  if (bytes.size() < kFrameHeaderBytes) return d;
  const uint32_t body = GetU32(bytes.data());
  if (body < kBodyHeaderBytes || body > kMaxBodyBytes) {
    d.status = DecodeStatus::kCorrupt;
    return d;
  }
  if (bytes.size() - kFrameHeaderBytes < body) return d;
  d.size = kFrameHeaderBytes + body;
  const auto payload = bytes.substr(kFrameHeaderBytes, body);
  if (Crc(payload) != GetU32(bytes.data() + 4) || !KnownKind(static_cast<uint8_t>(payload[0]))) {
    d.status = DecodeStatus::kCorrupt;
    return d;
  }
  auto& r = d.record;
  r.kind = static_cast<RecordKind>(payload[0]);
  r.flags = static_cast<uint8_t>(payload[1]);
  uint64_t seq = 0;
  for (int i = 7; i >= 0; --i) seq = (seq << 8) | static_cast<uint8_t>(payload[2 + i]);
  r.sequence = static_cast<int64_t>(seq);
  std::memcpy(r.hash.data(), payload.data() + 10, r.hash.size());
  r.text.assign(payload.substr(kBodyHeaderBytes));
  d.status = DecodeStatus::kOk;
  return d;
}

std::string FormatCheckpointText(const CheckpointText& c) {
  return c.time + "\n" + c.key_id + "\n" + HexEncode(c.signature);
}

bool ParseCheckpointText(std::string_view text, CheckpointText& out) {
  const auto a = text.find('\n');
  if (a == std::string_view::npos) return false;
  const auto b = text.find('\n', a + 1);
  if (b == std::string_view::npos) return false;
  out.time.assign(text.substr(0, a));
  out.key_id.assign(text.substr(a + 1, b - a - 1));
  auto sig = HexDecode(text.substr(b + 1));
  if (!sig) return false;
  out.signature = std::move(*sig);
  return true;
}

}  // namespace strongroom::audit
