#pragma once
// Page decompression for the Parquet reader. Each function decompresses one
// page body (raw, no framing beyond what the codec itself defines) into
// exactly `dst_size` bytes and throws CodecError if the input is corrupt or
// decompresses to a different size. Never writes past dst + dst_size.
#include <baton/error.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace baton::parquet_detail {

class CodecError : public Error {
 public:
  using Error::Error;
};

// parquet.thrift CompressionCodec values.
enum class Codec : int32_t { Uncompressed = 0, Snappy = 1, Gzip = 2, Lzo = 3, Brotli = 4, Lz4 = 5, Zstd = 6, Lz4Raw = 7 };

// True for the codecs decompress() handles.
bool codec_supported(int32_t codec);

// Largest uncompressed size that `compressed_size` bytes of this codec can
// plausibly produce, or that the stream itself declares (snappy, zstd). A page
// header claiming more is corrupt; checking before allocating keeps a flipped
// size field from requesting gigabytes.
uint64_t max_uncompressed_size(int32_t codec, const uint8_t* src, size_t compressed_size);

void decompress(int32_t codec, const uint8_t* src, size_t src_size, uint8_t* dst, size_t dst_size);

}  // namespace baton::parquet_detail
