#include <baton/table.h>

#include <xxhash.h>
#include <xxh_x86dispatch.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include "table/bitmap_util.h"
#include "table/fingerprint_cache.h"
#include "table/take.h"

namespace baton {

namespace detail {

Column take_column(const Column& c, const int64_t* idx, int64_t n, const uint8_t* idx_valid) {
  // Validity: gathered bits, and null where the index is null.
  std::vector<uint8_t> mask;
  bool any_null = c.has_nulls() || idx_valid != nullptr;
  if (any_null) {
    mask.resize(static_cast<size_t>(n));
    const uint8_t* bits = c.validity_bits();
    const int64_t off = c.validity_offset();
    for (int64_t k = 0; k < n; ++k) {
      bool ok = idx_valid == nullptr || idx_valid[k];
      mask[static_cast<size_t>(k)] = ok && (bits == nullptr || bit_get(bits, off + (ok ? idx[k] : 0)));
    }
  }
  int64_t nulls = 0;
  Buffer validity = any_null ? bitmap_from_mask(mask.data(), n, &nulls) : Buffer();
  auto index = [&](int64_t k) { return idx_valid == nullptr || idx_valid[k] ? idx[k] : 0; };
  if (c.type().id == TypeId::String) {
    const int64_t* o = c.string_offsets();
    MutableBuffer offsets(static_cast<size_t>(n + 1) * sizeof(int64_t));
    int64_t* out_o = offsets.as<int64_t>();
    int64_t total = 0;
    out_o[0] = 0;
    for (int64_t k = 0; k < n; ++k) {
      int64_t i = index(k);
      bool keep = !any_null || mask[static_cast<size_t>(k)];
      total += keep ? o[i + 1] - o[i] : 0;
      out_o[k + 1] = total;
    }
    MutableBuffer data(static_cast<size_t>(total));
    char* d = reinterpret_cast<char*>(data.data());
    for (int64_t k = 0; k < n; ++k) {
      int64_t len = out_o[k + 1] - out_o[k];
      if (len) std::memcpy(d + out_o[k], c.string_data() + o[index(k)], static_cast<size_t>(len));
    }
    return Column::from_string_buffers(n, std::move(validity), offsets.finish(), data.finish(), nulls);
  }
  const size_t w = c.type().byte_width();
  MutableBuffer values(static_cast<size_t>(n) * w);
  auto gather = [&](auto* out, const auto* in) {
    if (idx_valid == nullptr) {
      for (int64_t k = 0; k < n; ++k) out[k] = in[idx[k]];
    } else {
      for (int64_t k = 0; k < n; ++k) out[k] = in[index(k)];
    }
  };
  switch (w) {
    case 1: gather(values.data(), c.data<uint8_t>()); break;
    case 4: gather(values.as<int32_t>(), c.data<int32_t>()); break;
    default: gather(values.as<int64_t>(), c.data<int64_t>()); break;
  }
  return Column::from_buffers(c.type(), n, std::move(validity), values.finish(), nulls);
}

}  // namespace detail

Table::Table(std::vector<std::string> names, std::vector<Column> columns)
    : names_(std::move(names)), columns_(std::move(columns)),
      fingerprint_(std::make_shared<detail::FingerprintCache>()) {
  if (names_.size() != columns_.size())
    throw std::invalid_argument("Table: " + std::to_string(names_.size()) + " names for " +
                                std::to_string(columns_.size()) + " columns");
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < names_.size(); ++i) {
    if (!seen.insert(names_[i]).second) throw std::invalid_argument("Table: duplicate column name '" + names_[i] + "'");
    if (i == 0) num_rows_ = columns_[0].length();
    else if (columns_[i].length() != num_rows_)
      throw std::invalid_argument("Table: column '" + names_[i] + "' has " + std::to_string(columns_[i].length()) +
                                  " rows, column '" + names_[0] + "' has " + std::to_string(num_rows_));
  }
}

int Table::column_index(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return static_cast<int>(i);
  return -1;
}

const Column& Table::column(std::string_view name) const {
  int i = column_index(name);
  if (i < 0) {
    std::string known;
    for (const auto& n : names_) known += (known.empty() ? "" : ", ") + n;
    throw std::out_of_range("Table: no column named '" + std::string(name) + "' (columns: " + known + ")");
  }
  return columns_[static_cast<size_t>(i)];
}

Table Table::with_column(std::string name, Column column) const {
  if (!columns_.empty() && column.length() != num_rows_)
    throw std::invalid_argument("with_column: column '" + name + "' has " + std::to_string(column.length()) +
                                " rows, the table has " + std::to_string(num_rows_));
  std::vector<std::string> names = names_;
  std::vector<Column> cols = columns_;
  int i = column_index(name);
  if (i >= 0) {
    cols[static_cast<size_t>(i)] = std::move(column);
  } else {
    names.push_back(std::move(name));
    cols.push_back(std::move(column));
  }
  return Table(std::move(names), std::move(cols));
}

Table Table::select(const std::vector<std::string>& names) const {
  std::vector<Column> cols;
  cols.reserve(names.size());
  for (const auto& n : names) cols.push_back(column(n));
  Table t(names, std::move(cols));
  if (names.empty()) t.num_rows_ = num_rows_;
  return t;
}

Table Table::slice(int64_t offset, int64_t length) const {
  std::vector<Column> cols;
  cols.reserve(columns_.size());
  for (const auto& c : columns_) cols.push_back(c.slice(offset, length));
  Table t(names_, std::move(cols));
  if (columns_.empty()) t.num_rows_ = 0;
  return t;
}

Table Table::filter(const Column& mask) const {
  if (mask.type().id != TypeId::Bool)
    throw std::invalid_argument("filter: the mask must be a bool column, not " + mask.type().to_string());
  if (mask.length() != num_rows_)
    throw std::invalid_argument("filter: the mask has " + std::to_string(mask.length()) + " rows, the table has " +
                                std::to_string(num_rows_));
  const int64_t n = num_rows_;
  std::vector<int64_t> idx(static_cast<size_t>(n));
  const uint8_t* m = mask.data<uint8_t>();
  int64_t k = 0;
  constexpr int64_t kChunk = 4096;
  uint8_t valid[kChunk];
  for (int64_t start = 0; start < n; start += kChunk) {
    int64_t len = std::min(kChunk, n - start);
    detail::valid_mask(mask, start, len, valid);
    for (int64_t j = 0; j < len; ++j) {  // branch-free compaction
      idx[static_cast<size_t>(k)] = start + j;
      k += (m[start + j] != 0) & valid[j];
    }
  }
  if (k == n) return *this;
  std::vector<Column> cols;
  cols.reserve(columns_.size());
  for (const auto& c : columns_) cols.push_back(detail::take_column(c, idx.data(), k));
  Table t(names_, std::move(cols));
  return t;
}

Table Table::take(const Column& indices) const {
  if (!indices.type().is_integer())
    throw std::invalid_argument("take: indices must be int32 or int64, not " + indices.type().to_string());
  const int64_t n = indices.length();
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::vector<uint8_t> valid;
  if (indices.has_nulls()) {
    valid.resize(static_cast<size_t>(n));
    detail::valid_mask(indices, 0, n, valid.data());
  }
  for (int64_t k = 0; k < n; ++k) {
    int64_t i = indices.type().id == TypeId::Int32 ? indices.data<int32_t>()[k] : indices.data<int64_t>()[k];
    if (!valid.empty() && !valid[static_cast<size_t>(k)]) i = 0;
    if (i < 0 || i >= num_rows_)
      throw std::out_of_range("take: index " + std::to_string(i) + " at position " + std::to_string(k) +
                              " is out of range for " + std::to_string(num_rows_) + " rows");
    idx[static_cast<size_t>(k)] = i;
  }
  std::vector<Column> cols;
  cols.reserve(columns_.size());
  for (const auto& c : columns_)
    cols.push_back(detail::take_column(c, idx.data(), n, valid.empty() ? nullptr : valid.data()));
  Table t(names_, std::move(cols));
  if (columns_.empty()) t.num_rows_ = n;
  return t;
}

GroupBy Table::group_by(std::vector<std::string> keys) const { return GroupBy(*this, std::move(keys)); }

size_t Table::memory_usage() const {
  size_t bytes = 0;
  for (const auto& c : columns_) bytes += c.memory_usage();
  return bytes;
}

namespace {

// pandas' _sizeof_fmt: "%3.1f%s" with 1024 steps.
std::string size_text(double num) {
  const char* units[] = {"bytes", "KB", "MB", "GB", "TB"};
  for (const char* u : units) {
    if (num < 1024.0) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%3.1f %s", num, u);
      return buf;
    }
    num /= 1024.0;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%3.1f PB", num);
  return buf;
}

std::string pad_right(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }
std::string pad_left(const std::string& s, size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }

}  // namespace

std::string Table::info() const {
  std::ostringstream out;
  out << "<class 'baton.Table'>\n";
  if (num_rows_ == 0) out << "RangeIndex: 0 entries\n";
  else out << "RangeIndex: " << num_rows_ << " entries, 0 to " << num_rows_ - 1 << "\n";
  if (columns_.empty()) {
    out << "Empty Table\n";
    return out.str();
  }
  out << "Data columns (total " << columns_.size() << " columns):\n";
  std::vector<std::string> idx, counts, types;
  size_t wi = 1, wn = 6, wc = 14, wt = 5;
  for (size_t i = 0; i < columns_.size(); ++i) {
    idx.push_back(std::to_string(i));
    counts.push_back(std::to_string(columns_[i].length() - columns_[i].null_count()) + " non-null");
    types.push_back(columns_[i].type().to_string());
    wi = std::max(wi, idx.back().size());
    wn = std::max(wn, names_[i].size());
    wc = std::max(wc, counts.back().size());
    wt = std::max(wt, types.back().size());
  }
  wi = std::max<size_t>(wi + 1, 3);  // pandas: " 0   VendorID", " 18  Airport_fee"
  out << " " << pad_right("#", wi) << " " << pad_right("Column", wn) << "  " << pad_right("Non-Null Count", wc) << "  "
      << "Dtype\n";
  out << pad_right("---", wi + 1) << " " << pad_right("------", wn) << "  " << pad_right("--------------", wc) << "  "
      << "-----\n";
  for (size_t i = 0; i < columns_.size(); ++i)
    out << " " << pad_right(idx[i], wi) << " " << pad_right(names_[i], wn) << "  " << pad_right(counts[i], wc) << "  "
        << types[i] << "\n";
  std::map<std::string, int> dtype_counts;
  for (const auto& t : types) ++dtype_counts[t];
  out << "dtypes: ";
  bool first = true;
  for (const auto& [t, c] : dtype_counts) {
    out << (first ? "" : ", ") << t << "(" << c << ")";
    first = false;
  }
  out << "\nmemory usage: " << size_text(static_cast<double>(memory_usage())) << "\n";
  return out.str();
}

std::string Table::head(int64_t n) const {
  n = std::clamp<int64_t>(n, 0, num_rows_);
  constexpr size_t kMaxCell = 40;
  std::vector<std::vector<std::string>> cells(columns_.size() + 1);
  std::vector<size_t> widths(columns_.size() + 1, 0);
  for (int64_t r = 0; r < n; ++r) {
    cells[0].push_back(std::to_string(r));
    widths[0] = std::max(widths[0], cells[0].back().size());
  }
  for (size_t c = 0; c < columns_.size(); ++c) {
    widths[c + 1] = names_[c].size();
    for (int64_t r = 0; r < n; ++r) {
      std::string v = columns_[c].format_value(r);
      if (v.size() > kMaxCell) v = v.substr(0, kMaxCell - 3) + "...";
      widths[c + 1] = std::max(widths[c + 1], v.size());
      cells[c + 1].push_back(std::move(v));
    }
  }
  std::ostringstream out;
  out << std::string(widths[0], ' ');
  for (size_t c = 0; c < columns_.size(); ++c) out << "  " << pad_left(names_[c], widths[c + 1]);
  out << "\n";
  for (int64_t r = 0; r < n; ++r) {
    out << pad_left(cells[0][static_cast<size_t>(r)], widths[0]);
    for (size_t c = 0; c < columns_.size(); ++c)
      out << "  " << pad_left(cells[c + 1][static_cast<size_t>(r)], widths[c + 1]);
    out << "\n";
  }
  out << "[" << n << " of " << num_rows_ << " rows x " << columns_.size() << " columns]\n";
  return out.str();
}

Column::Fingerprint Table::fingerprint() const {
  auto compute = [this] {
    XXH3_state_t* st = XXH3_createState();
    XXH3_128bits_reset(st);
    int64_t header[2] = {num_rows_, static_cast<int64_t>(columns_.size())};
    XXH3_128bits_update(st, header, sizeof header);
    for (size_t i = 0; i < columns_.size(); ++i) {
      uint64_t len = names_[i].size();
      XXH3_128bits_update(st, &len, sizeof len);
      XXH3_128bits_update(st, names_[i].data(), names_[i].size());
      Column::Fingerprint f = columns_[i].fingerprint();
      uint64_t words[2] = {f.high, f.low};
      XXH3_128bits_update(st, words, sizeof words);
    }
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    return Column::Fingerprint{h.high64, h.low64};
  };
  if (!fingerprint_) return compute();  // default-constructed empty table
  return fingerprint_->get(compute);
}

bool Table::equals(const Table& other) const {
  if (names_ != other.names_ || num_rows_ != other.num_rows_) return false;
  for (size_t i = 0; i < columns_.size(); ++i)
    if (!columns_[i].equals(other.columns_[i])) return false;
  return true;
}

}  // namespace baton
