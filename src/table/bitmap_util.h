#pragma once
// Internal helpers shared by the compute kernels: validity bitmaps normalized to
// bit offset 0, and per-chunk byte masks that keep the value loops branch-free.
#include <cstdint>
#include <cstring>
#include <vector>

#include <baton/buffer.h>
#include <baton/column.h>

namespace baton::detail {

// Copies n bits starting at bit `off` of src into dst starting at bit 0.
void copy_bits(const uint8_t* src, int64_t off, int64_t n, uint8_t* dst);

// The validity of a result whose slot i is valid iff slot i is valid in every
// input. Returns an empty Buffer when no slot is null; sets *null_count.
Buffer and_validity(const Column& a, const Column* b, int64_t* null_count);

// Writes mask[k] = 1 if slot start+k of c is valid, else 0, for k < n.
void valid_mask(const Column& c, int64_t start, int64_t n, uint8_t* mask);

// Builds a validity bitmap from one byte per slot (nonzero = valid).
Buffer bitmap_from_mask(const uint8_t* mask, int64_t n, int64_t* null_count);

}  // namespace baton::detail
