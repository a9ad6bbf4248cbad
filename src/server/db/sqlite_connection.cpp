// SQLite behind db::Connection: WAL, a busy timeout that readers never hit in
// practice (the server has one writer thread), prepared statements cached by
// their text.
#include "server/db/sql.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <filesystem>
#include <thread>
#include <unordered_map>

namespace baton::server::db {

namespace {

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override {
    for (auto& [sql, st] : cache_) sqlite3_finalize(st);
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::Sqlite; }

  SqlRows query(std::string_view sql, std::span<const SqlValue> params) override {
    sqlite3_stmt* st = prepare(sql);
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{st};
    int i = 1;
    for (const SqlValue& p : params) {
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::nullptr_t>(p)) {
        rc = sqlite3_bind_null(st, i);
      } else if (const auto* n = std::get_if<std::int64_t>(&p)) {
        rc = sqlite3_bind_int64(st, i, *n);
      } else {
        const auto& s = std::get<std::string>(p);
        rc = sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK) fail("bind");
      ++i;
    }
    SqlRows out;
    const int columns = sqlite3_column_count(st);
    for (int attempt = 0;; ++attempt) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_ROW) {
        auto& row = out.rows.emplace_back();
        row.reserve(static_cast<std::size_t>(columns));
        for (int c = 0; c < columns; ++c) {
          if (sqlite3_column_type(st, c) == SQLITE_NULL) {
            row.emplace_back(std::nullopt);
          } else {
            const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
            row.emplace_back(std::string(t, static_cast<std::size_t>(sqlite3_column_bytes(st, c))));
          }
        }
        continue;
      }
      if (rc == SQLITE_DONE) break;
      if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && out.rows.empty() && attempt < 1000) {
        // Past the busy timeout (WAL recovery by another process): wait and retry.
        sqlite3_reset(st);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      fail(fmt::format("run '{}'", sql.substr(0, 60)));
    }
    out.changes = sqlite3_changes64(db_);
    return out;
  }

  void exec_script(std::string_view sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw DbError(fmt::format("{}: {}", path_, msg), false);
    }
  }

  // The server's writer thread is the only writer it has; another process on the
  // same file (a second server, a backup) is waited out, and after a minute the
  // request is answered 503, never "database is locked".
  void begin() override {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
      const int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK) return;
      if ((rc & 0xFF) != SQLITE_BUSY && (rc & 0xFF) != SQLITE_LOCKED) fail("begin a write transaction");
      if (std::chrono::steady_clock::now() > deadline) {
        throw DbError(fmt::format("{}: another process has held the write lock for a minute", path_), true);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  void commit() override { exec_script("COMMIT"); }
  void rollback() noexcept override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }
  bool healthy() override { return true; }

 private:
  sqlite3_stmt* prepare(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
        SQLITE_OK) {
      fail(fmt::format("prepare '{}'", sql.substr(0, 80)));
    }
    // Statements built for one batch size are not worth keeping forever.
    if (cache_.size() > 200) {
      for (auto& [s, old] : cache_) sqlite3_finalize(old);
      cache_.clear();
    }
    cache_.emplace(std::string(sql), st);
    return st;
  }

  [[noreturn]] void fail(const std::string& what) {
    throw DbError(fmt::format("{}: cannot {}: {}", path_, what, sqlite3_errmsg(db_)), false);
  }

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

class SqliteFactory final : public ConnectionFactory {
 public:
  explicit SqliteFactory(std::string path) : path_(std::move(path)) {}
  Dialect dialect() const override { return Dialect::Sqlite; }
  std::string describe() const override { return path_; }

  std::unique_ptr<Connection> connect() override {
    std::error_code ec;
    const auto parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
      sqlite3_close_v2(db);
      throw DbError(fmt::format("{}: cannot open: {}", path_, msg), false);
    }
    auto c = std::make_unique<SqliteConnection>(db, path_);
    sqlite3_busy_timeout(db, 10000);
    c->exec_script("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF; "
                  "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;");
    return c;
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<ConnectionFactory> make_sqlite_factory(std::string path) {
  return std::make_unique<SqliteFactory>(std::move(path));
}

}  // namespace baton::server::db
