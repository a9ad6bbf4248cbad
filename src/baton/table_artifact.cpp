// create_table_artifact over a Table: the engine knows rows of strings only, so
// the umbrella library (which sees both layers) formats the cells.
#include <baton/artifacts.h>
#include <baton/table.h>

namespace baton {

void create_table_artifact(const std::string& key, const Table& table, const std::string& description) {
  std::vector<std::vector<std::string>> rows;
  rows.reserve(static_cast<std::size_t>(table.num_rows()) + 1);
  rows.push_back(table.column_names());
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    std::vector<std::string> row;
    row.reserve(table.num_columns());
    for (std::size_t c = 0; c < table.num_columns(); ++c) row.push_back(table.column(c).format_value(r));
    rows.push_back(std::move(row));
  }
  create_table_artifact(key, rows, description);
}

}  // namespace baton
