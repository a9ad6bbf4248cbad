// Hash group-by: one pass assigns each row a group id (a flat hash of the key
// values), then each aggregation is one pass over contiguous values into
// per-group accumulators.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <baton/table.h>
#include "table/bitmap_util.h"
#include "table/take.h"

namespace baton {
namespace {

// Three-way comparison of row i of c with row j of c; nulls sort last.
int compare_rows(const Column& c, int64_t i, int64_t j) {
  bool vi = c.is_valid(i), vj = c.is_valid(j);
  if (!vi || !vj) return vi == vj ? 0 : (vi ? -1 : 1);
  switch (c.type().id) {
    case TypeId::Int32: case TypeId::Date: {
      auto a = c.data<int32_t>()[i], b = c.data<int32_t>()[j];
      return a < b ? -1 : a > b ? 1 : 0;
    }
    case TypeId::Int64: case TypeId::Timestamp: {
      auto a = c.data<int64_t>()[i], b = c.data<int64_t>()[j];
      return a < b ? -1 : a > b ? 1 : 0;
    }
    case TypeId::Float64: {
      double a = c.data<double>()[i], b = c.data<double>()[j];
      if (std::isnan(a) || std::isnan(b)) return std::isnan(a) == std::isnan(b) ? 0 : (std::isnan(a) ? 1 : -1);
      return a < b ? -1 : a > b ? 1 : 0;
    }
    case TypeId::Bool: return static_cast<int>(c.data<uint8_t>()[i] != 0) - static_cast<int>(c.data<uint8_t>()[j] != 0);
    case TypeId::String: {
      int r = c.string_at(i).compare(c.string_at(j));
      return r < 0 ? -1 : r > 0 ? 1 : 0;
    }
  }
  return 0;
}

// Appends the bytes that identify row i's key value (with a null marker).
void append_key(const Column& c, int64_t i, std::string& key) {
  if (c.is_null(i)) {
    key.push_back('\0');
    return;
  }
  key.push_back('\1');
  if (c.type().id == TypeId::String) {
    std::string_view s = c.string_at(i);
    uint64_t len = s.size();
    key.append(reinterpret_cast<const char*>(&len), sizeof len);
    key.append(s);
  } else if (c.type().id == TypeId::Float64) {
    double v = c.data<double>()[i];
    if (v == 0) v = 0;                                         // -0.0 and 0.0 are one group
    if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();  // all NaNs are one group
    key.append(reinterpret_cast<const char*>(&v), sizeof v);
  } else {
    size_t w = c.type().byte_width();
    key.append(reinterpret_cast<const char*>(c.values().data()) + static_cast<size_t>(c.offset() + i) * w, w);
  }
}

// Fixed-width integer-like key read as int64 (int32, int64, date, timestamp, bool).
bool int_like(const DataType& t) { return t.id != TypeId::Float64 && t.id != TypeId::String; }
int64_t int_value(const Column& c, int64_t i) {
  switch (c.type().byte_width()) {
    case 1: return c.data<uint8_t>()[i];
    case 4: return c.data<int32_t>()[i];
    default: return c.data<int64_t>()[i];
  }
}

std::string agg_label(AggKind k) {
  switch (k) {
    case AggKind::Count: return "count";
    case AggKind::Sum: return "sum";
    case AggKind::Mean: return "mean";
    case AggKind::Min: return "min";
    case AggKind::Max: return "max";
  }
  return "agg";
}

template <class T>
Column minmax_fixed(const Column& c, const std::vector<int32_t>& gid, size_t groups, bool is_max) {
  std::vector<T> best(groups);
  std::vector<uint8_t> has(groups, 0);
  const T* v = c.data<T>();
  for (int64_t i = 0; i < c.length(); ++i) {
    if (c.is_null(i)) continue;
    T x = v[i];
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(x)) continue;  // pandas skips NaN in min/max
    }
    size_t g = static_cast<size_t>(gid[static_cast<size_t>(i)]);
    if (!has[g] || (is_max ? x > best[g] : x < best[g])) best[g] = x;
    has[g] = 1;
  }
  MutableBuffer out(groups * sizeof(T));
  std::memcpy(out.data(), best.data(), groups * sizeof(T));
  int64_t nulls = 0;
  Buffer validity = detail::bitmap_from_mask(has.data(), static_cast<int64_t>(groups), &nulls);
  return Column::from_buffers(c.type(), static_cast<int64_t>(groups), std::move(validity), out.finish(), nulls);
}

Column minmax_string(const Column& c, const std::vector<int32_t>& gid, size_t groups, bool is_max) {
  std::vector<std::string_view> best(groups);
  std::vector<uint8_t> has(groups, 0);
  for (int64_t i = 0; i < c.length(); ++i) {
    if (c.is_null(i)) continue;
    std::string_view x = c.string_at(i);
    size_t g = static_cast<size_t>(gid[static_cast<size_t>(i)]);
    if (!has[g] || (is_max ? x > best[g] : x < best[g])) best[g] = x;
    has[g] = 1;
  }
  StringColumnBuilder b;
  for (size_t g = 0; g < groups; ++g) {
    if (has[g]) b.append(best[g]);
    else b.append_null();
  }
  return b.finish();
}

}  // namespace

GroupBy::GroupBy(Table table, std::vector<std::string> keys) : table_(std::move(table)), keys_(std::move(keys)) {
  if (keys_.empty()) throw std::invalid_argument("group_by: no key columns given");
  for (const auto& k : keys_) (void)table_.column(k);  // throws naming an unknown key
}

Table GroupBy::agg(const std::vector<Aggregation>& aggregations) const {
  const int64_t n = table_.num_rows();
  std::vector<Column> keys;
  for (const auto& k : keys_) keys.push_back(table_.column(k));

  // 1. Group ids in order of first appearance.
  std::vector<int32_t> gid(static_cast<size_t>(n));
  std::vector<int64_t> first_row;
  if (keys.size() == 1 && int_like(keys[0].type())) {
    const Column& k = keys[0];
    std::unordered_map<int64_t, int32_t> ids;
    int32_t null_id = -1;
    for (int64_t i = 0; i < n; ++i) {
      int32_t id;
      if (k.is_null(i)) {
        if (null_id < 0) {
          null_id = static_cast<int32_t>(first_row.size());
          first_row.push_back(i);
        }
        id = null_id;
      } else {
        auto [it, inserted] = ids.try_emplace(int_value(k, i), static_cast<int32_t>(first_row.size()));
        if (inserted) first_row.push_back(i);
        id = it->second;
      }
      gid[static_cast<size_t>(i)] = id;
    }
  } else {
    std::unordered_map<std::string, int32_t> ids;
    std::string key;
    for (int64_t i = 0; i < n; ++i) {
      key.clear();
      for (const auto& k : keys) append_key(k, i, key);
      auto [it, inserted] = ids.try_emplace(key, static_cast<int32_t>(first_row.size()));
      if (inserted) first_row.push_back(i);
      gid[static_cast<size_t>(i)] = it->second;
    }
  }
  const size_t groups = first_row.size();

  // 2. Sort the groups by key, nulls last; renumber the rows' group ids.
  std::vector<int32_t> order(groups);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    for (const auto& k : keys) {
      int c = compare_rows(k, first_row[static_cast<size_t>(a)], first_row[static_cast<size_t>(b)]);
      if (c != 0) return c < 0;
    }
    return false;
  });
  std::vector<int32_t> rank(groups);
  std::vector<int64_t> sorted_first(groups);
  for (size_t r = 0; r < groups; ++r) {
    rank[static_cast<size_t>(order[r])] = static_cast<int32_t>(r);
    sorted_first[r] = first_row[static_cast<size_t>(order[r])];
  }
  for (auto& g : gid) g = rank[static_cast<size_t>(g)];

  std::vector<std::string> names = keys_;
  std::vector<Column> cols;
  for (const auto& k : keys) cols.push_back(detail::take_column(k, sorted_first.data(), static_cast<int64_t>(groups)));

  // 3. One pass per aggregation.
  for (const auto& a : aggregations) {
    std::string name = !a.name.empty() ? a.name : a.column.empty() ? "count" : agg_label(a.kind) + "_" + a.column;
    if (a.column.empty()) {
      if (a.kind != AggKind::Count) throw std::invalid_argument("group_by: " + agg_label(a.kind) + " needs a column");
      ColumnBuilder<int64_t> b;
      int64_t* counts = b.extend(static_cast<int64_t>(groups));
      std::fill(counts, counts + groups, 0);
      for (int64_t i = 0; i < n; ++i) ++counts[gid[static_cast<size_t>(i)]];
      names.push_back(name);
      cols.push_back(b.finish());
      continue;
    }
    const Column& c = table_.column(a.column);
    const DataType t = c.type();
    Column out;
    if (a.kind == AggKind::Count) {
      ColumnBuilder<int64_t> b;
      int64_t* counts = b.extend(static_cast<int64_t>(groups));
      std::fill(counts, counts + groups, 0);
      for (int64_t i = 0; i < n; ++i) counts[gid[static_cast<size_t>(i)]] += c.is_valid(i);
      out = b.finish();
    } else if (a.kind == AggKind::Sum || a.kind == AggKind::Mean) {
      if (!t.is_numeric() && t.id != TypeId::Bool)
        throw std::invalid_argument("group_by: cannot " + agg_label(a.kind) + " column '" + a.column + "' of type " +
                                    t.to_string());
      std::vector<double> fsum(groups, 0.0);
      std::vector<uint64_t> isum(groups, 0);  // wraps like int64 arithmetic
      std::vector<int64_t> cnt(groups, 0);
      std::vector<uint8_t> mask(static_cast<size_t>(n));
      detail::valid_mask(c, 0, n, mask.data());
      for (int64_t i = 0; i < n; ++i) {
        if (!mask[static_cast<size_t>(i)]) continue;
        size_t g = static_cast<size_t>(gid[static_cast<size_t>(i)]);
        if (t.id == TypeId::Float64) {
          double v = c.data<double>()[i];
          if (std::isnan(v)) continue;  // missing, as pandas counts it (skipna)
          fsum[g] += v;
        } else {
          isum[g] += static_cast<uint64_t>(int_value(c, i));
        }
        ++cnt[g];
      }
      if (a.kind == AggKind::Sum && t.id != TypeId::Float64) {
        ColumnBuilder<int64_t> b;
        for (size_t g = 0; g < groups; ++g) b.append(static_cast<int64_t>(isum[g]));
        out = b.finish();
      } else {
        ColumnBuilder<double> b;
        for (size_t g = 0; g < groups; ++g) {
          double s = t.id == TypeId::Float64 ? fsum[g] : static_cast<double>(static_cast<int64_t>(isum[g]));
          if (a.kind == AggKind::Sum) b.append(s);
          else if (cnt[g] == 0) b.append_null();
          else b.append(s / static_cast<double>(cnt[g]));
        }
        out = b.finish();
      }
    } else {
      bool is_max = a.kind == AggKind::Max;
      switch (t.id) {
        case TypeId::Int32: case TypeId::Date: out = minmax_fixed<int32_t>(c, gid, groups, is_max); break;
        case TypeId::Int64: case TypeId::Timestamp: out = minmax_fixed<int64_t>(c, gid, groups, is_max); break;
        case TypeId::Float64: out = minmax_fixed<double>(c, gid, groups, is_max); break;
        case TypeId::Bool: out = minmax_fixed<uint8_t>(c, gid, groups, is_max); break;
        case TypeId::String: out = minmax_string(c, gid, groups, is_max); break;
      }
    }
    names.push_back(name);
    cols.push_back(std::move(out));
  }
  return Table(std::move(names), std::move(cols));
}

}  // namespace baton
