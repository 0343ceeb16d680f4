#pragma once
// Envelope encryption: how keys wrap keys and data, and what each ciphertext is bound to.
//
//   master key --wraps--> organisation key --wraps--> record key --seals--> record data
//
// Every ciphertext carries associated data (AAD) that names exactly what it belongs to, so a
// ciphertext moved to another row, organisation, record, version or environment fails to open
// (kDataLoss) instead of decrypting in the wrong place. AAD fields are length-prefixed, so no two
// different field lists encode to the same bytes.

#include <cstdint>
#include <span>
#include <string_view>

#include "common/bytes.h"
#include "common/environment.h"
#include "common/error.h"
#include "common/secret.h"
#include "crypto/random.h"

namespace strongroom::crypto {

// An organisation key, wrapped by the master key `master_key_id`.
Bytes OrgKeyAad(Environment env, std::string_view org_id, std::string_view master_key_id);
// A record's data key, wrapped by its organisation's key.
Bytes RecordKeyAad(Environment env, std::string_view org_id, std::string_view record_id);
// A record's content at one version, sealed by the record's data key. `part` names which field
// of the record it is ("title", "body"; "" for single-part data), so parts cannot be swapped.
Bytes RecordDataAad(Environment env, std::string_view org_id, std::string_view record_id,
                    int64_t version, std::string_view part = {});

// A new random 256-bit data or organisation key.
Secret NewDataKey(Random& random);

Result<Bytes> WrapKey(const Secret& kek, const Secret& key, std::span<const uint8_t> aad,
                      Random& random);
Result<Secret> UnwrapKey(const Secret& kek, std::span<const uint8_t> wrapped,
                         std::span<const uint8_t> aad);

}  // namespace strongroom::crypto
