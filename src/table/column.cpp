#include <baton/column.h>

#include <xxhash.h>
#include <xxh_x86dispatch.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <baton/column_builder.h>
#include "table/fingerprint_cache.h"
#include "table/time_format.h"

namespace baton {

std::string DataType::to_string() const {
  switch (id) {
    case TypeId::Int32: return "int32";
    case TypeId::Int64: return "int64";
    case TypeId::Float64: return "float64";
    case TypeId::Bool: return "bool";
    case TypeId::String: return "string";
    case TypeId::Timestamp: return utc ? "timestamp[us, UTC]" : "timestamp[us]";
    case TypeId::Date: return "date32[day]";
  }
  return "unknown";
}

int64_t count_set_bits(const uint8_t* bits, int64_t offset, int64_t length) {
  int64_t count = 0;
  int64_t i = offset, end = offset + length;
  while (i < end && (i & 63) != 0) count += bit_get(bits, i++);
  for (; i + 64 <= end; i += 64) {
    uint64_t w;
    std::memcpy(&w, bits + (i >> 3), 8);
    count += std::popcount(w);
  }
  while (i < end) count += bit_get(bits, i++);
  return count;
}

Column::Column() : fingerprint_(std::make_shared<detail::FingerprintCache>()) {}

Column Column::from_buffers(DataType type, int64_t length, Buffer validity, Buffer values, int64_t null_count) {
  if (type.id == TypeId::String)
    throw std::invalid_argument("Column::from_buffers: string columns need from_string_buffers");
  if (length < 0) throw std::invalid_argument("Column::from_buffers: negative length");
  size_t need = static_cast<size_t>(length) * type.byte_width();
  if (values.size() < need)
    throw std::invalid_argument("Column::from_buffers: " + type.to_string() + " values buffer of " +
                                std::to_string(values.size()) + " bytes is too small for " + std::to_string(length) +
                                " values");
  if (!validity.empty() && validity.size() < static_cast<size_t>((length + 7) / 8))
    throw std::invalid_argument("Column::from_buffers: validity bitmap too small for " + std::to_string(length) +
                                " values");
  Column c;
  c.type_ = type;
  c.length_ = length;
  c.validity_ = std::move(validity);
  c.values_ = std::move(values);
  c.null_count_ = null_count >= 0 ? null_count
                  : c.validity_.empty() ? 0
                                        : length - count_set_bits(c.validity_.data(), 0, length);
  if (c.null_count_ == 0) c.validity_ = Buffer();  // canonical: no bitmap when nothing is null
  return c;
}

Column Column::from_string_buffers(int64_t length, Buffer validity, Buffer offsets, Buffer data, int64_t null_count) {
  if (length < 0) throw std::invalid_argument("Column::from_string_buffers: negative length");
  if (offsets.size() < static_cast<size_t>(length + 1) * sizeof(int64_t))
    throw std::invalid_argument("Column::from_string_buffers: offsets buffer too small for " + std::to_string(length) +
                                " strings");
  const auto* o = offsets.as<int64_t>();
  if (o[0] < 0 || o[length] < o[0] || static_cast<size_t>(o[length]) > data.size())
    throw std::invalid_argument("Column::from_string_buffers: offsets [" + std::to_string(o[0]) + ", " +
                                std::to_string(o[length]) + "] exceed the data buffer of " +
                                std::to_string(data.size()) + " bytes");
  if (!validity.empty() && validity.size() < static_cast<size_t>((length + 7) / 8))
    throw std::invalid_argument("Column::from_string_buffers: validity bitmap too small");
  Column c;
  c.type_ = DataType::string();
  c.length_ = length;
  c.validity_ = std::move(validity);
  c.offsets_ = std::move(offsets);
  c.data_ = std::move(data);
  c.null_count_ = null_count >= 0 ? null_count
                  : c.validity_.empty() ? 0
                                        : length - count_set_bits(c.validity_.data(), 0, length);
  if (c.null_count_ == 0) c.validity_ = Buffer();
  return c;
}

Column Column::nulls(DataType type, int64_t length) {
  MutableBuffer bits;
  bits.resize_zeroed(static_cast<size_t>((length + 7) / 8));
  if (type.id == TypeId::String) {
    MutableBuffer offsets;
    offsets.resize_zeroed(static_cast<size_t>(length + 1) * sizeof(int64_t));
    return from_string_buffers(length, bits.finish(), offsets.finish(), Buffer(), length);
  }
  MutableBuffer values;
  values.resize_zeroed(static_cast<size_t>(length) * type.byte_width());
  return from_buffers(type, length, bits.finish(), values.finish(), length);
}

Column Column::slice(int64_t offset, int64_t length) const {
  offset = std::clamp<int64_t>(offset, 0, length_);
  length = std::clamp<int64_t>(length, 0, length_ - offset);
  Column c = *this;
  c.fingerprint_ = std::make_shared<detail::FingerprintCache>();
  c.offset_ = offset_ + offset;
  c.length_ = length;
  if (null_count_ == 0 || length == 0) {
    c.null_count_ = 0;
  } else if (length == length_) {
    c.null_count_ = null_count_;
  } else {
    c.null_count_ = length - count_set_bits(validity_.data(), c.offset_, length);
  }
  return c;
}

size_t Column::memory_usage() const {
  size_t bytes = validity_.empty() ? 0 : static_cast<size_t>((length_ + 7) / 8);
  if (type_.id == TypeId::String) {
    const int64_t* o = string_offsets();
    bytes += static_cast<size_t>(length_ + 1) * sizeof(int64_t) + static_cast<size_t>(o[length_] - o[0]);
  } else {
    bytes += static_cast<size_t>(length_) * type_.byte_width();
  }
  return bytes;
}

namespace {

std::string format_double(double v) {
  if (std::isnan(v)) return "NaN";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

std::string Column::format_value(int64_t i) const {
  if (is_null(i)) return "null";
  switch (type_.id) {
    case TypeId::Int32: return std::to_string(data<int32_t>()[i]);
    case TypeId::Int64: return std::to_string(data<int64_t>()[i]);
    case TypeId::Float64: return format_double(data<double>()[i]);
    case TypeId::Bool: return data<uint8_t>()[i] ? "true" : "false";
    case TypeId::String: return std::string(string_at(i));
    case TypeId::Timestamp: return detail::format_timestamp(data<int64_t>()[i], type_.utc);
    case TypeId::Date: return detail::format_date(data<int32_t>()[i]);
  }
  return "?";
}

std::string Column::Fingerprint::hex() const {
  char buf[33];
  static const char* digits = "0123456789abcdef";
  for (int k = 0; k < 16; ++k) {
    buf[k] = digits[(high >> (60 - 4 * k)) & 15];
    buf[16 + k] = digits[(low >> (60 - 4 * k)) & 15];
  }
  buf[32] = 0;
  return buf;
}

namespace {

// Hashes what a column means, not how it is laid out: type, length, which slots
// are null and the valid values. Null slots contribute a fixed marker, so slot
// garbage and slice offsets do not change the result.
Column::Fingerprint compute_fingerprint(const Column& c) {
  XXH3_state_t* st = XXH3_createState();
  if (st == nullptr) throw std::bad_alloc();
  XXH3_128bits_reset(st);
  const DataType t = c.type();
  int64_t header[4] = {static_cast<int64_t>(t.id), t.utc ? 1 : 0, c.length(), c.null_count()};
  XXH3_128bits_update(st, header, sizeof header);
  const int64_t n = c.length();
  constexpr int64_t kChunk = 8192;
  if (t.id == TypeId::String) {
    std::vector<int64_t> lengths(static_cast<size_t>(std::min(n, kChunk)));
    std::vector<char> bytes;
    const int64_t* o = c.string_offsets();
    for (int64_t start = 0; start < n; start += kChunk) {
      int64_t m = std::min(kChunk, n - start);
      bytes.clear();
      for (int64_t k = 0; k < m; ++k) {
        int64_t i = start + k;
        if (c.is_valid(i)) {
          lengths[static_cast<size_t>(k)] = o[i + 1] - o[i];
          if (c.has_nulls()) bytes.insert(bytes.end(), c.string_data() + o[i], c.string_data() + o[i + 1]);
        } else {
          lengths[static_cast<size_t>(k)] = -1;
        }
      }
      XXH3_128bits_update(st, lengths.data(), static_cast<size_t>(m) * sizeof(int64_t));
      if (c.has_nulls()) {
        XXH3_128bits_update(st, bytes.data(), bytes.size());
      } else {
        XXH3_128bits_update(st, c.string_data() + o[start], static_cast<size_t>(o[start + m] - o[start]));
      }
    }
  } else {
    const size_t w = t.byte_width();
    const auto* values = c.values().data() + static_cast<size_t>(c.offset()) * w;
    if (!c.has_nulls()) {
      XXH3_128bits_update(st, values, static_cast<size_t>(n) * w);
    } else {
      std::vector<uint8_t> scratch(static_cast<size_t>(std::min(n, kChunk)) * (w + 1));
      for (int64_t start = 0; start < n; start += kChunk) {
        int64_t m = std::min(kChunk, n - start);
        uint8_t* vals = scratch.data();
        uint8_t* flags = scratch.data() + static_cast<size_t>(m) * w;
        std::memcpy(vals, values + static_cast<size_t>(start) * w, static_cast<size_t>(m) * w);
        for (int64_t k = 0; k < m; ++k) {
          bool valid = c.is_valid(start + k);
          flags[k] = valid;
          if (!valid) std::memset(vals + static_cast<size_t>(k) * w, 0, w);
        }
        XXH3_128bits_update(st, scratch.data(), static_cast<size_t>(m) * (w + 1));
      }
    }
  }
  XXH128_hash_t h = XXH3_128bits_digest(st);
  XXH3_freeState(st);
  return {h.high64, h.low64};
}

}  // namespace

Column::Fingerprint Column::fingerprint() const {
  return fingerprint_->get([this] { return compute_fingerprint(*this); });
}

bool Column::equals(const Column& other) const {
  if (!(type_ == other.type_) || length_ != other.length_ || null_count_ != other.null_count_) return false;
  for (int64_t i = 0; i < length_; ++i) {
    bool v = is_valid(i);
    if (v != other.is_valid(i)) return false;
    if (!v) continue;
    switch (type_.id) {
      case TypeId::Int32: case TypeId::Date:
        if (data<int32_t>()[i] != other.data<int32_t>()[i]) return false;
        break;
      case TypeId::Int64: case TypeId::Timestamp:
        if (data<int64_t>()[i] != other.data<int64_t>()[i]) return false;
        break;
      case TypeId::Float64: {
        double a = data<double>()[i], b = other.data<double>()[i];
        if (!(a == b || (std::isnan(a) && std::isnan(b)))) return false;
        break;
      }
      case TypeId::Bool:
        if ((data<uint8_t>()[i] != 0) != (other.data<uint8_t>()[i] != 0)) return false;
        break;
      case TypeId::String:
        if (string_at(i) != other.string_at(i)) return false;
        break;
    }
  }
  return true;
}

// ValidityBuilder (column_builder.h)

void ValidityBuilder::materialize() {
  if (bits_.size()) return;
  int64_t cap = std::max(capacity_hint_, length_ + 1);
  bits_.reserve(static_cast<size_t>((cap + 7) / 8));
  bits_.resize(static_cast<size_t>((length_ + 7) / 8 + 1));
  std::memset(bits_.data(), 0xff, bits_.size());
}

void ValidityBuilder::grow(int64_t bits) {
  size_t need = static_cast<size_t>((bits + 7) / 8);
  if (need > bits_.size()) bits_.resize_zeroed(need);
}

Buffer ValidityBuilder::finish() {
  if (null_count_ == 0) {
    bits_ = MutableBuffer();
    length_ = 0;
    return Buffer();
  }
  length_ = null_count_ = 0;
  return bits_.finish();
}

}  // namespace baton
