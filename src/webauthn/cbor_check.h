#pragma once
// A walk over untrusted CBOR (RFC 8949) before libcbor decodes it. libcbor allocates what a
// definite length claims before it reads a single element (five bytes can ask it for gigabytes)
// and nests as deep as the bytes say; WebAuthn's CBOR (attestation objects, COSE keys) is small,
// shallow and plain. So an item is decoded only if it keeps to that subset:
//
//   - at most `max_bytes` in all, nested at most `max_depth` deep;
//   - definite lengths only, each within the bytes that remain (an array's count, a map's pairs);
//   - unsigned and negative integers, byte and text strings (text in UTF-8), arrays, maps, and the
//     simple values false, true and null; no tags, floats, `undefined` or other simple values;
//   - numbers (values, lengths, counts) in their shortest form, so each value has one encoding;
//   - map keys integers or text strings, none repeated.
//
// The walk takes O(n log n) in the input's size (a repeated key is found through a sorted set).

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.h"

namespace strongroom::webauthn {

struct CborLimits {
  size_t max_bytes = 16 * 1024;
  int max_depth = 6;  // an attestation object: map > attStmt map > x5c array > certificate
};

// The length of the one item `data` begins with (what follows it is the caller's), or
// kInvalidArgument saying what is wrong and where.
Result<size_t> CheckCborItem(std::span<const uint8_t> data, const CborLimits& limits = {});

}  // namespace strongroom::webauthn
