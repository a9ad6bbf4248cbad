#pragma once
// Element-wise compute on Columns. Every kernel returns a new Column (inputs
// are immutable) and propagates nulls: a result slot is null when any input
// slot is. Type errors and length mismatches throw std::invalid_argument with
// a message naming the types; they are programming errors of the caller.
//
// Arithmetic (+ - * /) on int32, int64 and float64:
// - result type: float64 if either side is float64; else int64 if either side
//   is int64; else int32. Integer + - * wrap on overflow (two's complement).
// - `/` is true division like pandas and DuckDB: the result is always float64,
//   with IEEE semantics: x/0 = +-inf, 0/0 = NaN (not null).
// - int_div(a, b) is integer division truncating toward zero (C++ and DuckDB
//   `//` on integers); division by zero gives null (as DuckDB), and so does
//   INT_MIN / -1, which has no representable result.
// - timestamp - timestamp gives int64 microseconds; timestamp +- int64 (µs)
//   gives a timestamp.
// Comparisons (== != < <= > >=) give bool columns; numbers compare across
// int/float types, strings bytewise, timestamps with timestamps, dates with
// dates, bools with bools. NaN compares unequal to everything (IEEE).
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <baton/column.h>

namespace baton {

// A constant operand: an integer, a float, a bool or a string.
struct Scalar {
  enum class Kind : uint8_t { Int, Float, Bool, String };
  Kind kind = Kind::Int;
  int64_t i = 0;
  double f = 0;
  std::string s;

  template <class T>
    requires std::is_arithmetic_v<T>
  Scalar(T v) {  // NOLINT: implicit so that `col > 0` reads naturally
    if constexpr (std::is_same_v<T, bool>) { kind = Kind::Bool; i = v; }
    else if constexpr (std::is_floating_point_v<T>) { kind = Kind::Float; f = static_cast<double>(v); }
    else { kind = Kind::Int; i = static_cast<int64_t>(v); }
  }
  Scalar(std::string_view v) : kind(Kind::String), s(v) {}  // NOLINT
  Scalar(const char* v) : kind(Kind::String), s(v) {}       // NOLINT
};

enum class ArithOp : uint8_t { Add, Subtract, Multiply, Divide };
enum class CompareOp : uint8_t { Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual };

Column arithmetic(ArithOp op, const Column& a, const Column& b);
Column arithmetic(ArithOp op, const Column& a, const Scalar& b);
Column arithmetic(ArithOp op, const Scalar& a, const Column& b);
Column int_div(const Column& a, const Column& b);
Column compare(CompareOp op, const Column& a, const Column& b);
Column compare(CompareOp op, const Column& a, const Scalar& b);

// Boolean logic on bool columns, nulls propagate (not Kleene).
Column logical_and(const Column& a, const Column& b);
Column logical_or(const Column& a, const Column& b);
Column logical_not(const Column& a);
// Bool columns without nulls: whether each slot is null / valid.
Column is_null(const Column& a);
Column is_valid(const Column& a);
// Numeric conversion between int32, int64, float64 (and bool to them);
// float to int truncates, NaN/inf become null.
Column cast(const Column& a, DataType to);

// Reductions over valid values. Nulls and NaN are both skipped, as pandas
// does (skipna); DuckDB's avg would return NaN instead. Any non-string
// column; timestamps and dates reduce over their stored integers (µs, days);
// bools as 0/1. sum of no values is 0; mean/min/max of no values is NaN.
double sum(const Column& a);
double mean(const Column& a);
double min(const Column& a);
double max(const Column& a);
int64_t count_valid(const Column& a);

inline Column operator+(const Column& a, const Column& b) { return arithmetic(ArithOp::Add, a, b); }
inline Column operator-(const Column& a, const Column& b) { return arithmetic(ArithOp::Subtract, a, b); }
inline Column operator*(const Column& a, const Column& b) { return arithmetic(ArithOp::Multiply, a, b); }
inline Column operator/(const Column& a, const Column& b) { return arithmetic(ArithOp::Divide, a, b); }
inline Column operator+(const Column& a, const Scalar& b) { return arithmetic(ArithOp::Add, a, b); }
inline Column operator-(const Column& a, const Scalar& b) { return arithmetic(ArithOp::Subtract, a, b); }
inline Column operator*(const Column& a, const Scalar& b) { return arithmetic(ArithOp::Multiply, a, b); }
inline Column operator/(const Column& a, const Scalar& b) { return arithmetic(ArithOp::Divide, a, b); }
inline Column operator+(const Scalar& a, const Column& b) { return arithmetic(ArithOp::Add, a, b); }
inline Column operator-(const Scalar& a, const Column& b) { return arithmetic(ArithOp::Subtract, a, b); }
inline Column operator*(const Scalar& a, const Column& b) { return arithmetic(ArithOp::Multiply, a, b); }
inline Column operator/(const Scalar& a, const Column& b) { return arithmetic(ArithOp::Divide, a, b); }

inline Column operator==(const Column& a, const Column& b) { return compare(CompareOp::Equal, a, b); }
inline Column operator!=(const Column& a, const Column& b) { return compare(CompareOp::NotEqual, a, b); }
inline Column operator<(const Column& a, const Column& b) { return compare(CompareOp::Less, a, b); }
inline Column operator<=(const Column& a, const Column& b) { return compare(CompareOp::LessEqual, a, b); }
inline Column operator>(const Column& a, const Column& b) { return compare(CompareOp::Greater, a, b); }
inline Column operator>=(const Column& a, const Column& b) { return compare(CompareOp::GreaterEqual, a, b); }
inline Column operator==(const Column& a, const Scalar& b) { return compare(CompareOp::Equal, a, b); }
inline Column operator!=(const Column& a, const Scalar& b) { return compare(CompareOp::NotEqual, a, b); }
inline Column operator<(const Column& a, const Scalar& b) { return compare(CompareOp::Less, a, b); }
inline Column operator<=(const Column& a, const Scalar& b) { return compare(CompareOp::LessEqual, a, b); }
inline Column operator>(const Column& a, const Scalar& b) { return compare(CompareOp::Greater, a, b); }
inline Column operator>=(const Column& a, const Scalar& b) { return compare(CompareOp::GreaterEqual, a, b); }

inline Column operator&(const Column& a, const Column& b) { return logical_and(a, b); }
inline Column operator|(const Column& a, const Column& b) { return logical_or(a, b); }
inline Column operator!(const Column& a) { return logical_not(a); }

}  // namespace baton
