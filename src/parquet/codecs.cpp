#include "parquet/codecs.h"

#include <lz4.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <limits>

namespace baton::parquet_detail {

bool codec_supported(int32_t codec) {
  switch (static_cast<Codec>(codec)) {
    case Codec::Uncompressed: case Codec::Snappy: case Codec::Gzip: case Codec::Zstd: case Codec::Lz4Raw: case Codec::Lz4:
      return true;
    default:
      return false;
  }
}

uint64_t max_uncompressed_size(int32_t codec, const uint8_t* src, size_t n) {
  switch (static_cast<Codec>(codec)) {
    case Codec::Uncompressed:
      return n;
    case Codec::Snappy: {
      size_t len = 0;
      if (!snappy::GetUncompressedLength(reinterpret_cast<const char*>(src), n, &len)) return 0;
      return len;
    }
    case Codec::Zstd: {
      // A single frame that declares its size bounds the page exactly; several
      // frames or unknown sizes fall back to zstd's maximum ratio.
      unsigned long long s = ZSTD_getFrameContentSize(src, n);
      if (s == ZSTD_CONTENTSIZE_ERROR) return 0;
      size_t frame = ZSTD_findFrameCompressedSize(src, n);
      if (s != ZSTD_CONTENTSIZE_UNKNOWN && !ZSTD_isError(frame) && frame == n) return s;
      return static_cast<uint64_t>(n) * 32768 + 4096;
    }
    case Codec::Gzip:
      return static_cast<uint64_t>(n) * 1032 + 4096;  // deflate's maximum ratio
    case Codec::Lz4Raw: case Codec::Lz4:
      return static_cast<uint64_t>(n) * 255 + 4096;  // LZ4's maximum ratio
    default:
      return 0;
  }
}

namespace {

void gunzip(const uint8_t* src, size_t n, uint8_t* dst, size_t dst_size) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  // 15 + 32: accept gzip or zlib headers (some writers emit zlib streams).
  if (inflateInit2(&zs, 15 + 32) != Z_OK) throw CodecError("gzip: inflateInit failed");
  zs.next_in = const_cast<Bytef*>(src);
  zs.avail_in = static_cast<uInt>(n);
  zs.next_out = dst;
  zs.avail_out = static_cast<uInt>(dst_size);
  for (;;) {
    int rc = inflate(&zs, Z_FINISH);
    if (rc == Z_STREAM_END) {
      // Several gzip members may follow one another (concatenated streams).
      if (zs.avail_in > 0 && zs.avail_out > 0) {
        if (inflateReset(&zs) != Z_OK) break;
        continue;
      }
      break;
    }
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) {
      inflateEnd(&zs);
      throw CodecError("gzip: data decompresses to more than the " + std::to_string(dst_size) + " bytes the page header declares");
    }
    std::string msg = zs.msg ? zs.msg : "corrupt or truncated stream";
    inflateEnd(&zs);
    throw CodecError("gzip: " + msg);
  }
  size_t produced = dst_size - zs.avail_out;
  inflateEnd(&zs);
  if (produced != dst_size)
    throw CodecError("gzip: decompressed " + std::to_string(produced) + " bytes, page header declares " + std::to_string(dst_size));
}

// The deprecated LZ4 codec: parquet-mr wrote Hadoop's framing (blocks of
// big-endian uncompressed size, compressed size, LZ4 block); some other
// writers wrote one bare LZ4 block. Try the framing, then the bare block, as
// Arrow does.
bool lz4_hadoop(const uint8_t* src, size_t n, uint8_t* dst, size_t dst_size) {
  auto be32 = [](const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  };
  size_t in = 0, out = 0;
  while (n - in >= 8) {
    uint32_t raw = be32(src + in), comp = be32(src + in + 4);
    in += 8;
    if (comp > n - in || raw > dst_size - out) return false;
    int r = LZ4_decompress_safe(reinterpret_cast<const char*>(src + in), reinterpret_cast<char*>(dst + out), static_cast<int>(comp),
                                static_cast<int>(raw));
    if (r < 0 || static_cast<uint32_t>(r) != raw) return false;
    in += comp;
    out += raw;
  }
  return in == n && out == dst_size;
}

}  // namespace

void decompress(int32_t codec, const uint8_t* src, size_t n, uint8_t* dst, size_t dst_size) {
  if (dst_size > static_cast<size_t>(std::numeric_limits<int32_t>::max()) || n > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    throw CodecError("page larger than 2 GiB");
  switch (static_cast<Codec>(codec)) {
    case Codec::Uncompressed:
      if (n != dst_size) throw CodecError("uncompressed page of " + std::to_string(n) + " bytes, header declares " + std::to_string(dst_size));
      std::memcpy(dst, src, n);
      return;
    case Codec::Snappy: {
      size_t len = 0;
      const char* s = reinterpret_cast<const char*>(src);
      if (!snappy::GetUncompressedLength(s, n, &len)) throw CodecError("snappy: corrupt stream header");
      if (len != dst_size) throw CodecError("snappy: stream holds " + std::to_string(len) + " bytes, page header declares " + std::to_string(dst_size));
      if (!snappy::RawUncompress(s, n, reinterpret_cast<char*>(dst))) throw CodecError("snappy: corrupt stream");
      return;
    }
    case Codec::Gzip:
      gunzip(src, n, dst, dst_size);
      return;
    case Codec::Zstd: {
      size_t r = ZSTD_decompress(dst, dst_size, src, n);
      if (ZSTD_isError(r)) throw CodecError(std::string("zstd: ") + ZSTD_getErrorName(r));
      if (r != dst_size) throw CodecError("zstd: decompressed " + std::to_string(r) + " bytes, page header declares " + std::to_string(dst_size));
      return;
    }
    case Codec::Lz4Raw: {
      int r = LZ4_decompress_safe(reinterpret_cast<const char*>(src), reinterpret_cast<char*>(dst), static_cast<int>(n),
                                  static_cast<int>(dst_size));
      if (r < 0) throw CodecError("lz4_raw: corrupt stream");
      if (static_cast<size_t>(r) != dst_size) throw CodecError("lz4_raw: decompressed " + std::to_string(r) + " bytes, page header declares " + std::to_string(dst_size));
      return;
    }
    case Codec::Lz4: {
      if (lz4_hadoop(src, n, dst, dst_size)) return;
      int r = LZ4_decompress_safe(reinterpret_cast<const char*>(src), reinterpret_cast<char*>(dst), static_cast<int>(n),
                                  static_cast<int>(dst_size));
      if (r < 0 || static_cast<size_t>(r) != dst_size) throw CodecError("lz4: neither Hadoop-framed nor a bare LZ4 block of the declared size");
      return;
    }
    default:
      throw CodecError("codec " + std::to_string(codec) + " is not supported");
  }
}

}  // namespace baton::parquet_detail
