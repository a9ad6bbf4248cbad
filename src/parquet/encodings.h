#pragma once
// Parquet's value and level encodings (Encodings.md). The decoders read from a
// bounded byte range and throw EncodingError, never reading past the end, on
// data that is short or inconsistent; they write into memory the caller has
// sized for `count` values. The writer's encoders are at the end.
#include <baton/error.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace baton::parquet_detail {

class EncodingError : public Error {
 public:
  using Error::Error;
};

// parquet.thrift Encoding values.
enum class Encoding : int32_t {
  Plain = 0, PlainDictionary = 2, Rle = 3, BitPacked = 4, DeltaBinaryPacked = 5, DeltaLengthByteArray = 6,
  DeltaByteArray = 7, RleDictionary = 8, ByteStreamSplit = 9
};

// ULEB128; advances p.
uint64_t read_uleb128(const uint8_t*& p, const uint8_t* end);

// Unpacks `count` values of `bit_width` bits (LSB-first, as Parquet packs them)
// from src, which must hold at least ceil(count * bit_width / 8) bytes.
// `first` is the index of the first value to unpack (bit offset first * bit_width).
void unpack_bits32(const uint8_t* src, size_t src_size, int bit_width, uint64_t first, uint32_t* out, size_t count);
void unpack_bits8(const uint8_t* src, size_t src_size, int bit_width, uint64_t first, uint8_t* out, size_t count);
void unpack_bits64(const uint8_t* src, size_t src_size, int bit_width, uint64_t first, uint64_t* out, size_t count);

// The RLE / bit-packed hybrid (levels, dictionary indices, RLE booleans),
// without a length prefix.
class RleBitPackedDecoder {
 public:
  RleBitPackedDecoder(const uint8_t* data, size_t size, int bit_width);
  // Decodes exactly `count` values; throws if the data ends first.
  void get(uint32_t* out, size_t count);
  // Same, for narrow values (levels, booleans: bit_width <= 8).
  void get(uint8_t* out, size_t count);

 private:
  template <class T>
  void get_impl(T* out, size_t count);
  bool next_run();

  const uint8_t* p_;
  const uint8_t* end_;
  int bit_width_;
  // current run
  bool packed_ = false;
  uint64_t run_left_ = 0;  // values left in the run
  uint32_t rle_value_ = 0;
  const uint8_t* packed_at_ = nullptr;  // bit-packed run: its data
  uint64_t packed_index_ = 0;           // next value of the run to unpack
};

// DELTA_BINARY_PACKED. decode() writes `count` values (the header's total count
// must be at least that) and returns the bytes consumed, so that the data that
// follows (DELTA_LENGTH_BYTE_ARRAY) can be found. Arithmetic wraps as the
// format specifies (in 64 bits; INT32 results are the low 32 bits).
class DeltaBinaryPackedDecoder {
 public:
  DeltaBinaryPackedDecoder(const uint8_t* data, size_t size);
  uint64_t total_count() const { return total_count_; }
  template <class T>  // int32_t or int64_t
  void decode(T* out, size_t count);
  // Bytes consumed so far; after all total_count values are decoded, where
  // the encoded data ends (DELTA_LENGTH_BYTE_ARRAY's string bytes follow).
  size_t consumed() const { return static_cast<size_t>(p_ - begin_); }

 private:
  bool next_miniblock();
  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  uint64_t block_size_ = 0, miniblocks_ = 0, per_miniblock_ = 0, total_count_ = 0;
  uint64_t emitted_ = 0;
  uint64_t last_ = 0;
  bool first_pending_ = true;
  // block state
  uint64_t min_delta_ = 0;
  std::vector<uint8_t> widths_;
  uint64_t miniblock_index_ = 0;  // within the block; == miniblocks_ when a new block is needed
  std::vector<uint64_t> unpacked_;
  size_t unpacked_pos_ = 0, unpacked_len_ = 0;
};

// BYTE_STREAM_SPLIT: `count` values of `width` bytes from `width` streams of
// `stride` bytes each (stride >= count; stride = data size / width).
void byte_stream_split_decode(const uint8_t* src, size_t src_size, size_t width, size_t count, uint8_t* out);

// ---- encoders

// Appends values[0..n) as RLE/bit-packed hybrid runs of `bit_width` bits (no
// length prefix). A final bit-packed group is padded with zeros.
void encode_hybrid(const uint32_t* values, int64_t n, int bit_width, std::string& out);

// Number of bits needed for values up to max_value (0 for 0).
int bit_width_for(uint64_t max_value);

}  // namespace baton::parquet_detail
