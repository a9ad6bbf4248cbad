#include "store/run_store_reader.h"

#include "engine/settings.h"
#include "store/crash_detection.h"
#include "store/history_codec.h"
#include "store/id_blob.h"
#include "store/sqlite_db.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iterator>

namespace baton::store {

namespace {

constexpr std::string_view kFlowColumns =
    "f.id, f.parent_flow_run, f.flow_name, f.run_name, f.parameters, f.tags, f.version, f.created, f.state, "
    "f.state_time, f.state_message, f.start_time, f.end_time, f.history, f.pid, f.process_started, f.hostname, "
    "f.heartbeat, f.cancel_requested, (SELECT count(*) FROM task_runs t WHERE t.flow_run = f.id) + "
    "(SELECT coalesce(sum(p.count), 0) FROM task_run_packs p WHERE p.flow_run = f.id)";

constexpr std::string_view kTaskColumns =
    "id, flow_run, task_name, run_name, parameters, tags, created, state, state_time, state_message, start_time, "
    "end_time, history";

std::optional<TimePoint> optional_time(const Statement& st, int column) {
  if (st.is_null(column)) return std::nullopt;
  return from_micros(st.int64(column));
}

StateType state_column(const Statement& st, int column) {
  StateType t = StateType::Pending;
  parse_state_type(st.text_view(column), t);
  return t;
}

FlowRunRecord read_flow(const Statement& st) {
  FlowRunRecord r;
  r.id = from_blob(st.blob(0));
  r.parent_flow_run = from_blob(st.blob(1));
  r.flow_name = st.text(2);
  r.run_name = st.text(3);
  r.parameters_json = st.text(4);
  r.tags_json = st.text(5);
  r.version = st.text(6);
  r.created = from_micros(st.int64(7));
  r.state = state_column(st, 8);
  r.state_time = from_micros(st.int64(9));
  r.state_message = st.text(10);
  r.start_time = optional_time(st, 11);
  r.end_time = optional_time(st, 12);
  r.history = parse_history(st.text_view(13));
  r.pid = st.int64(14);
  r.process_started = static_cast<std::uint64_t>(st.int64(15));
  r.hostname = st.text(16);
  r.heartbeat = optional_time(st, 17);
  r.cancel_requested = optional_time(st, 18);
  r.task_run_count = st.int64(19);
  return r;
}

// Why a flow_runs row cannot have been written by baton, or "" for a plausible one.
std::string impossible_flow_row(const Statement& st) {
  constexpr std::int64_t kYear2000 = 946'684'800'000'000;   // microseconds since the epoch
  constexpr std::int64_t kYear2200 = 7'258'118'400'000'000;
  StateType t = StateType::Pending;
  if (st.blob(0).size() != 16) return fmt::format("a flow run id of {} bytes", st.blob(0).size());
  if (st.text_view(2).empty()) return "a flow run without a flow name";
  if (!parse_state_type(st.text_view(8), t)) return fmt::format("a flow run in state '{}'", st.text_view(8));
  const std::int64_t created = st.int64(7);
  if (created < kYear2000 || created > kYear2200) return fmt::format("a flow run created at {} µs", created);
  return "";
}

TaskRunRecord read_task(const Statement& st) {
  TaskRunRecord r;
  r.id = from_blob(st.blob(0));
  r.flow_run = from_blob(st.blob(1));
  r.task_name = st.text(2);
  r.run_name = st.text(3);
  r.parameters_json = st.text(4);
  r.tags_json = st.text(5);
  r.created = from_micros(st.int64(6));
  r.state = state_column(st, 7);
  r.state_time = from_micros(st.int64(8));
  r.state_message = st.text(9);
  r.start_time = optional_time(st, 10);
  r.end_time = optional_time(st, 11);
  r.history = parse_history(st.text_view(12));
  return r;
}

LogRecord read_log(const Statement& st) {
  LogRecord r;
  r.flow_run = from_blob(st.blob(0));
  r.task_run = from_blob(st.blob(1));
  r.level = static_cast<LogLevel>(st.int64(2));
  r.at = from_micros(st.int64(3));
  r.message = st.text(4);
  return r;
}

void bind_id(Statement& st, int index, const RunId& id) {
  const IdBlob b = to_blob(id);
  st.bind_blob(index, b.data(), static_cast<int>(b.size()));
}

void bind_range(Statement& st, const IdRange& range) {
  st.bind_blob(1, range.lower.data(), static_cast<int>(range.lower.size()));
  if (range.upper) {
    st.bind_blob(2, range.upper->data(), static_cast<int>(range.upper->size()));
  } else {
    st.bind_null(2);
  }
}

// Finds the single row of `table` whose id starts with `text`. `what` is
// "flow run" or "task run", for messages.
template <class Record, class Read>
Result<Record> find_by_prefix(Database& db, std::string_view table, std::string_view columns, std::string_view what,
                              std::string_view text, Read read) {
  const auto range = id_prefix_range(text);
  if (!range) {
    return Status::error(fmt::format("'{}' is not a {} id or id prefix (expected hex digits, like 3fa85f64)", text, what));
  }
  const int kShown = 5;
  Statement st(db, fmt::format("SELECT {} FROM {} f WHERE f.id >= ?1 AND (?2 IS NULL OR f.id < ?2) ORDER BY f.id LIMIT {}",
                               columns, table, kShown + 1));
  bind_range(st, *range);
  std::vector<Record> found;
  while (st.step()) found.push_back(read(st));
  if (found.empty()) return Status::error(fmt::format("no {} with id {} in {}", what, text, db.path().string()));
  if (found.size() > 1) {
    std::string ids;
    for (std::size_t i = 0; i < found.size() && i < static_cast<std::size_t>(kShown); ++i) {
      ids += (i == 0 ? "" : ", ") + found[i].id.str();
    }
    if (found.size() > static_cast<std::size_t>(kShown)) ids += ", ...";
    return Status::error(fmt::format("{} id prefix {} is ambiguous: it matches {}; give more digits", what, text, ids));
  }
  return std::move(found.front());
}

bool damage_found(const Status& s) { return !s.ok() && s.message().starts_with("run history "); }

}  // namespace

Result<std::unique_ptr<RunStoreReader>> RunStoreReader::open(SqliteRunStoreOptions options) {
  options.read_only_ok = true;
  auto opened = open_run_history(options);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<RunStoreReader> reader(new RunStoreReader(std::move(opened->db)));
  reader->clock_ = options.clock;
  reader->crashed_on_open_ = opened->crashed;
  return reader;
}

RunStoreReader::RunStoreReader(std::unique_ptr<Database> db) : db_(std::move(db)) {}
RunStoreReader::~RunStoreReader() = default;

const std::filesystem::path& RunStoreReader::path() const { return db_->path(); }

bool RunStoreReader::read_only() const { return db_->read_only(); }

Status RunStoreReader::read_failed(const std::string& what) const {
  if (std::string damage = damage_report(db_->path()); !damage.empty()) {
    return Status::error(fmt::format("run history {} is damaged ({}); what was read: {}. Move it aside and baton starts a "
                                     "new one, or try `sqlite3 {} .recover`",
                                     db_->path().string(), damage, what, db_->path().string()));
  }
  return Status::error(what);
}

Result<std::vector<FlowRunRecord>> RunStoreReader::list_flow_runs(const FlowRunFilter& filter) {
  try {
    // Conditions are spelled only when given, so that SQLite can use the
    // (flow_name, created) index.
    std::string sql = fmt::format("SELECT {} FROM flow_runs f WHERE 1", kFlowColumns);
    if (!filter.flow_name.empty()) sql += " AND f.flow_name = ?1";
    if (filter.state) sql += " AND f.state = ?2";
    sql += " ORDER BY f.created DESC, f.key DESC";
    if (filter.limit > 0) sql += " LIMIT ?3";
    Statement st(*db_, sql);
    if (!filter.flow_name.empty()) st.bind(1, filter.flow_name);
    if (filter.state) st.bind(2, to_string(*filter.state));
    if (filter.limit > 0) st.bind(3, static_cast<std::int64_t>(filter.limit));
    std::vector<FlowRunRecord> out;
    std::string impossible;
    while (st.step()) {
      if (impossible.empty()) impossible = impossible_flow_row(st);
      out.push_back(read_flow(st));
    }
    // A row no writer makes: a damaged page read as data? SQLite's check decides.
    if (!impossible.empty()) {
      if (Status damaged = read_failed(impossible); damage_found(damaged)) return damaged;
    }
    return out;
  } catch (const SqliteError& e) {
    return read_failed(e.what());
  }
}

Result<FlowRunRecord> RunStoreReader::find_flow_run(std::string_view id_or_prefix) {
  try {
    return find_by_prefix<FlowRunRecord>(*db_, "flow_runs", kFlowColumns, "flow run", id_or_prefix, read_flow);
  } catch (const SqliteError& e) {
    return read_failed(e.what());
  }
}

Result<FlowRunRecord> RunStoreReader::flow_run(const RunId& id) { return find_flow_run(id.str()); }

Result<TaskRunRecord> RunStoreReader::find_task_run(std::string_view id_or_prefix) {
  try {
    // kTaskColumns are unqualified; the alias f is only for the shared WHERE.
    auto row = find_by_prefix<TaskRunRecord>(*db_, "task_runs", kTaskColumns, "task run", id_or_prefix, read_task);
    // Packed task runs (schema.cpp): a scan of the packs' id blobs, parsing only
    // a pack that holds a match.
    const auto range = id_prefix_range(id_or_prefix);
    if (!range) return row;
    std::vector<TaskRunRecord> found;
    if (row.ok()) found.push_back(std::move(row).value());
    else if (!row.status().message().starts_with("no task run")) return row;
    auto in_range = [&](std::string_view id) {
      const auto* p = reinterpret_cast<const unsigned char*>(id.data());
      return std::lexicographical_compare(p, p + 16, range->lower.begin(), range->lower.end()) == false &&
             (!range->upper || std::lexicographical_compare(p, p + 16, range->upper->begin(), range->upper->end()));
    };
    Statement st(*db_, "SELECT flow_run, ids, runs FROM task_run_packs ORDER BY key");
    while (st.step() && found.size() < 2) {
      const std::string_view ids = st.blob(1);
      bool match = false;
      for (std::size_t i = 0; i + 16 <= ids.size() && !match; i += 16) match = in_range(ids.substr(i, 16));
      if (!match) continue;
      for (auto& r : parse_task_run_pack(from_blob(st.blob(0)), ids, st.text_view(2))) {
        const IdBlob b = to_blob(r.id);
        if (in_range(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()))) found.push_back(std::move(r));
      }
    }
    if (found.empty()) return row;  // its "no task run ..." message
    if (found.size() > 1) {
      // The row search said "ambiguous" itself when the rows alone are; here a
      // row and a packed run, or two packed runs, match.
      return Status::error(fmt::format("task run id prefix {} is ambiguous: it matches {}, {}; give more digits",
                                       id_or_prefix, found[0].id.str(), found[1].id.str()));
    }
    return std::move(found.front());
  } catch (const SqliteError& e) {
    return read_failed(e.what());
  }
}

Result<std::vector<TaskRunRecord>> RunStoreReader::task_runs(const RunId& flow_run) {
  try {
    // Packed runs first, then rows, each in write order; then by creation time
    // (stable): the order of the rows alone, by created then key, is kept.
    std::vector<TaskRunRecord> out;
    Statement packs(*db_, "SELECT ids, runs FROM task_run_packs WHERE flow_run = ?1 ORDER BY key");
    bind_id(packs, 1, flow_run);
    while (packs.step()) {
      int unreadable = 0;
      auto runs = parse_task_run_pack(flow_run, packs.blob(0), packs.text_view(1), &unreadable);
      if (unreadable > 0) {
        if (Status damaged = read_failed(fmt::format("{} unreadable entries in a task run pack of flow run {}",
                                                     unreadable, flow_run.str()));
            damage_found(damaged)) {
          return damaged;
        }
      }
      std::move(runs.begin(), runs.end(), std::back_inserter(out));
    }
    Statement st(*db_, fmt::format("SELECT {} FROM task_runs WHERE flow_run = ?1 ORDER BY created, key", kTaskColumns));
    bind_id(st, 1, flow_run);
    while (st.step()) out.push_back(read_task(st));
    std::stable_sort(out.begin(), out.end(), [](const TaskRunRecord& a, const TaskRunRecord& b) { return a.created < b.created; });
    return out;
  } catch (const SqliteError& e) {
    return read_failed(e.what());
  }
}

Result<std::vector<EdgeRecord>> RunStoreReader::edges(const RunId& flow_run) {
  try {
    // Rows first (a writer packs every edge of a flow run), then the packs, each in write order.
    Statement st(*db_, "SELECT upstream, downstream, kind FROM task_run_edges WHERE flow_run = ?1 ORDER BY key");
    bind_id(st, 1, flow_run);
    std::vector<EdgeRecord> out;
    while (st.step()) {
      EdgeRecord e;
      e.upstream = from_blob(st.blob(0));
      e.downstream = from_blob(st.blob(1));
      e.kind = st.text_view(2) == "wait_for" ? engine::EdgeKind::WaitFor : engine::EdgeKind::Data;
      out.push_back(e);
    }
    Statement packs(*db_,
                    "SELECT upstreams, downstreams, kinds FROM task_run_edge_packs WHERE flow_run = ?1 ORDER BY key");
    bind_id(packs, 1, flow_run);
    while (packs.step()) {
      const std::string_view ups = packs.blob(0);
      const std::string_view downs = packs.blob(1);
      auto kinds = nlohmann::json::parse(packs.text_view(2), nullptr, /*allow_exceptions=*/false);
      if (!kinds.is_array() || ups.size() != downs.size() || ups.size() != 16 * kinds.size()) {
        if (Status damaged = read_failed(fmt::format("an unreadable edge pack of flow run {}", flow_run.str()));
            damage_found(damaged)) {
          return damaged;
        }
        continue;
      }
      for (std::size_t i = 0; i < kinds.size(); ++i) {
        EdgeRecord e;
        e.upstream = from_blob(ups.substr(16 * i, 16));
        e.downstream = from_blob(downs.substr(16 * i, 16));
        e.kind = kinds[i].is_string() && kinds[i].get_ref<const std::string&>() == "wait_for" ? engine::EdgeKind::WaitFor
                                                                                               : engine::EdgeKind::Data;
        out.push_back(e);
      }
    }
    return out;
  } catch (const SqliteError& e) {
    return read_failed(e.what());
  }
}

Result<std::vector<ResultRecordInfo>> RunStoreReader::results(const RunId& flow_run) {
  try {
    Statement st(*db_,
                 "SELECT task_run, cache_key, location, size, serializer, produced_by, from_cache "
                 "FROM task_run_results WHERE flow_run = ?1 ORDER BY key");
    bind_id(st, 1, flow_run);
    std::vector<ResultRecordInfo> out;
    while (st.step()) {
      ResultRecordInfo r;
      r.task_run = from_blob(st.blob(0));
      r.cache_key = std::string(st.text_view(1));
      r.location = std::string(st.text_view(2));
      r.size = st.int64(3);
      r.serializer = std::string(st.text_view(4));
      r.produced_by = from_blob(st.blob(5));
      r.from_cache = st.int64(6) != 0;
      out.push_back(std::move(r));
    }
    return out;
  } catch (const SqliteError& e) {
    return read_failed(e.what());
  }
}

Result<std::vector<LogRecord>> RunStoreReader::logs(const RunId& flow_run) {
  try {
    Statement st(*db_,
                 "SELECT flow_run, task_run, level, time, message FROM logs WHERE flow_run = ?1 ORDER BY time, key");
    bind_id(st, 1, flow_run);
    std::vector<LogRecord> out;
    while (st.step()) out.push_back(read_log(st));
    return out;
  } catch (const SqliteError& e) {
    return read_failed(e.what());
  }
}

Result<std::vector<LogRecord>> RunStoreReader::task_run_logs(const TaskRunRecord& task_run) {
  try {
    Statement st(*db_,
                 task_run.flow_run.empty()
                     ? "SELECT flow_run, task_run, level, time, message FROM logs WHERE flow_run IS NULL AND task_run = ?1 "
                       "ORDER BY time, key"
                     : "SELECT flow_run, task_run, level, time, message FROM logs WHERE flow_run = ?2 AND task_run = ?1 "
                       "ORDER BY time, key");
    bind_id(st, 1, task_run.id);
    if (!task_run.flow_run.empty()) bind_id(st, 2, task_run.flow_run);
    std::vector<LogRecord> out;
    while (st.step()) out.push_back(read_log(st));
    return out;
  } catch (const SqliteError& e) {
    return read_failed(e.what());
  }
}

Status RunStoreReader::request_cancellation(const RunId& flow_run) {
  if (read_only()) {
    return Status::error(fmt::format("run history {} cannot be written here (read-only): the cancellation request "
                                     "cannot be recorded",
                                     path().string()));
  }
  try {
    WriteTransaction txn(*db_);
    Statement find(*db_, "SELECT state, end_time IS NOT NULL FROM flow_runs WHERE id = ?1");
    bind_id(find, 1, flow_run);
    if (!find.step()) return Status::error(fmt::format("no flow run with id {} in {}", flow_run.str(), path().string()));
    const std::string state = find.text(0);
    const bool final = find.int64(1) != 0;
    find.reset();
    if (final) {
      return Status::error(fmt::format("flow run {} is already {}; there is nothing to cancel", flow_run.str(), state));
    }
    Statement mark(*db_, "UPDATE flow_runs SET cancel_requested = coalesce(cancel_requested, ?1) WHERE id = ?2");
    mark.bind(1, to_micros(clock_->now()));
    bind_id(mark, 2, flow_run);
    mark.run();
    txn.commit();
    return {};
  } catch (const SqliteError& e) {
    return read_failed(e.what());
  }
}

}  // namespace baton::store
