// Dictionary encoding for the Parquet writer: a chunk's distinct values and the
// index of each valid value, built only when it beats PLAIN.
#include "parquet/writer_parts.h"

#include <xxhash.h>

#include <limits>
#include <string_view>

#include "parquet/writer_internal.h"

namespace baton::parquet_detail {
namespace {

constexpr uint32_t kNoIndex = std::numeric_limits<uint32_t>::max();

// Open-addressing hash table from a value to its dictionary index.
template <class Key, class Hash, class Eq>
class DictTable {
 public:
  explicit DictTable(size_t capacity_pow2) : slots_(capacity_pow2, kNoIndex), mask_(capacity_pow2 - 1) {}
  // Returns the index of `k`, appending it to `keys` if absent.
  uint32_t find_or_insert(const Key& k, std::vector<Key>& keys) {
    size_t h = Hash{}(k) & mask_;
    while (true) {
      uint32_t s = slots_[h];
      if (s == kNoIndex) {
        const auto next = static_cast<uint32_t>(keys.size());
        slots_[h] = next;
        keys.push_back(k);
        if (keys.size() * 2 > slots_.size()) grow(keys);
        return next;
      }
      if (Eq{}(keys[s], k)) return s;
      h = (h + 1) & mask_;
    }
  }

 private:
  void grow(const std::vector<Key>& keys) {
    std::vector<uint32_t> bigger(slots_.size() * 2, kNoIndex);
    size_t m = bigger.size() - 1;
    for (uint32_t i = 0; i < keys.size(); ++i) {
      size_t h = Hash{}(keys[i]) & m;
      while (bigger[h] != kNoIndex) h = (h + 1) & m;
      bigger[h] = i;
    }
    slots_.swap(bigger);
    mask_ = m;
  }
  std::vector<uint32_t> slots_;
  size_t mask_;
};

// Open addressing for 8-byte keys, the key stored in the slot (no indirection
// on a probe); Fibonacci hashing takes the product's high bits, which depend on
// every bit of the key (doubles often have all-zero low bits). Kept at most a
// quarter full so that a probe almost always ends at its first slot.
class U64DictTable {
 public:
  U64DictTable() { resize(12); }
  // The hit path inline, the insert out of line.
  __attribute__((always_inline)) uint32_t find_or_insert(uint64_t k, std::vector<uint64_t>& keys) {
    size_t h = hash(k);
    while (true) {
      const Slot& s = slots_[h];
      if (s.key == k && s.id != kNoIndex) return s.id;
      if (s.id == kNoIndex) return insert(h, k, keys);
      h = (h + 1) & mask_;
    }
  }

 private:
  __attribute__((noinline)) uint32_t insert(size_t h, uint64_t k, std::vector<uint64_t>& keys) {
    const auto id = static_cast<uint32_t>(keys.size());
    slots_[h] = Slot{k, id};
    keys.push_back(k);
    if (keys.size() * 4 > slots_.size()) rehash(keys);
    return id;
  }

  struct Slot {
    uint64_t key;
    uint32_t id;
  };
  size_t hash(uint64_t k) const { return static_cast<size_t>((k * 0x9e3779b97f4a7c15ULL) >> shift_); }
  void resize(int bits) {
    slots_.assign(size_t{1} << bits, Slot{0, kNoIndex});
    mask_ = slots_.size() - 1;
    shift_ = 64 - bits;
    bits_ = bits;
  }
  void rehash(const std::vector<uint64_t>& keys) {
    resize(bits_ + 1);
    for (uint32_t i = 0; i < keys.size(); ++i) {
      size_t h = hash(keys[i]);
      while (slots_[h].id != kNoIndex) h = (h + 1) & mask_;
      slots_[h] = Slot{keys[i], i};
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int shift_ = 0, bits_ = 0;
};

struct SvHash {
  size_t operator()(std::string_view s) const { return static_cast<size_t>(XXH3_64bits(s.data(), s.size())); }
};
struct SvEq {
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

// The early give-up of a dictionary: after this many values, a chunk most of
// whose values were new (timestamps, ratios) goes PLAIN without a full pass.
constexpr int64_t kDictionaryProbe = 32768;

// Integers whose values span at most this many: a direct map from value - lo
// to the index replaces the hash table (256 KiB of map, in L2).
constexpr uint64_t kDirectRange = uint64_t{1} << 16;

template <class V>
bool dictionary_direct(const Column& c, int64_t lo, uint64_t range, std::vector<uint64_t>& keys, Dictionary& d) {
  thread_local std::vector<uint32_t> map;
  map.assign(static_cast<size_t>(range) + 1, kNoIndex);
  uint32_t* idx = d.indices.data();
  int64_t k = 0;
  return for_valid_blocks<V>(c, [&](const V* v, int64_t m) {
    for (int64_t i = 0; i < m; ++i) {
      // Unsigned: v - lo is in [0, range] and must not overflow as signed.
      const auto at = static_cast<size_t>(static_cast<uint64_t>(static_cast<int64_t>(v[i])) - static_cast<uint64_t>(lo));
      uint32_t id = map[at];
      if (id == kNoIndex) {
        id = static_cast<uint32_t>(keys.size());
        map[at] = id;
        keys.push_back(static_cast<uint64_t>(static_cast<int64_t>(v[i])));
      }
      idx[k + i] = id;
    }
    k += m;
    return true;
  });
}

template <class V>
bool dictionary_hashed(const Column& c, int64_t valid, int64_t max_entries, std::vector<uint64_t>& keys, Dictionary& d) {
  U64DictTable table;
  uint32_t* idx = d.indices.data();
  int64_t k = 0;
  bool decided = valid <= kDictionaryProbe;
  return for_valid_blocks<V>(c, [&](const V* v, int64_t m) {
    for (int64_t i = 0; i < m; ++i) {
      uint64_t key = 0;
      std::memcpy(&key, v + i, sizeof(V));
      idx[k + i] = table.find_or_insert(key, keys);
    }
    k += m;
    if (static_cast<int64_t>(keys.size()) > max_entries) return false;
    if (!decided && k >= kDictionaryProbe) {
      decided = true;
      if (static_cast<int64_t>(keys.size()) * 2 > k) return false;
    }
    return true;
  });
}

// Strings of up to 7 bytes keyed inline (bytes, then the length in the top
// byte); false with *too_long set when a longer one turns up.
bool dictionary_short_strings(const Column& c, int64_t valid, int64_t page_limit, Dictionary& d,
                              std::vector<std::string_view>& views, int64_t* plain_bytes, bool* too_long) {
  const int64_t* off = c.string_offsets();
  const char* data = c.string_data();
  const int64_t n = c.length();
  U64DictTable table;
  std::vector<uint64_t> keys;
  uint32_t* idx = d.indices.data();
  int64_t k = 0, dict_bytes = 0, plain = 0;
  uint8_t mask[kValueBlock];
  for (int64_t s = 0; s < n; s += kValueBlock) {
    const int64_t m = std::min(kValueBlock, n - s);
    detail::valid_mask(c, s, m, mask);
    for (int64_t j = 0; j < m; ++j) {
      if (!mask[j]) continue;
      const int64_t a = off[s + j], len = off[s + j + 1] - a;
      if (len > 7) {
        *too_long = true;
        return false;
      }
      uint64_t key = static_cast<uint64_t>(len) << 56;
      for (int64_t b = 0; b < len; ++b) key |= static_cast<uint64_t>(static_cast<uint8_t>(data[a + b])) << (8 * b);
      const size_t before = keys.size();
      const uint32_t id = table.find_or_insert(key, keys);
      if (keys.size() != before) {
        views.emplace_back(data + a, static_cast<size_t>(len));
        dict_bytes += 4 + len;
        if (dict_bytes > page_limit) return false;
      }
      plain += 4 + len;
      idx[k++] = id;
    }
    if (valid > kDictionaryProbe && k >= kDictionaryProbe && k - m < kDictionaryProbe &&
        static_cast<int64_t>(keys.size()) * 2 > k)
      return false;
  }
  *plain_bytes = plain;
  return true;
}

bool dictionary_strings(const Column& c, int64_t valid, int64_t page_limit, Dictionary& d,
                        std::vector<std::string_view>& views, int64_t* plain_bytes) {
  DictTable<std::string_view, SvHash, SvEq> table(1024);
  const int64_t n = c.length();
  int64_t k = 0, dict_bytes = 0, plain = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!c.is_valid(i)) continue;
    std::string_view s = c.string_at(i);
    plain += 4 + static_cast<int64_t>(s.size());
    const size_t before = views.size();
    const uint32_t id = table.find_or_insert(s, views);
    if (views.size() != before) {
      dict_bytes += 4 + static_cast<int64_t>(s.size());
      if (dict_bytes > page_limit) return false;
    }
    d.indices[static_cast<size_t>(k++)] = id;
    if (k == kDictionaryProbe && static_cast<int64_t>(views.size()) * 2 > k && k < valid) return false;
  }
  *plain_bytes = plain;
  return true;
}

}  // namespace

bool try_dictionary(const Column& c, const ParquetWriteOptions& o, const ChunkStats* stats, Dictionary& d) {
  const int64_t n = c.length();
  const int64_t valid = n - c.null_count();
  if (valid == 0 || c.type().id == TypeId::Bool) return false;
  if (d.indices.size() < static_cast<size_t>(valid)) d.indices.resize(static_cast<size_t>(valid));
  int64_t plain_bytes = 0;
  if (c.type().id == TypeId::String) {
    std::vector<std::string_view> views;
    bool too_long = false;
    bool ok = dictionary_short_strings(c, valid, o.dictionary_page_limit, d, views, &plain_bytes, &too_long);
    if (!ok && too_long) {
      views.clear();
      ok = dictionary_strings(c, valid, o.dictionary_page_limit, d, views, &plain_bytes);
    }
    if (!ok) return false;
    size_t bytes = 0;
    for (auto s : views) bytes += 4 + s.size();
    d.size = static_cast<uint32_t>(views.size());
    d.page.reserve(bytes);
    for (auto s : views) {
      put_u32(d.page, static_cast<uint32_t>(s.size()));
      d.page.append(s);
    }
  } else {
    const size_t w = c.type().byte_width();
    const int64_t max_entries = o.dictionary_page_limit / static_cast<int64_t>(w);
    thread_local std::vector<uint64_t> keys;
    keys.clear();
    bool ok;
    if (w == 4) {
      int64_t lo = 0;
      uint64_t range = kDirectRange + 1;
      if (stats != nullptr && stats->has_minmax) {
        int32_t a, b;
        std::memcpy(&a, stats->min.data(), 4);
        std::memcpy(&b, stats->max.data(), 4);
        lo = a;
        range = static_cast<uint64_t>(static_cast<int64_t>(b) - a);
      }
      if (range < kDirectRange)
        ok = dictionary_direct<int32_t>(c, lo, range, keys, d) && static_cast<int64_t>(keys.size()) <= max_entries;
      else
        ok = dictionary_hashed<uint32_t>(c, valid, max_entries, keys, d);
    } else {
      int64_t lo = 0;
      uint64_t range = kDirectRange + 1;
      if (stats != nullptr && stats->has_minmax && c.type().id != TypeId::Float64) {
        int64_t a, b;
        std::memcpy(&a, stats->min.data(), 8);
        std::memcpy(&b, stats->max.data(), 8);
        lo = a;
        range = static_cast<uint64_t>(b) - static_cast<uint64_t>(a);
      }
      if (range < kDirectRange)
        ok = dictionary_direct<int64_t>(c, lo, range, keys, d) && static_cast<int64_t>(keys.size()) <= max_entries;
      else
        ok = dictionary_hashed<uint64_t>(c, valid, max_entries, keys, d);
    }
    if (!ok) return false;
    plain_bytes = valid * static_cast<int64_t>(w);
    d.size = static_cast<uint32_t>(keys.size());
    d.page.resize(keys.size() * w);
    for (size_t j = 0; j < keys.size(); ++j) std::memcpy(d.page.data() + j * w, &keys[j], w);
  }
  const int bw = bit_width_for(d.size > 0 ? d.size - 1 : 0);
  const int64_t dict_cost = static_cast<int64_t>(d.page.size()) + valid * bw / 8 + 16;
  return dict_cost < plain_bytes * 3 / 4;
}

}  // namespace baton::parquet_detail
