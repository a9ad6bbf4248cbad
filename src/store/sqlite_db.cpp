#include "store/sqlite_db.h"

#include "store/schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <system_error>
#include <thread>

namespace baton::store {

namespace {

bool is_busy(int rc) {
  const int primary = rc & 0xFF;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

// How long one wait in the busy handler lasts: grows from 1 ms to 50 ms, with
// jitter so that several waiting processes do not retry in lockstep.
std::chrono::microseconds backoff(int attempt) {
  thread_local std::minstd_rand jitter(std::random_device{}());
  const long base = std::min(50'000L, 1'000L << std::min(attempt, 6));
  return std::chrono::microseconds(base / 2 + static_cast<long>(jitter() % static_cast<unsigned long>(base / 2 + 1)));
}

// A long wait is worth telling a person about (another process may hold the
// lock for ages, for example a `sqlite3` shell in a transaction), but it is not
// a reason to give up: losing history would be worse than waiting.
constexpr auto kWarnAfter = std::chrono::seconds(30);

struct BusyState {
  std::chrono::steady_clock::time_point started;
  bool warned = false;
};

int busy_handler(void* ctx, int count) {
  auto* db = static_cast<Database*>(ctx);
  thread_local BusyState state;
  if (count == 0) state = {std::chrono::steady_clock::now(), false};
  if (!state.warned && std::chrono::steady_clock::now() - state.started > kWarnAfter) {
    state.warned = true;
    std::fprintf(stderr, "baton: warning: %s has been locked by another process for more than %lld s; still waiting\n",
                 db->path().c_str(), static_cast<long long>(kWarnAfter.count()));
  }
  std::this_thread::sleep_for(backoff(count));
  return 1;  // never give up
}

}  // namespace

void busy_backoff(int attempt, const std::filesystem::path& path) {
  if (attempt > 0 && attempt % 1000 == 0) {
    std::fprintf(stderr, "baton: warning: %s stays busy after %d attempts; still waiting\n", path.c_str(), attempt);
  }
  std::this_thread::sleep_for(backoff(attempt));
}

// ---- Statement ----

Statement::Statement(Database& db, std::string_view sql) : db_(&db) {
  const int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &stmt_, nullptr);
  if (rc != SQLITE_OK) throw SqliteError(db.error_message(fmt::format("cannot prepare `{}`", sql)));
}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)), last_rc_(other.last_rc_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    last_rc_ = other.last_rc_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies, so callers may pass temporaries.
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_blob(int index, const void* data, int size) {
  sqlite3_bind_blob(stmt_, index, data, size, SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_static(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}

Statement& Statement::bind_blob_static(int index, const void* data, int size) {
  sqlite3_bind_blob(stmt_, index, data, size, SQLITE_STATIC);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::step() {
  for (int attempt = 0;; ++attempt) {
    last_rc_ = sqlite3_step(stmt_);
    if (last_rc_ == SQLITE_ROW) return true;
    if (last_rc_ == SQLITE_DONE) return false;
    if (!is_busy(last_rc_)) {
      std::string msg = db_->error_message(fmt::format("`{}` failed", sqlite3_sql(stmt_)));
      sqlite3_reset(stmt_);
      throw SqliteError(msg);
    }
    sqlite3_reset(stmt_);
    busy_backoff(attempt, db_->path());
  }
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

bool Statement::run_unless_constraint() {
  try {
    run();
    return true;
  } catch (const SqliteError&) {
    if ((last_rc_ & 0xFF) != SQLITE_CONSTRAINT) throw;
    reset();
    return false;
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }
std::string Statement::text(int column) const { return std::string(text_view(column)); }

std::string_view Statement::text_view(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return p == nullptr ? std::string_view() : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string_view Statement::blob(int column) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  return p == nullptr ? std::string_view() : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

// ---- Database ----

Result<std::unique_ptr<Database>> Database::open(const std::filesystem::path& path) {
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return Status::error(fmt::format("cannot create directory {} for the run history: {}", path.parent_path().string(),
                                       ec.message()));
    }
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = fmt::format("cannot open run history {}: {}", path.string(),
                                  raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    sqlite3_close(raw);
    return Status::error(msg);
  }
  std::unique_ptr<Database> db(new Database(raw, path));
  sqlite3_busy_handler(raw, busy_handler, db.get());
  sqlite3_extended_result_codes(raw, 1);
  try {
    // journal_mode=WAL needs a lock the first time; SQLITE_BUSY may come back
    // without the busy handler (while another opener recovers), so retry here.
    for (int attempt = 0;; ++attempt) {
      Statement wal(*db, "PRAGMA journal_mode=WAL");
      wal.step();
      const std::string mode = wal.text(0);
      if (mode == "wal") break;
      if (attempt >= 10) {
        return Status::error(fmt::format("{}: cannot switch the run history to WAL mode (journal mode is {})",
                                         path.string(), mode));
      }
      busy_backoff(attempt, path);
    }
    // synchronous=NORMAL is durable across process crashes in WAL mode (only a
    // power loss may drop the last transactions) and saves an fsync per batch.
    // Checkpoints (which fsync) every 10,000 pages instead of 1,000: a burst of
    // task runs then pays for few of them; the WAL file is cut back to 64 MiB.
    db->exec(
        "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768; "
        "PRAGMA wal_autocheckpoint=10000; PRAGMA journal_size_limit=67108864;");
    if (Status s = migrate(*db); !s.ok()) return s;
  } catch (const SqliteError& e) {
    return Status::error(e.what());
  }
  return db;
}

namespace {

// "file:" URI of a path: the characters URIs give a meaning to are escaped.
std::string file_uri(const std::filesystem::path& path, std::string_view query) {
  std::string uri = "file:";
  for (const char c : std::filesystem::absolute(path).string()) {
    if (c == '%' || c == '?' || c == '#') {
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      uri += c;
    }
  }
  return uri + "?" + std::string(query);
}

sqlite3* open_uri(const std::string& uri) {
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(raw);
    return nullptr;
  }
  return raw;
}

}  // namespace

Result<std::unique_ptr<Database>> Database::open_for_reading(const std::filesystem::path& path) {
  std::error_code ec;
  const bool exists = std::filesystem::is_regular_file(path, ec);
  auto writable = open(path);
  if (writable.ok() || !exists) return writable;
  // mode=ro still needs the WAL index (baton.db-shm) beside the file;
  // immutable=1 reads the file alone, which is right for one nobody writes.
  std::string last = writable.status().message();
  for (const std::string_view query : {"mode=ro", "immutable=1"}) {
    sqlite3* raw = open_uri(file_uri(path, query));
    if (raw == nullptr) continue;
    std::unique_ptr<Database> db(new Database(raw, path));
    sqlite3_busy_handler(raw, busy_handler, db.get());
    sqlite3_extended_result_codes(raw, 1);
    try {
      Statement version(*db, "PRAGMA user_version");
      version.step();
      const int v = static_cast<int>(version.int64(0));
      Statement probe(*db, "SELECT count(*) FROM sqlite_master");
      probe.step();
      if (v != schema_version()) {
        return Status::error(fmt::format(
            "run history {} cannot be written here and has schema version {}, not {}: open it once with a baton "
            "that can write it, to bring it up to date",
            path.string(), v, schema_version()));
      }
      return db;
    } catch (const SqliteError& e) {
      last = e.what();
    }
  }
  return Status::error(fmt::format("cannot open run history {} (not even read-only): {}", path.string(), last));
}

std::string damage_report(const std::filesystem::path& path) {
  sqlite3* raw = open_uri(file_uri(path, "mode=ro"));
  if (raw == nullptr) raw = open_uri(file_uri(path, "immutable=1"));
  if (raw == nullptr) return "it cannot be opened";
  std::string found;
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(raw, "PRAGMA quick_check(5)", -1, &st, nullptr);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      const auto* line = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      const std::string text = line != nullptr ? line : "";
      if (text == "ok") continue;
      // One line per finding: "*** in database main ***\nPage 60: ..." reads as a list.
      std::string flat;
      for (const char c : text) flat += c == '\n' ? std::string(" ") : std::string(1, c);
      found += (found.empty() ? "" : "; ") + flat;
    }
  }
  if (rc != SQLITE_DONE && found.empty()) found = sqlite3_errmsg(raw);
  sqlite3_finalize(st);
  sqlite3_close(raw);
  return found;
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::exec(std::string_view sql) {
  const std::string owned(sql);
  for (int attempt = 0;; ++attempt) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return;
    std::string msg = fmt::format("{}: `{}` failed: {}", path_.string(), owned, err != nullptr ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    if (!is_busy(rc)) throw SqliteError(msg);
    busy_backoff(attempt, path_);
  }
}

void Database::begin_immediate() { exec("BEGIN IMMEDIATE"); }

void Database::commit() {
  // COMMIT can report SQLITE_BUSY (a reader still needs the old snapshot in
  // rollback-journal mode, or a WAL race); the transaction stays open, so retry.
  exec("COMMIT");
}

void Database::rollback() noexcept {
  if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

std::string Database::error_message(std::string_view what) const {
  return fmt::format("{}: {}: {}", path_.string(), what, sqlite3_errmsg(db_));
}

}  // namespace baton::store
