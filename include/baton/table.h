#pragma once
// Table: named Columns of equal length. A Table is an immutable value; copies,
// slices, selections and with_column share the column buffers (no data is
// copied except by filter/take/group_by, which build new columns).
// Errors in use (unknown column, length mismatch, wrong mask type) throw
// std::invalid_argument or std::out_of_range with a message naming the column.
// Thread safety: a const Table may be read from any number of threads.
//
//   baton::Table out = raw.with_column("tip_fraction", raw["tip_amount"] / raw["total_amount"]);
//   std::cout << out.info() << out.head(5);
//   auto by_payment = out.group_by({"payment_type"})
//                        .agg({baton::agg::count(), baton::agg::mean("tip_fraction")});
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <baton/buffer.h>
#include <baton/column.h>
#include <baton/column_builder.h>
#include <baton/compute.h>
#include <baton/data_type.h>

namespace baton {

class GroupBy;

class Table {
 public:
  Table() = default;
  // Throws std::invalid_argument if the counts differ, lengths differ or a name
  // repeats.
  Table(std::vector<std::string> names, std::vector<Column> columns);

  int64_t num_rows() const { return num_rows_; }
  size_t num_columns() const { return columns_.size(); }
  const std::vector<std::string>& column_names() const { return names_; }
  const std::vector<Column>& columns() const { return columns_; }
  const Column& column(size_t i) const { return columns_.at(i); }
  // Throws std::out_of_range naming the column and the table's columns.
  const Column& column(std::string_view name) const;
  const Column& operator[](std::string_view name) const { return column(name); }
  // -1 when absent.
  int column_index(std::string_view name) const;
  bool has_column(std::string_view name) const { return column_index(name) >= 0; }

  // A table with `column` added at the end, or replacing the column of that
  // name in place.
  Table with_column(std::string name, Column column) const;
  // The named columns in the order given (zero-copy).
  Table select(const std::vector<std::string>& names) const;
  // Rows [offset, offset + length), clamped (zero-copy).
  Table slice(int64_t offset, int64_t length) const;
  // Rows where `mask` (a bool column of num_rows()) is true; null counts as false.
  Table filter(const Column& mask) const;
  // Rows at `indices` (an int32 or int64 column) in that order; a null index
  // gives a null row; out-of-range indices throw std::out_of_range.
  Table take(const Column& indices) const;
  GroupBy group_by(std::vector<std::string> keys) const;

  // What pandas' DataFrame.info() prints: rows, each column's name, non-null
  // count and type, the dtype counts and the memory use.
  std::string info() const;
  // The first n rows as an aligned text table (nulls as "null").
  std::string head(int64_t n = 5) const;
  // Bytes of the columns' values (their slices of the buffers).
  size_t memory_usage() const;

  // A hash of the names, types and column fingerprints (which cover the values
  // and nulls); computed once from the buffers and remembered. Slices and
  // derived tables compute their own. Thread-safe.
  Column::Fingerprint fingerprint() const;
  // Same names, types and values.
  bool equals(const Table& other) const;

 private:
  friend struct detail::Access;
  std::vector<std::string> names_;
  std::vector<Column> columns_;
  int64_t num_rows_ = 0;
  std::shared_ptr<detail::FingerprintCache> fingerprint_;
};

// Aggregations for GroupBy::agg. The output column is named `name` if given,
// else "count" for count() and "<fn>_<column>" otherwise (e.g. "mean_tip").
enum class AggKind : uint8_t { Count, Sum, Mean, Min, Max };
struct Aggregation {
  AggKind kind = AggKind::Count;
  std::string column;  // empty for count(): the number of rows in the group
  std::string name;
};
namespace agg {
// count() counts rows; count("c") counts non-null values of c.
inline Aggregation count(std::string column = {}, std::string name = {}) { return {AggKind::Count, std::move(column), std::move(name)}; }
// sum: int64 for integer columns, float64 for float64; mean: float64. Nulls
// and NaN are skipped, as in pandas (a group with no value sums to 0, its
// mean is null). min/max: the column's type (null for no value; NaN
// skipped); numbers, timestamps, dates and strings.
inline Aggregation sum(std::string column, std::string name = {}) { return {AggKind::Sum, std::move(column), std::move(name)}; }
inline Aggregation mean(std::string column, std::string name = {}) { return {AggKind::Mean, std::move(column), std::move(name)}; }
inline Aggregation min(std::string column, std::string name = {}) { return {AggKind::Min, std::move(column), std::move(name)}; }
inline Aggregation max(std::string column, std::string name = {}) { return {AggKind::Max, std::move(column), std::move(name)}; }
}  // namespace agg

// Groups rows by equal key values (nulls form a group of their own, as in SQL
// GROUP BY). The result has the key columns then one column per aggregation,
// one row per group, sorted by the keys ascending with nulls last.
class GroupBy {
 public:
  GroupBy(Table table, std::vector<std::string> keys);
  Table agg(const std::vector<Aggregation>& aggregations) const;
  Table count() const { return agg({agg::count()}); }

 private:
  Table table_;
  std::vector<std::string> keys_;
};

}  // namespace baton
