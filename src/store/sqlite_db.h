#pragma once
// A thin RAII layer over SQLite's C API, shared by the run store's writer and
// reader: one connection, prepared statements, and write transactions that wait
// for other processes instead of failing on a locked database.
//
// Thread safety: a Database and its statements belong to one thread at a time.
#include <baton/error.h>

#include "util/status.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace baton::store {

// Thrown by Statement/Database helpers for an SQLite error that is not a busy or
// locked database (those are waited out). The message names the database file.
class SqliteError : public Error {
 public:
  using Error::Error;
};

class Database;

// One prepared statement. Bind indexes are 1-based, column indexes 0-based.
class Statement {
 public:
  Statement() = default;
  Statement(Database& db, std::string_view sql);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, const void* data, int size);
  // Without a copy: the caller keeps the bytes alive until the next reset()
  // (run() resets). For the writer's hot path.
  Statement& bind_static(int index, std::string_view text);
  Statement& bind_blob_static(int index, const void* data, int size);
  Statement& bind_null(int index);

  // Runs one step: true if a row is ready, false when done. Waits out SQLITE_BUSY.
  bool step();
  // Steps to the end (for statements without rows) and resets.
  void run();
  // Like run(), but a constraint violation (a duplicate id) returns false
  // instead of throwing.
  bool run_unless_constraint();
  // Resets for the next use and clears the bindings.
  void reset();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  std::string text(int column) const;
  std::string_view text_view(int column) const;  // valid until the next step/reset
  std::string_view blob(int column) const;       // valid until the next step/reset

  int last_error() const { return last_rc_; }

 private:
  Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int last_rc_ = SQLITE_OK;
};

class Database {
 public:
  // Opens (creating the file and its directory if needed) in WAL mode with
  // synchronous=NORMAL and a busy handler that never gives up, then brings the
  // schema up to date. Errors name the file.
  static Result<std::unique_ptr<Database>> open(const std::filesystem::path& path);
  // For readers: like open(), but a history this process cannot write (a
  // read-only file, directory or mount) is opened read-only, or immutable when
  // not even its WAL index can be made beside it. Its schema must then be the
  // current one (it cannot be migrated). Such a handle reports read_only().
  static Result<std::unique_ptr<Database>> open_for_reading(const std::filesystem::path& path);
  bool read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  sqlite3* handle() const { return db_; }
  const std::filesystem::path& path() const { return path_; }

  // Runs SQL without results (several statements allowed). Throws SqliteError.
  void exec(std::string_view sql);

  // BEGIN IMMEDIATE, waiting (with backoff, warning after a long wait) while
  // another connection holds the write lock. Throws SqliteError for other errors.
  void begin_immediate();
  void commit();
  void rollback() noexcept;

  // "<file>: <sqlite message>" for the last error of this connection.
  std::string error_message(std::string_view what) const;

 private:
  explicit Database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

// A write transaction that rolls back unless committed.
class WriteTransaction {
 public:
  explicit WriteTransaction(Database& db) : db_(db) { db_.begin_immediate(); }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  ~WriteTransaction() {
    if (!done_) db_.rollback();
  }
  void commit() {
    db_.commit();
    done_ = true;
  }

 private:
  Database& db_;
  bool done_ = false;
};

// SQLite's quick_check of the run history at `path`, for when a read failed or
// returned rows that cannot be: "" when the file is sound, otherwise the first
// problems it found (or why the file could not even be checked).
std::string damage_report(const std::filesystem::path& path);

// Waits after an SQLITE_BUSY that reached us despite the busy handler (for
// example while another connection recovers the WAL). `attempt` counts from 0.
void busy_backoff(int attempt, const std::filesystem::path& path);

}  // namespace baton::store
