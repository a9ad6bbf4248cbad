#pragma once
// The server's one view of a SQL database: a connection that runs a statement
// with parameters and returns its rows as text. SQLite and PostgreSQL implement
// it (sqlite_connection.cpp, postgres_connection.cpp); the model above
// (server_database.cpp) writes its SQL once, with `?` placeholders, and asks the
// dialect only where the two really differ (migrations, upserts, row locks).
//
// Thread safety: a connection belongs to one thread at a time.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace baton::server::db {

enum class Dialect { Sqlite, Postgres };

// A database error. `unavailable` means the database cannot be reached now
// (connection refused or lost, server shutting down): the request may succeed
// later, and the HTTP layer answers 503. Anything else is a bug or bad data.
class DbError : public std::runtime_error {
 public:
  DbError(const std::string& message, bool unavailable) : std::runtime_error(message), unavailable_(unavailable) {}
  bool unavailable() const { return unavailable_; }

 private:
  bool unavailable_;
};

using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::string>;

// Rows of text cells; a NULL cell is nullopt.
struct SqlRows {
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::int64_t changes = 0;  // rows written by an INSERT/UPDATE/DELETE

  bool empty() const { return rows.empty(); }
  std::size_t size() const { return rows.size(); }
  const std::optional<std::string>& at(std::size_t row, std::size_t col) const { return rows[row][col]; }
  std::string text(std::size_t row, std::size_t col) const { return rows[row][col].value_or(std::string()); }
  std::int64_t int64(std::size_t row, std::size_t col) const;
  std::optional<std::int64_t> opt_int64(std::size_t row, std::size_t col) const;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // Runs one statement with `?` placeholders. Throws DbError.
  virtual SqlRows query(std::string_view sql, std::span<const SqlValue> params = {}) = 0;
  // Runs several statements without parameters (migrations). Throws DbError.
  virtual void exec_script(std::string_view sql) = 0;
  // BEGIN / COMMIT / ROLLBACK. SQLite's begin takes the write lock at once.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  // Appends rows (`cols` values each) to `table (columns)` in bulk: PostgreSQL's
  // COPY. Returns false when the database has no such path (SQLite), and the
  // caller uses multi-row INSERTs. Only for tables without unique constraints:
  // a COPY cannot skip a conflicting row. Throws DbError.
  virtual bool copy_rows(std::string_view /*table_and_columns*/, int /*cols*/,
                         const std::vector<SqlValue>& /*values*/) {
    return false;
  }
  // False when the connection is known to be broken (PostgreSQL restarted).
  virtual bool healthy() = 0;
  // PostgreSQL: waits up to `timeout` for NOTIFYs on the channels this
  // connection LISTENs to and returns their channel names (empty on timeout).
  // Throws DbError (unavailable) when the connection is lost. Other databases
  // have no notifications: returns empty at once.
  virtual std::vector<std::string> wait_notifications(std::chrono::milliseconds /*timeout*/) { return {}; }
};

// Opens connections to one database. Throws DbError (unavailable when the
// server cannot be reached).
class ConnectionFactory {
 public:
  virtual ~ConnectionFactory() = default;
  virtual Dialect dialect() const = 0;
  virtual std::unique_ptr<Connection> connect() = 0;
  // For messages: the file, or the URL without its password.
  virtual std::string describe() const = 0;
};

// "postgresql://..." or "postgres://...": PostgreSQL; anything else is a SQLite path.
bool is_postgres_url(std::string_view database);
std::unique_ptr<ConnectionFactory> make_sqlite_factory(std::string path);
std::unique_ptr<ConnectionFactory> make_postgres_factory(std::string url);
std::unique_ptr<ConnectionFactory> make_factory(const std::string& database);

// A transaction that rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(Connection& c) : c_(c) { c_.begin(); }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (!done_) c_.rollback();
  }
  void commit() {
    done_ = true;
    c_.commit();
  }

 private:
  Connection& c_;
  bool done_ = false;
};

}  // namespace baton::server::db
