#pragma once
// How run ids are stored: 16 bytes, RunId::hi then ::lo, big-endian, so that the
// byte order of the blobs is the order of the ids' hex text (prefix = range).
#include <baton/run_id.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace baton::store {

using IdBlob = std::array<unsigned char, 16>;

inline IdBlob to_blob(const RunId& id) {
  IdBlob out{};
  for (int i = 0; i < 8; ++i) {
    out[static_cast<std::size_t>(i)] = static_cast<unsigned char>(id.hi >> (56 - 8 * i));
    out[static_cast<std::size_t>(8 + i)] = static_cast<unsigned char>(id.lo >> (56 - 8 * i));
  }
  return out;
}

// An empty view (NULL column) or a blob of the wrong size gives the empty id.
inline RunId from_blob(std::string_view blob) {
  RunId id;
  if (blob.size() != 16) return id;
  for (int i = 0; i < 8; ++i) {
    id.hi = (id.hi << 8) | static_cast<unsigned char>(blob[static_cast<std::size_t>(i)]);
    id.lo = (id.lo << 8) | static_cast<unsigned char>(blob[static_cast<std::size_t>(8 + i)]);
  }
  return id;
}

// The id range [lower, upper) whose hex text starts with `prefix` (dashes
// ignored, any case). nullopt if the prefix is empty, too long or not hex.
// `upper` is nullopt when the prefix is all f's (no upper bound).
struct IdRange {
  IdBlob lower{};
  std::optional<IdBlob> upper;
  std::string digits;  // the normalized prefix: lowercase hex, no dashes
};

inline std::optional<IdRange> id_prefix_range(std::string_view prefix) {
  IdRange r;
  for (char c : prefix) {
    if (c == '-') continue;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    r.digits.push_back(c);
  }
  if (r.digits.empty() || r.digits.size() > 32) return std::nullopt;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::array<int, 32> low{};
  for (std::size_t i = 0; i < r.digits.size(); ++i) low[i] = nibble(r.digits[i]);
  auto pack = [](const std::array<int, 32>& n) {
    IdBlob b{};
    for (std::size_t i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>((n[2 * i] << 4) | n[2 * i + 1]);
    return b;
  };
  r.lower = pack(low);
  // upper = prefix + 1 in its last digit, carrying; padded with zeros.
  std::array<int, 32> up = low;
  for (std::size_t i = r.digits.size(); i-- > 0;) {
    if (up[i] < 15) {
      ++up[i];
      r.upper = pack(up);
      break;
    }
    up[i] = 0;
  }
  return r;
}

}  // namespace baton::store
