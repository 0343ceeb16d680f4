#include "crypto/envelope.h"

#include <initializer_list>
#include <string>

#include "crypto/aead.h"

namespace strongroom::crypto {
namespace {

Bytes EncodeFields(std::initializer_list<std::string_view> fields) {
  Bytes out;
  for (auto f : fields) {
    const auto n = static_cast<uint32_t>(f.size());
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(n >> shift));
    out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

}  // namespace

Bytes OrgKeyAad(Environment env, std::string_view org_id, std::string_view master_key_id) {
  return EncodeFields({"strongroom/org-key/v1", EnvironmentName(env), org_id, master_key_id});
}

Bytes RecordKeyAad(Environment env, std::string_view org_id, std::string_view record_id) {
  return EncodeFields({"strongroom/record-key/v1", EnvironmentName(env), org_id, record_id});
}

Bytes RecordDataAad(Environment env, std::string_view org_id, std::string_view record_id,
                    int64_t version, std::string_view part) {
  const std::string v = std::to_string(version);
  if (part.empty()) {
    return EncodeFields({"strongroom/record-data/v1", EnvironmentName(env), org_id, record_id, v});
  }
  return EncodeFields(
      {"strongroom/record-data/v1", EnvironmentName(env), org_id, record_id, v, part});
}

Secret NewDataKey(Random& random) { return random.RandomSecret(kAeadKeySize); }

Result<Bytes> WrapKey(const Secret& kek, const Secret& key, std::span<const uint8_t> aad,
                      Random& random) {
  return Seal(kek, key.view(), aad, random);
}

Result<Secret> UnwrapKey(const Secret& kek, std::span<const uint8_t> wrapped,
                         std::span<const uint8_t> aad) {
  ASSIGN_OR_RETURN(auto raw, Open(kek, wrapped, aad));
  if (raw.size() != kAeadKeySize) {
    SecureWipe(raw);
    return Fail(ErrorCode::kDataLoss, "wrapped key has the wrong size");
  }
  Secret key(raw);
  SecureWipe(raw);
  return key;
}

}  // namespace strongroom::crypto
