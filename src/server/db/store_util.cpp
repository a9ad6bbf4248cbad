#include "server/db/store_util.h"

#include "store/history_codec.h"
#include "util/json_string.h"

#include <chrono>
#include <span>

namespace baton::server::db::util {

std::string placeholders(int rows, int cols) {
  std::string one = "(";
  for (int c = 0; c < cols; ++c) one += c ? ",?" : "?";
  one += ")";
  std::string out;
  out.reserve(static_cast<std::size_t>(rows) * (one.size() + 1));
  for (int r = 0; r < rows; ++r) {
    if (r) out += ',';
    out += one;
  }
  return out;
}

std::string in_list(std::size_t n) {
  std::string out = "(";
  for (std::size_t i = 0; i < n; ++i) out += i ? ",?" : "?";
  out += ")";
  return out;
}

std::int64_t multi_row(Connection& c, std::string_view prefix, std::string_view suffix, int cols,
                       const std::vector<SqlValue>& values) {
  if (values.empty()) return 0;
  const int per_chunk = std::max(1, std::min(1000, 30000 / cols));
  const std::size_t total_rows = values.size() / static_cast<std::size_t>(cols);
  std::int64_t changes = 0;
  for (std::size_t row = 0; row < total_rows; row += static_cast<std::size_t>(per_chunk)) {
    const int n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(per_chunk), total_rows - row));
    std::string sql(prefix);
    sql += placeholders(n, cols);
    sql += suffix;
    changes += c.query(sql, std::span(values).subspan(row * static_cast<std::size_t>(cols),
                                                      static_cast<std::size_t>(n) * static_cast<std::size_t>(cols)))
                   .changes;
  }
  return changes;
}

std::string transition(StateType type, std::int64_t at_us, std::string_view message) {
  std::string out;
  store::append_transition_json(out, type, at_us, message);
  return out;
}

std::string transition(std::string_view state, std::int64_t at_us, std::string_view message) {
  std::string out = "[";
  append_json_string(out, state);
  out += ',';
  out += std::to_string(at_us);
  if (!message.empty()) {
    out += ',';
    append_json_string(out, message);
  }
  out += ']';
  return out;
}

void notify_channel(Connection& c, std::string_view channel, const std::string& payload) {
  if (c.dialect() != Dialect::Postgres) return;
  const SqlValue p[] = {std::string(channel), payload};
  c.query("SELECT pg_notify(?, ?)", p);
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace baton::server::db::util
