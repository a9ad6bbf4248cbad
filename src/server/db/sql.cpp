#include "server/db/sql.h"

#include <charconv>

namespace baton::server::db {

std::int64_t SqlRows::int64(std::size_t row, std::size_t col) const { return opt_int64(row, col).value_or(0); }

std::optional<std::int64_t> SqlRows::opt_int64(std::size_t row, std::size_t col) const {
  const auto& cell = rows[row][col];
  if (!cell) return std::nullopt;
  std::int64_t v = 0;
  const char* b = cell->data();
  std::from_chars(b, b + cell->size(), v);
  return v;
}

bool is_postgres_url(std::string_view database) {
  return database.starts_with("postgresql://") || database.starts_with("postgres://");
}

std::unique_ptr<ConnectionFactory> make_factory(const std::string& database) {
  if (is_postgres_url(database)) return make_postgres_factory(database);
  return make_sqlite_factory(database);
}

}  // namespace baton::server::db
