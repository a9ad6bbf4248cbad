#pragma once
// Small SQL helpers the issue-16 stores share (deployment_store.cpp,
// work_queue.cpp, concurrency_store.cpp, artifact_store.cpp).
#include "server/db/sql.h"

#include <baton/state.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace baton::server::db::util {

// Appends one transition (the `?` bound to its JSON) to a history column.
inline constexpr std::string_view kAppendHistory =
    "history = substr(history, 1, length(history) - 1) || CASE WHEN history = '[]' THEN '' ELSE ',' END || ? || ']'";

// "(?,?,?)" repeated `rows` times, comma-separated.
std::string placeholders(int rows, int cols);
// "(?,?,...)" for `n` values.
std::string in_list(std::size_t n);

// `prefix VALUES (...),(...) suffix` over `values` (cols per row), in chunks
// under both databases' parameter limits. Returns the rows written.
std::int64_t multi_row(Connection& c, std::string_view prefix, std::string_view suffix, int cols,
                       const std::vector<SqlValue>& values);

// ["State",time_us,"message"]
std::string transition(StateType type, std::int64_t at_us, std::string_view message);
// The same for a state name the engine does not know ("Late").
std::string transition(std::string_view state, std::int64_t at_us, std::string_view message);

// PostgreSQL: tells every server listening on kRunsChannel that runs of `pool`
// may be claimable (delivered at commit). No-op on SQLite.
inline constexpr std::string_view kRunsChannel = "baton_runs";
inline constexpr std::string_view kSlotsChannel = "baton_slots";
void notify_channel(Connection& c, std::string_view channel, const std::string& payload);

std::int64_t now_us();

}  // namespace baton::server::db::util
