// PostgreSQL behind db::Connection, through libpq. Parameters are sent as text
// ($1, $2, ... replacing the model's `?`); a lost connection is reported as
// unavailable (503) and the pool drops it, so a restarted PostgreSQL is picked up
// by the next request without restarting the server.
#include "server/db/sql.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <cstring>
#include <poll.h>
#include <unordered_map>

namespace baton::server::db {

namespace {

// SQLSTATE classes that mean "not now" rather than "never": connection
// exceptions (08), operator intervention such as a shutdown (57), insufficient
// resources (53).
bool is_unavailable_state(const char* sqlstate) {
  if (!sqlstate) return false;
  return std::strncmp(sqlstate, "08", 2) == 0 || std::strncmp(sqlstate, "57", 2) == 0 ||
         std::strncmp(sqlstate, "53", 2) == 0;
}

std::string without_password(std::string url) {
  // postgresql://user:secret@host/db -> postgresql://user:***@host/db
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon != std::string::npos && colon < at) url.replace(colon + 1, at - colon - 1, "***");
  return url;
}

// "?"s outside string literals become $1, $2, ...
std::string numbered(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  bool in_string = false;
  for (char c : sql) {
    if (c == '\'') in_string = !in_string;
    if (c == '?' && !in_string) {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

class PostgresConnection final : public Connection {
 public:
  PostgresConnection(PGconn* c, std::string name) : c_(c), name_(std::move(name)) {}
  ~PostgresConnection() override { PQfinish(c_); }

  Dialect dialect() const override { return Dialect::Postgres; }

  SqlRows query(std::string_view sql, std::span<const SqlValue> params) override {
    std::string& text = translated(sql);
    std::vector<std::string> storage;
    storage.reserve(params.size());
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const SqlValue& p : params) {
      if (std::holds_alternative<std::nullptr_t>(p)) {
        values.push_back(nullptr);
      } else if (const auto* n = std::get_if<std::int64_t>(&p)) {
        values.push_back(storage.emplace_back(std::to_string(*n)).c_str());
      } else {
        values.push_back(std::get<std::string>(p).c_str());
      }
    }
    PGresult* r = PQexecParams(c_, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                               nullptr, 0);
    Result res(r);
    check(r, sql);
    SqlRows out;
    const int rows = PQntuples(r);
    const int cols = PQnfields(r);
    out.rows.resize(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i) {
      auto& row = out.rows[static_cast<std::size_t>(i)];
      row.reserve(static_cast<std::size_t>(cols));
      for (int j = 0; j < cols; ++j) {
        if (PQgetisnull(r, i, j)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(PQgetvalue(r, i, j), static_cast<std::size_t>(PQgetlength(r, i, j))));
        }
      }
    }
    const char* affected = PQcmdTuples(r);
    if (affected && *affected) out.changes = std::stoll(affected);
    return out;
  }

  void exec_script(std::string_view sql) override {
    PGresult* r = PQexec(c_, std::string(sql).c_str());
    Result res(r);
    check(r, sql);
  }

  void begin() override { exec_script("BEGIN"); }
  void commit() override { exec_script("COMMIT"); }
  void rollback() noexcept override {
    if (PQstatus(c_) != CONNECTION_OK) return;
    PQclear(PQexec(c_, "ROLLBACK"));
  }
  bool healthy() override { return PQstatus(c_) == CONNECTION_OK; }

  std::vector<std::string> wait_notifications(std::chrono::milliseconds timeout) override {
    std::vector<std::string> out;
    auto drain = [&] {
      while (PGnotify* n = PQnotifies(c_)) {
        out.emplace_back(n->relname);
        PQfreemem(n);
      }
    };
    drain();
    if (!out.empty()) return out;
    pollfd fd{PQsocket(c_), POLLIN, 0};
    if (fd.fd < 0) throw DbError(fmt::format("{}: the connection is closed", name_), true);
    const int ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
    if (ready > 0) {
      if (PQconsumeInput(c_) != 1) {
        std::string msg = PQerrorMessage(c_);
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        throw DbError(fmt::format("{}: {}", name_, msg), true);
      }
      drain();
    }
    return out;
  }

  bool copy_rows(std::string_view table_and_columns, int cols, const std::vector<SqlValue>& values) override {
    if (values.empty()) return true;
    const std::string sql = "COPY " + std::string(table_and_columns) + " FROM STDIN";
    {
      PGresult* r = PQexec(c_, sql.c_str());
      Result res(r);
      if (!r || PQresultStatus(r) != PGRES_COPY_IN) check(r, sql);
    }
    // COPY's text format: tab-separated, \N for NULL, backslash escapes.
    std::string buf;
    buf.reserve(1 << 20);
    bool ok = true;
    auto flush = [&] {
      if (!buf.empty() && PQputCopyData(c_, buf.data(), static_cast<int>(buf.size())) != 1) ok = false;
      buf.clear();
    };
    for (std::size_t i = 0; i < values.size() && ok; ++i) {
      const SqlValue& v = values[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        buf += "\\N";
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        buf += std::to_string(*n);
      } else {
        for (char ch : std::get<std::string>(v)) {
          switch (ch) {
            case '\\': buf += "\\\\"; break;
            case '\t': buf += "\\t"; break;
            case '\n': buf += "\\n"; break;
            case '\r': buf += "\\r"; break;
            default: buf += ch;
          }
        }
      }
      buf += (static_cast<int>(i % static_cast<std::size_t>(cols)) == cols - 1) ? '\n' : '\t';
      if (buf.size() > (1 << 20)) flush();
    }
    flush();
    if (PQputCopyEnd(c_, ok ? nullptr : "baton: sending rows failed") != 1) ok = false;
    PGresult* r = PQgetResult(c_);
    Result res(r);
    while (PGresult* extra = PQgetResult(c_)) PQclear(extra);
    check(r, sql);
    return true;
  }

 private:
  struct Result {
    PGresult* r;
    ~Result() { PQclear(r); }
  };

  std::string& translated(std::string_view sql) {
    auto it = sql_cache_.find(std::string(sql));
    if (it != sql_cache_.end()) return it->second;
    if (sql_cache_.size() > 500) sql_cache_.clear();
    return sql_cache_.emplace(std::string(sql), numbered(sql)).first->second;
  }

  void check(PGresult* r, std::string_view sql) {
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const bool unavailable = PQstatus(c_) != CONNECTION_OK || is_unavailable_state(state);
    std::string msg = PQerrorMessage(c_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    throw DbError(fmt::format("{}: {} (in '{}')", name_, msg, sql.substr(0, 80)), unavailable);
  }

  PGconn* c_;
  std::string name_;
  std::unordered_map<std::string, std::string> sql_cache_;
};

class PostgresFactory final : public ConnectionFactory {
 public:
  explicit PostgresFactory(std::string url) : url_(std::move(url)), name_(without_password(url_)) {}
  Dialect dialect() const override { return Dialect::Postgres; }
  std::string describe() const override { return name_; }

  std::unique_ptr<Connection> connect() override {
    // A short connect timeout: a request waiting on a dead database answers 503
    // quickly instead of hanging.
    const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
    const char* values[] = {url_.c_str(), "5", "baton-server", nullptr};
    PGconn* c = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
      std::string msg = c ? PQerrorMessage(c) : "out of memory";
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      PQfinish(c);
      throw DbError(fmt::format("{}: cannot connect: {}", name_, msg), true);
    }
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
    return std::make_unique<PostgresConnection>(c, name_);
  }

 private:
  std::string url_;
  std::string name_;
};

}  // namespace

std::unique_ptr<ConnectionFactory> make_postgres_factory(std::string url) {
  return std::make_unique<PostgresFactory>(std::move(url));
}

}  // namespace baton::server::db
