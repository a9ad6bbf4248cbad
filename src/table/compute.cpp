// Element-wise kernels. Each is a plain loop over contiguous buffers with
// __restrict pointers and no branches on validity (nulls are resolved on the
// bitmaps separately), so the compiler vectorizes them (the table library is
// built with -O3).
#include <baton/compute.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "table/bitmap_util.h"

namespace baton {
namespace {

const char* op_name(ArithOp op) {
  switch (op) {
    case ArithOp::Add: return "+";
    case ArithOp::Subtract: return "-";
    case ArithOp::Multiply: return "*";
    case ArithOp::Divide: return "/";
  }
  return "?";
}

[[noreturn]] void type_error(const std::string& what, const DataType& a, const std::string& b) {
  throw std::invalid_argument(what + ": unsupported operand types " + a.to_string() + " and " + b);
}

void check_lengths(const char* what, const Column& a, const Column& b) {
  if (a.length() != b.length())
    throw std::invalid_argument(std::string(what) + ": columns differ in length (" + std::to_string(a.length()) +
                                " vs " + std::to_string(b.length()) + ")");
}

template <class T>
struct Arr {
  const T* __restrict p;
  T operator[](int64_t i) const { return p[i]; }
};
template <class T>
struct Const {
  T v;
  T operator[](int64_t) const { return v; }
};

// Calls f(Arr<T>) with T the storage type of a numeric (or temporal) column.
template <class F>
void visit_numeric(const Column& c, F&& f) {
  switch (c.type().id) {
    case TypeId::Int32: case TypeId::Date: f(Arr<int32_t>{c.data<int32_t>()}); return;
    case TypeId::Int64: case TypeId::Timestamp: f(Arr<int64_t>{c.data<int64_t>()}); return;
    case TypeId::Float64: f(Arr<double>{c.data<double>()}); return;
    case TypeId::Bool: f(Arr<uint8_t>{c.data<uint8_t>()}); return;
    case TypeId::String: break;
  }
  throw std::logic_error("visit_numeric on a string column");
}

template <class F>
void visit_scalar(const Scalar& s, F&& f) {
  if (s.kind == Scalar::Kind::Float) f(Const<double>{s.f});
  else f(Const<int64_t>{s.i});
}

template <class R, class T>
R wrap_cast(T v) {
  return static_cast<R>(v);
}

// out[i] = a[i] op b[i] computed in R. Integer + - * are done in the unsigned
// type so that overflow wraps instead of being undefined.
template <class R, class A, class B>
void arith_loop(ArithOp op, A a, B b, R* __restrict out, int64_t n) {
  if constexpr (std::is_integral_v<R>) {
    using U = std::make_unsigned_t<R>;
    switch (op) {
      case ArithOp::Add:
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<R>(static_cast<U>(static_cast<R>(a[i])) + static_cast<U>(static_cast<R>(b[i])));
        return;
      case ArithOp::Subtract:
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<R>(static_cast<U>(static_cast<R>(a[i])) - static_cast<U>(static_cast<R>(b[i])));
        return;
      case ArithOp::Multiply:
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<R>(static_cast<U>(static_cast<R>(a[i])) * static_cast<U>(static_cast<R>(b[i])));
        return;
      case ArithOp::Divide: break;
    }
    throw std::logic_error("integer division goes through float64");
  } else {
    switch (op) {
      case ArithOp::Add: for (int64_t i = 0; i < n; ++i) out[i] = static_cast<R>(a[i]) + static_cast<R>(b[i]); return;
      case ArithOp::Subtract: for (int64_t i = 0; i < n; ++i) out[i] = static_cast<R>(a[i]) - static_cast<R>(b[i]); return;
      case ArithOp::Multiply: for (int64_t i = 0; i < n; ++i) out[i] = static_cast<R>(a[i]) * static_cast<R>(b[i]); return;
      case ArithOp::Divide: for (int64_t i = 0; i < n; ++i) out[i] = static_cast<R>(a[i]) / static_cast<R>(b[i]); return;
    }
  }
}

template <class T> constexpr int rank_of() { return std::is_same_v<T, double> ? 2 : std::is_same_v<T, int64_t> ? 1 : 0; }

DataType numeric_result(ArithOp op, int ra, int rb) {
  if (op == ArithOp::Divide) return DataType::float64();
  int r = std::max(ra, rb);
  return r == 2 ? DataType::float64() : r == 1 ? DataType::int64() : DataType::int32();
}

// Result type of an arithmetic op, or throws; handles timestamps.
DataType result_type(ArithOp op, const DataType& a, const DataType& b, const std::string& b_desc) {
  auto rank = [](const DataType& t) { return t.id == TypeId::Float64 ? 2 : t.id == TypeId::Int64 ? 1 : 0; };
  if (a.is_numeric() && b.is_numeric()) return numeric_result(op, rank(a), rank(b));
  if (a.id == TypeId::Timestamp && b.id == TypeId::Timestamp && op == ArithOp::Subtract) return DataType::int64();
  if (a.id == TypeId::Timestamp && b.is_integer() && (op == ArithOp::Add || op == ArithOp::Subtract)) return a;
  if (b.id == TypeId::Timestamp && a.is_integer() && op == ArithOp::Add) return b;
  type_error(std::string("operator ") + op_name(op), a, b_desc);
}

template <class A, class B>
Column run_arith(ArithOp op, DataType rt, A a, B b, int64_t n, Buffer validity, int64_t nulls) {
  if (rt.id == TypeId::Float64) {
    MutableBuffer out(static_cast<size_t>(n) * 8);
    arith_loop<double>(op, a, b, out.as<double>(), n);
    return Column::from_buffers(rt, n, std::move(validity), out.finish(), nulls);
  }
  if (rt.byte_width() == 8) {
    MutableBuffer out(static_cast<size_t>(n) * 8);
    arith_loop<int64_t>(op, a, b, out.as<int64_t>(), n);
    return Column::from_buffers(rt, n, std::move(validity), out.finish(), nulls);
  }
  MutableBuffer out(static_cast<size_t>(n) * 4);
  arith_loop<int32_t>(op, a, b, out.as<int32_t>(), n);
  return Column::from_buffers(rt, n, std::move(validity), out.finish(), nulls);
}

DataType scalar_type(const Scalar& s) {
  return s.kind == Scalar::Kind::Float ? DataType::float64() : DataType::int64();
}

void check_numeric_scalar(const char* what, const DataType& col, const Scalar& s) {
  if (s.kind == Scalar::Kind::String || s.kind == Scalar::Kind::Bool)
    type_error(what, col, s.kind == Scalar::Kind::String ? "a string scalar" : "a bool scalar");
}

// An int64 scalar keeps an int32 column int32 when it fits (pandas-like:
// int32 column + 1 stays int32).
DataType effective_scalar_type(const Scalar& s, const DataType& col) {
  if (s.kind == Scalar::Kind::Int && col.id == TypeId::Int32 && s.i >= std::numeric_limits<int32_t>::min() &&
      s.i <= std::numeric_limits<int32_t>::max())
    return DataType::int32();
  return scalar_type(s);
}

}  // namespace

Column arithmetic(ArithOp op, const Column& a, const Column& b) {
  check_lengths(op_name(op), a, b);
  DataType rt = result_type(op, a.type(), b.type(), b.type().to_string());
  int64_t nulls = 0;
  Buffer validity = detail::and_validity(a, &b, &nulls);
  Column out;
  visit_numeric(a, [&](auto pa) {
    visit_numeric(b, [&](auto pb) { out = run_arith(op, rt, pa, pb, a.length(), validity, nulls); });
  });
  return out;
}

Column arithmetic(ArithOp op, const Column& a, const Scalar& b) {
  check_numeric_scalar((std::string("operator ") + op_name(op)).c_str(), a.type(), b);
  DataType rt = result_type(op, a.type(), effective_scalar_type(b, a.type()), "scalar");
  int64_t nulls = 0;
  Buffer validity = detail::and_validity(a, nullptr, &nulls);
  Column out;
  visit_numeric(a, [&](auto pa) {
    visit_scalar(b, [&](auto sb) { out = run_arith(op, rt, pa, sb, a.length(), validity, nulls); });
  });
  return out;
}

Column arithmetic(ArithOp op, const Scalar& a, const Column& b) {
  check_numeric_scalar((std::string("operator ") + op_name(op)).c_str(), b.type(), a);
  DataType st = effective_scalar_type(a, b.type());
  DataType rt = result_type(op, st, b.type(), b.type().to_string());
  int64_t nulls = 0;
  Buffer validity = detail::and_validity(b, nullptr, &nulls);
  Column out;
  visit_scalar(a, [&](auto sa) {
    visit_numeric(b, [&](auto pb) { out = run_arith(op, rt, sa, pb, b.length(), validity, nulls); });
  });
  return out;
}

Column int_div(const Column& a, const Column& b) {
  check_lengths("int_div", a, b);
  if (!a.type().is_integer() || !b.type().is_integer())
    type_error("int_div", a.type(), b.type().to_string());
  const int64_t n = a.length();
  const bool wide = a.type().id == TypeId::Int64 || b.type().id == TypeId::Int64;
  std::vector<uint8_t> mask(static_cast<size_t>(n));
  std::vector<uint8_t> vb(static_cast<size_t>(n));
  detail::valid_mask(a, 0, n, mask.data());
  detail::valid_mask(b, 0, n, vb.data());
  MutableBuffer out(static_cast<size_t>(n) * (wide ? 8 : 4));
  auto run = [&](auto* result) {
    using R = std::remove_pointer_t<decltype(result)>;
    visit_numeric(a, [&](auto pa) {
      visit_numeric(b, [&](auto pb) {
        for (int64_t i = 0; i < n; ++i) {
          R x = static_cast<R>(pa[i]), y = static_cast<R>(pb[i]);
          bool bad = y == 0 || (x == std::numeric_limits<R>::min() && y == -1);
          result[i] = bad ? R(0) : x / (bad ? R(1) : y);
          mask[static_cast<size_t>(i)] = mask[static_cast<size_t>(i)] & vb[static_cast<size_t>(i)] & !bad;
        }
      });
    });
  };
  if (wide) run(out.as<int64_t>());
  else run(out.as<int32_t>());
  int64_t nulls = 0;
  Buffer validity = detail::bitmap_from_mask(mask.data(), n, &nulls);
  return Column::from_buffers(wide ? DataType::int64() : DataType::int32(), n, std::move(validity), out.finish(),
                              nulls);
}

namespace {

const char* cmp_name(CompareOp op) {
  switch (op) {
    case CompareOp::Equal: return "==";
    case CompareOp::NotEqual: return "!=";
    case CompareOp::Less: return "<";
    case CompareOp::LessEqual: return "<=";
    case CompareOp::Greater: return ">";
    case CompareOp::GreaterEqual: return ">=";
  }
  return "?";
}

template <class C, class A, class B>
void cmp_loop(CompareOp op, A a, B b, uint8_t* __restrict out, int64_t n) {
  switch (op) {
    case CompareOp::Equal: for (int64_t i = 0; i < n; ++i) out[i] = static_cast<C>(a[i]) == static_cast<C>(b[i]); return;
    case CompareOp::NotEqual: for (int64_t i = 0; i < n; ++i) out[i] = static_cast<C>(a[i]) != static_cast<C>(b[i]); return;
    case CompareOp::Less: for (int64_t i = 0; i < n; ++i) out[i] = static_cast<C>(a[i]) < static_cast<C>(b[i]); return;
    case CompareOp::LessEqual: for (int64_t i = 0; i < n; ++i) out[i] = static_cast<C>(a[i]) <= static_cast<C>(b[i]); return;
    case CompareOp::Greater: for (int64_t i = 0; i < n; ++i) out[i] = static_cast<C>(a[i]) > static_cast<C>(b[i]); return;
    case CompareOp::GreaterEqual: for (int64_t i = 0; i < n; ++i) out[i] = static_cast<C>(a[i]) >= static_cast<C>(b[i]); return;
  }
}

bool cmp_result(CompareOp op, int c) {
  switch (op) {
    case CompareOp::Equal: return c == 0;
    case CompareOp::NotEqual: return c != 0;
    case CompareOp::Less: return c < 0;
    case CompareOp::LessEqual: return c <= 0;
    case CompareOp::Greater: return c > 0;
    case CompareOp::GreaterEqual: return c >= 0;
  }
  return false;
}

// Which storage types may be compared with each other.
bool comparable(const DataType& a, const DataType& b) {
  if (a.is_numeric() && b.is_numeric()) return true;
  return a.id == b.id;
}

template <class A, class B>
void numeric_compare(CompareOp op, A a, B b, uint8_t* out, int64_t n) {
  using TA = decltype(a[0]);
  using TB = decltype(b[0]);
  if constexpr (std::is_floating_point_v<TA> || std::is_floating_point_v<TB>) cmp_loop<double>(op, a, b, out, n);
  else cmp_loop<int64_t>(op, a, b, out, n);
}

}  // namespace

Column compare(CompareOp op, const Column& a, const Column& b) {
  check_lengths(cmp_name(op), a, b);
  if (!comparable(a.type(), b.type())) type_error(std::string("operator ") + cmp_name(op), a.type(), b.type().to_string());
  const int64_t n = a.length();
  int64_t nulls = 0;
  Buffer validity = detail::and_validity(a, &b, &nulls);
  MutableBuffer out(static_cast<size_t>(n));
  uint8_t* o = out.data();
  if (a.type().id == TypeId::String) {
    for (int64_t i = 0; i < n; ++i) o[i] = cmp_result(op, a.string_at(i).compare(b.string_at(i)));
  } else {
    visit_numeric(a, [&](auto pa) { visit_numeric(b, [&](auto pb) { numeric_compare(op, pa, pb, o, n); }); });
  }
  return Column::from_buffers(DataType::boolean(), n, std::move(validity), out.finish(), nulls);
}

Column compare(CompareOp op, const Column& a, const Scalar& b) {
  const int64_t n = a.length();
  int64_t nulls = 0;
  Buffer validity = detail::and_validity(a, nullptr, &nulls);
  MutableBuffer out(static_cast<size_t>(n));
  uint8_t* o = out.data();
  const TypeId t = a.type().id;
  if (t == TypeId::String) {
    if (b.kind != Scalar::Kind::String) type_error(std::string("operator ") + cmp_name(op), a.type(), "a non-string scalar");
    std::string_view s = b.s;
    for (int64_t i = 0; i < n; ++i) o[i] = cmp_result(op, a.string_at(i).compare(s));
  } else if (b.kind == Scalar::Kind::String) {
    type_error(std::string("operator ") + cmp_name(op), a.type(), "a string scalar");
  } else if (t == TypeId::Bool) {
    if (b.kind != Scalar::Kind::Bool) type_error(std::string("operator ") + cmp_name(op), a.type(), "a non-bool scalar");
    numeric_compare(op, Arr<uint8_t>{a.data<uint8_t>()}, Const<int64_t>{b.i}, o, n);
  } else {
    if (b.kind == Scalar::Kind::Bool) type_error(std::string("operator ") + cmp_name(op), a.type(), "a bool scalar");
    visit_numeric(a, [&](auto pa) { visit_scalar(b, [&](auto sb) { numeric_compare(op, pa, sb, o, n); }); });
  }
  return Column::from_buffers(DataType::boolean(), n, std::move(validity), out.finish(), nulls);
}

namespace {

Column bool_binary(const char* what, const Column& a, const Column& b, bool is_and) {
  check_lengths(what, a, b);
  if (a.type().id != TypeId::Bool || b.type().id != TypeId::Bool) type_error(what, a.type(), b.type().to_string());
  const int64_t n = a.length();
  int64_t nulls = 0;
  Buffer validity = detail::and_validity(a, &b, &nulls);
  MutableBuffer out(static_cast<size_t>(n));
  const uint8_t* __restrict pa = a.data<uint8_t>();
  const uint8_t* __restrict pb = b.data<uint8_t>();
  uint8_t* __restrict o = out.data();
  if (is_and) for (int64_t i = 0; i < n; ++i) o[i] = (pa[i] != 0) & (pb[i] != 0);
  else for (int64_t i = 0; i < n; ++i) o[i] = (pa[i] != 0) | (pb[i] != 0);
  return Column::from_buffers(DataType::boolean(), n, std::move(validity), out.finish(), nulls);
}

}  // namespace

Column logical_and(const Column& a, const Column& b) { return bool_binary("operator &", a, b, true); }
Column logical_or(const Column& a, const Column& b) { return bool_binary("operator |", a, b, false); }

Column logical_not(const Column& a) {
  if (a.type().id != TypeId::Bool) type_error("operator !", a.type(), "(unary)");
  const int64_t n = a.length();
  int64_t nulls = 0;
  Buffer validity = detail::and_validity(a, nullptr, &nulls);
  MutableBuffer out(static_cast<size_t>(n));
  const uint8_t* __restrict pa = a.data<uint8_t>();
  uint8_t* __restrict o = out.data();
  for (int64_t i = 0; i < n; ++i) o[i] = pa[i] == 0;
  return Column::from_buffers(DataType::boolean(), n, std::move(validity), out.finish(), nulls);
}

Column is_null(const Column& a) {
  MutableBuffer out(static_cast<size_t>(a.length()));
  detail::valid_mask(a, 0, a.length(), out.data());
  for (int64_t i = 0; i < a.length(); ++i) out.data()[i] ^= 1;
  return Column::from_buffers(DataType::boolean(), a.length(), Buffer(), out.finish(), 0);
}

Column is_valid(const Column& a) {
  MutableBuffer out(static_cast<size_t>(a.length()));
  detail::valid_mask(a, 0, a.length(), out.data());
  return Column::from_buffers(DataType::boolean(), a.length(), Buffer(), out.finish(), 0);
}

namespace {

// Float to int: NaN, inf and out-of-range values become null; wider ints that
// do not fit become null too.
template <class R>
void cast_to_int(const Column& a, R* o, std::vector<uint8_t>& mask) {
  const int64_t n = a.length();
  constexpr double lo = static_cast<double>(std::numeric_limits<R>::min());
  constexpr double hi = -lo;  // 2^31 or 2^63: the first value that does not fit
  visit_numeric(a, [&](auto pa) {
    using T = std::remove_cvref_t<decltype(pa[0])>;
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_floating_point_v<T>) {
        double v = pa[i];
        bool fits = v >= lo && v < hi;  // false for NaN
        o[i] = fits ? static_cast<R>(v) : R(0);
        mask[static_cast<size_t>(i)] &= fits;
      } else if constexpr (sizeof(T) > sizeof(R)) {
        T v = pa[i];
        bool fits = v >= std::numeric_limits<R>::min() && v <= std::numeric_limits<R>::max();
        o[i] = fits ? static_cast<R>(v) : R(0);
        mask[static_cast<size_t>(i)] &= fits;
      } else {
        o[i] = static_cast<R>(pa[i]);
      }
    }
  });
}

}  // namespace

Column cast(const Column& a, DataType to) {
  const DataType from = a.type();
  if (from == to) return a;
  bool from_ok = from.is_numeric() || from.id == TypeId::Bool;
  if (!from_ok || !to.is_numeric()) throw std::invalid_argument("cast: cannot cast " + from.to_string() + " to " + to.to_string());
  const int64_t n = a.length();
  if (to.id == TypeId::Float64) {
    MutableBuffer out(static_cast<size_t>(n) * 8);
    double* __restrict o = out.as<double>();
    visit_numeric(a, [&](auto pa) { for (int64_t i = 0; i < n; ++i) o[i] = static_cast<double>(pa[i]); });
    int64_t nulls = 0;
    Buffer validity = detail::and_validity(a, nullptr, &nulls);
    return Column::from_buffers(to, n, std::move(validity), out.finish(), nulls);
  }
  std::vector<uint8_t> mask(static_cast<size_t>(n));
  detail::valid_mask(a, 0, n, mask.data());
  MutableBuffer out(static_cast<size_t>(n) * to.byte_width());
  if (to.id == TypeId::Int64) cast_to_int(a, out.as<int64_t>(), mask);
  else cast_to_int(a, out.as<int32_t>(), mask);
  int64_t nulls = 0;
  Buffer validity = detail::bitmap_from_mask(mask.data(), n, &nulls);
  return Column::from_buffers(to, n, std::move(validity), out.finish(), nulls);
}

namespace {

struct Moments {
  double sum = 0;
  int64_t count = 0;
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
};

// One pass in chunks: a byte mask per chunk keeps the inner loops branch-free;
// four partial sums let the float loop pipeline without reassociating freely.
Moments moments(const Column& a, bool want_minmax) {
  if (a.type().id == TypeId::String)
    throw std::invalid_argument("reduction: unsupported column type " + a.type().to_string());
  Moments m;
  const int64_t n = a.length();
  constexpr int64_t kChunk = 4096;
  uint8_t mask[kChunk];
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  if (!a.has_nulls() && !want_minmax && a.type().id == TypeId::Float64) {
    // No nulls: one pass straight over the values, no masks; the same four
    // lanes (i % 4) and tail as the general loop, so the same sum.
    const double* __restrict x = a.data<double>();
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t c = 0, i = 0;
    for (; i + 4 <= n; i += 4) {
      const double x0 = x[i], x1 = x[i + 1], x2 = x[i + 2], x3 = x[i + 3];
      s0 += x0 == x0 ? x0 : 0.0;  // NaN is missing
      s1 += x1 == x1 ? x1 : 0.0;
      s2 += x2 == x2 ? x2 : 0.0;
      s3 += x3 == x3 ? x3 : 0.0;
      c += (x0 == x0) + (x1 == x1) + (x2 == x2) + (x3 == x3);
    }
    for (; i < n; ++i) {
      s0 += x[i] == x[i] ? x[i] : 0.0;
      c += x[i] == x[i];
    }
    m.sum = (s0 + s1) + (s2 + s3);
    m.count = c;
    return m;
  }
  visit_numeric(a, [&](auto pa) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int64_t start = 0; start < n; start += kChunk) {
      const int64_t len = std::min(kChunk, n - start);
      detail::valid_mask(a, start, len, mask);
      int64_t i = 0;
      if constexpr (std::is_floating_point_v<std::remove_cvref_t<decltype(pa[0])>>) {
        for (int64_t k = 0; k < len; ++k) mask[k] &= pa[start + k] == pa[start + k];  // NaN is missing
      }
      for (; i + 4 <= len; i += 4) {
        s0 += mask[i] ? static_cast<double>(pa[start + i]) : 0.0;
        s1 += mask[i + 1] ? static_cast<double>(pa[start + i + 1]) : 0.0;
        s2 += mask[i + 2] ? static_cast<double>(pa[start + i + 2]) : 0.0;
        s3 += mask[i + 3] ? static_cast<double>(pa[start + i + 3]) : 0.0;
      }
      for (; i < len; ++i) s0 += mask[i] ? static_cast<double>(pa[start + i]) : 0.0;
      int64_t c = 0;
      for (int64_t k = 0; k < len; ++k) c += mask[k];
      m.count += c;
      if (want_minmax) {
        for (int64_t k = 0; k < len; ++k) {
          if (!mask[k]) continue;
          double v = static_cast<double>(pa[start + k]);
          lo = v < lo ? v : lo;
          hi = v > hi ? v : hi;
        }
      }
    }
    m.sum = (s0 + s1) + (s2 + s3);
  });
  if (want_minmax && m.count > 0) {
    m.min = lo;
    m.max = hi;
  }
  return m;
}

}  // namespace

double sum(const Column& a) { return moments(a, false).sum; }
double mean(const Column& a) {
  Moments m = moments(a, false);
  return m.count ? m.sum / static_cast<double>(m.count) : std::numeric_limits<double>::quiet_NaN();
}
double min(const Column& a) { return moments(a, true).min; }
double max(const Column& a) { return moments(a, true).max; }
int64_t count_valid(const Column& a) { return a.length() - a.null_count(); }

}  // namespace baton
