#include "server/db/server_database.h"

#include "server/db/migrations.h"
#include "server/db/store_util.h"
#include "store/history_codec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

namespace baton::server::db {

namespace {

using store::from_micros;
using store::to_micros;

SqlValue id_value(const RunId& id) {
  if (id.empty()) return nullptr;
  return id.str();
}

SqlValue opt_value(const std::optional<std::int64_t>& v) {
  if (!v) return nullptr;
  return *v;
}

RunId parse_id(const std::optional<std::string>& text) {
  if (!text) return {};
  return RunId::parse(*text).value_or(RunId{});
}

std::optional<TimePoint> opt_time(const SqlRows& r, std::size_t row, std::size_t col) {
  auto v = r.opt_int64(row, col);
  if (!v) return std::nullopt;
  return from_micros(*v);
}

StateType state_of(const std::string& s) {
  StateType t = StateType::Pending;
  parse_state_type(s, t);
  return t;
}

bool starts_running(StateType t) { return t == StateType::Running || t == StateType::Retrying; }

using util::multi_row;
using util::placeholders;

// `column IN (?, ?, ...)` over ids, in chunks; `f` gets each chunk's SQL list and values.
template <class F>
void in_chunks(const std::vector<RunId>& ids, F&& f) {
  for (std::size_t i = 0; i < ids.size(); i += 500) {
    const std::size_t n = std::min<std::size_t>(500, ids.size() - i);
    std::string list = "(";
    std::vector<SqlValue> values;
    values.reserve(n);
    for (std::size_t j = 0; j < n; ++j) {
      list += j ? ",?" : "?";
      values.push_back(ids[i + j].str());
    }
    list += ")";
    f(list, values);
  }
}

constexpr std::string_view kFlowColumns =
    "id, parent_flow_run, flow_name, run_name, parameters, tags, version, created, state, state_time, state_message, "
    "start_time, end_time, history, pid, process_started, hostname, heartbeat, cancel_requested, task_run_count, key, "
    "deployment, work_pool, schedule, expected_start_time, worker, lease_expires, run_count";

store::FlowRunRecord flow_from(const SqlRows& r, std::size_t i) {
  store::FlowRunRecord f;
  f.id = parse_id(r.at(i, 0));
  f.parent_flow_run = parse_id(r.at(i, 1));
  f.flow_name = r.text(i, 2);
  f.run_name = r.text(i, 3);
  f.parameters_json = r.text(i, 4);
  f.tags_json = r.text(i, 5);
  f.version = r.text(i, 6);
  f.created = from_micros(r.int64(i, 7));
  f.state = state_of(r.text(i, 8));
  f.state_time = from_micros(r.int64(i, 9));
  f.state_message = r.text(i, 10);
  f.start_time = opt_time(r, i, 11);
  f.end_time = opt_time(r, i, 12);
  f.history = store::parse_history(r.text(i, 13));
  f.pid = r.int64(i, 14);
  f.process_started = static_cast<std::uint64_t>(r.int64(i, 15));
  f.hostname = r.text(i, 16);
  f.heartbeat = opt_time(r, i, 17);
  f.cancel_requested = opt_time(r, i, 18);
  f.task_run_count = r.int64(i, 19);
  if (r.text(i, 8) == "Late") {
    f.state = StateType::Scheduled;
    f.state_label = "Late";
  }
  f.deployment = r.at(i, 21);
  f.work_pool = r.at(i, 22);
  f.schedule = r.at(i, 23);
  f.expected_start_time = opt_time(r, i, 24);
  f.worker = r.at(i, 25);
  f.lease_expires = opt_time(r, i, 26);
  f.run_count = r.int64(i, 27);
  return f;
}

std::string task_columns(bool with_history) {
  return fmt::format(
      "id, flow_run, task_name, run_name, parameters, tags, created, state, state_time, state_message, start_time, "
      "end_time, {}, key",
      with_history ? "history" : "'[]'");
}

store::TaskRunRecord task_from(const SqlRows& r, std::size_t i) {
  store::TaskRunRecord t;
  t.id = parse_id(r.at(i, 0));
  t.flow_run = parse_id(r.at(i, 1));
  t.task_name = r.text(i, 2);
  t.run_name = r.text(i, 3);
  t.parameters_json = r.text(i, 4);
  t.tags_json = r.text(i, 5);
  t.created = from_micros(r.int64(i, 6));
  t.state = state_of(r.text(i, 7));
  t.state_time = from_micros(r.int64(i, 8));
  t.state_message = r.text(i, 9);
  t.start_time = opt_time(r, i, 10);
  t.end_time = opt_time(r, i, 11);
  t.history = store::parse_history(r.text(i, 12));
  return t;
}

constexpr std::string_view kResultColumns =
    "r.task_run, r.flow_run, coalesce(t.task_name, ''), r.cache_key, r.location, r.size, r.serializer, r.produced_by, "
    "r.from_cache, r.key";

ResultRow result_from(const SqlRows& r, std::size_t i) {
  ResultRow x;
  x.task_run = parse_id(r.at(i, 0));
  x.flow_run = parse_id(r.at(i, 1));
  x.task_name = r.text(i, 2);
  x.cache_key = r.text(i, 3);
  x.location = r.text(i, 4);
  x.size = r.int64(i, 5);
  x.serializer = r.text(i, 6);
  x.produced_by = parse_id(r.at(i, 7));
  x.from_cache = r.int64(i, 8) != 0;
  return x;
}

store::LogRecord log_from(const SqlRows& r, std::size_t i) {
  store::LogRecord l;
  l.flow_run = parse_id(r.at(i, 0));
  l.task_run = parse_id(r.at(i, 1));
  l.level = static_cast<LogLevel>(r.int64(i, 2));
  l.at = from_micros(r.int64(i, 3));
  l.message = r.text(i, 4);
  return l;
}

// Cursors: "<time>.<key>" for lists ordered by time, "<key>" for lists ordered
// by insertion. Opaque to clients; a malformed one is a 400 naming "cursor".
std::pair<std::int64_t, std::int64_t> parse_pair_cursor(const std::string& cursor) {
  const auto dot = cursor.find('.');
  std::int64_t a = 0, b = 0;
  if (dot != std::string::npos) {
    auto r1 = std::from_chars(cursor.data(), cursor.data() + dot, a);
    auto r2 = std::from_chars(cursor.data() + dot + 1, cursor.data() + cursor.size(), b);
    if (r1.ec == std::errc() && r1.ptr == cursor.data() + dot && r2.ec == std::errc() &&
        r2.ptr == cursor.data() + cursor.size()) {
      return {a, b};
    }
  }
  throw BadInput("cursor", fmt::format("not a cursor of this list: '{}'", cursor));
}

std::int64_t parse_key_cursor(const std::string& cursor) {
  std::int64_t k = 0;
  auto r = std::from_chars(cursor.data(), cursor.data() + cursor.size(), k);
  if (r.ec != std::errc() || r.ptr != cursor.data() + cursor.size() || cursor.empty()) {
    throw BadInput("cursor", fmt::format("not a cursor of this list: '{}'", cursor));
  }
  return k;
}

// LIKE pattern for a substring, with % _ and the escape itself escaped.
std::string like_pattern(std::string_view s) {
  std::string out = "%";
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  out += '%';
  return out;
}

std::string states_in(const std::vector<StateType>& states, std::vector<SqlValue>& params) {
  std::string sql = "(";
  for (std::size_t i = 0; i < states.size(); ++i) {
    sql += i ? ",?" : "?";
    params.emplace_back(std::string(to_string(states[i])));
  }
  return sql + ")";
}

// The run ids a prefix covers: "" when the text is no id prefix at all.
std::string normalized_prefix(std::string_view text) {
  std::string hex;
  for (char ch : text) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (c == '-') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
    hex += c;
  }
  if (hex.empty() || hex.size() > 32) return {};
  std::string out;
  for (std::size_t i = 0; i < hex.size(); ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    out += hex[i];
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- connections

ServerDatabase::ServerDatabase(ServerDatabaseOptions options)
    : factory_(make_factory(options.database)), options_(std::move(options)) {
  auto c = factory_->connect();
  migrate(*c);
  if (dialect() == Dialect::Sqlite) {
    writer_conn_ = std::move(c);
    writer_ = std::thread([this] { writer_loop(); });
  } else {
    release(std::move(c));
  }
}

ServerDatabase::~ServerDatabase() {
  if (writer_.joinable()) {
    {
      std::lock_guard lock(write_mu_);
      stopping_ = true;
    }
    write_cv_.notify_all();
    writer_.join();
  }
}

std::unique_ptr<Connection> ServerDatabase::acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  return factory_->connect();
}

void ServerDatabase::release(std::unique_ptr<Connection> c) {
  if (!c || !c->healthy()) return;
  std::lock_guard lock(pool_mu_);
  if (static_cast<int>(idle_.size()) < options_.max_connections) idle_.push_back(std::move(c));
}

template <class F>
auto ServerDatabase::read(F&& f) {
  // A pooled PostgreSQL connection may be stale after a database restart: the
  // first failure drops it and the read is tried once more on a fresh one.
  for (int attempt = 0;; ++attempt) {
    auto c = acquire();
    try {
      auto result = f(*c);
      release(std::move(c));
      return result;
    } catch (const DbError& e) {
      const bool stale = e.unavailable() && !c->healthy();
      if (!stale || attempt > 0) throw;
    } catch (...) {
      release(std::move(c));
      throw;
    }
  }
}

void ServerDatabase::write(std::function<void(Connection&)> f) {
  if (dialect() == Dialect::Postgres) {
    for (int attempt = 0;; ++attempt) {
      auto c = acquire();
      try {
        Transaction txn(*c);
        f(*c);
        txn.commit();
        release(std::move(c));
        return;
      } catch (const DbError& e) {
        const bool stale = e.unavailable() && !c->healthy();
        if (!stale || attempt > 0) throw;
      } catch (...) {
        release(std::move(c));
        throw;
      }
    }
  }
  std::future<void> done;
  {
    std::lock_guard lock(write_mu_);
    if (stopping_) throw DbError("the server is shutting down", true);
    jobs_.push_back(WriteJob{std::move(f), {}});
    done = jobs_.back().done.get_future();
  }
  write_cv_.notify_one();
  done.get();
}

void ServerDatabase::writer_loop() {
  Connection& c = *writer_conn_;
  for (;;) {
    std::vector<WriteJob> batch;
    {
      std::unique_lock lock(write_mu_);
      write_cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and every queued write is done
      while (!jobs_.empty() && batch.size() < 64) {
        batch.push_back(std::move(jobs_.front()));
        jobs_.pop_front();
      }
    }
    // One transaction for every write queued meanwhile (group commit); each in a
    // savepoint so that one failing write leaves the others to commit.
    std::vector<std::exception_ptr> errors(batch.size());
    try {
      Transaction txn(c);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        c.exec_script("SAVEPOINT w");
        try {
          batch[i].f(c);
          c.exec_script("RELEASE w");
        } catch (...) {
          errors[i] = std::current_exception();
          c.exec_script("ROLLBACK TO w; RELEASE w");
        }
      }
      txn.commit();
    } catch (...) {
      for (auto& e : errors) {
        if (!e) e = std::current_exception();
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (errors[i]) {
        batch[i].done.set_exception(errors[i]);
      } else {
        batch[i].done.set_value();
      }
    }
  }
}

void ServerDatabase::run_read(const std::function<void(Connection&)>& f) {
  read([&](Connection& c) {
    f(c);
    return 0;
  });
}

void ServerDatabase::run_write(std::function<void(Connection&)> f) { write(std::move(f)); }

std::unique_ptr<Connection> ServerDatabase::connect_new() { return factory_->connect(); }

int ServerDatabase::schema_version() {
  return read([](Connection& c) { return current_schema_version(c); });
}

int upgrade_database(const std::string& database) {
  auto factory = make_factory(database);
  auto c = factory->connect();
  migrate(*c);
  return current_schema_version(*c);
}

// ---------------------------------------------------------------- ingest

namespace {

// A run as this batch leaves it.
struct RunChange {
  bool created_here = false;
  const engine::FlowRunCreated* flow_created = nullptr;
  const engine::TaskRunCreated* task_created = nullptr;
  RunId flow_run;  // task runs: their flow run
  StateType state = StateType::Pending;
  std::int64_t state_time = 0;
  std::string message;
  std::optional<std::int64_t> start;
  std::optional<std::int64_t> end;
  std::string history;  // transitions without the enclosing brackets
  bool implied_initial = false;
  bool changed = false;  // a state change arrived (for runs not created here)
};

void apply_state(RunChange& run, const engine::StateChanged& e) {
  const std::int64_t at = to_micros(e.at);
  // The engine may also send the Pending that creation implies: record it once.
  const bool repeat = run.implied_initial && e.type == run.state && e.message.empty();
  run.implied_initial = false;
  if (repeat) return;
  run.changed = true;
  run.state = e.type;
  run.state_time = at;
  run.message = e.message;
  if (starts_running(e.type) && !run.start) run.start = at;
  run.end = is_final(e.type) ? std::optional<std::int64_t>(at) : std::nullopt;
  if (!run.history.empty()) run.history += ',';
  store::append_transition_json(run.history, e.type, at, e.message);
}

struct Ordered {
  std::unordered_map<RunId, RunChange> map;
  std::vector<RunId> order;
  RunChange& get(const RunId& id) {
    auto [it, inserted] = map.try_emplace(id);
    if (inserted) order.push_back(id);
    return it->second;
  }
};

// Changes to task_group_counts / task_group_times, applied in key order (so two
// PostgreSQL transactions touching the same groups never deadlock).
struct GroupDeltas {
  std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> counts;
  std::map<std::pair<std::string, std::string>, std::pair<std::optional<std::int64_t>, std::optional<std::int64_t>>>
      times;

  void count(const std::string& flow, const std::string& task, StateType state, std::int64_t n) {
    counts[{flow, task, std::string(to_string(state))}] += n;
  }
  void time(const std::string& flow, const std::string& task, std::optional<std::int64_t> start,
            std::optional<std::int64_t> end) {
    auto& [s, e] = times[{flow, task}];
    if (start && (!s || *start < *s)) s = start;
    if (end && (!e || *end > *e)) e = end;
  }
  void apply(Connection& c) {
    std::vector<SqlValue> rows;
    for (const auto& [key, n] : counts) {
      if (n == 0) continue;
      const auto& [flow, task, state] = key;
      rows.insert(rows.end(), {flow, task, state, n});
    }
    multi_row(c, "INSERT INTO task_group_counts (flow_run, task_name, state, n) VALUES ",
              " ON CONFLICT (flow_run, task_name, state) DO UPDATE SET n = task_group_counts.n + excluded.n", 4, rows);
    rows.clear();
    for (const auto& [key, t] : times) {
      if (!t.first && !t.second) continue;
      rows.insert(rows.end(), {key.first, key.second, opt_value(t.first), opt_value(t.second)});
    }
    multi_row(c, "INSERT INTO task_group_times (flow_run, task_name, start_time, end_time) VALUES ",
              " ON CONFLICT (flow_run, task_name) DO UPDATE SET "
              "start_time = CASE WHEN excluded.start_time IS NULL THEN task_group_times.start_time "
              "WHEN task_group_times.start_time IS NULL OR excluded.start_time < task_group_times.start_time "
              "THEN excluded.start_time ELSE task_group_times.start_time END, "
              "end_time = CASE WHEN excluded.end_time IS NULL THEN task_group_times.end_time "
              "WHEN task_group_times.end_time IS NULL OR excluded.end_time > task_group_times.end_time "
              "THEN excluded.end_time ELSE task_group_times.end_time END",
              4, rows);
  }
};

}  // namespace

void crash_open_task_runs(Connection& c, const std::string& id, const std::string& task_reason, std::int64_t now_us) {
  std::string task_transition;
  store::append_transition_json(task_transition, StateType::Crashed, now_us, task_reason);
  const SqlValue fid = id;
  auto open_tasks = c.query(
      "SELECT task_name, state, count(*) FROM task_runs WHERE flow_run = ? AND end_time IS NULL "
      "GROUP BY task_name, state",
      std::span(&fid, 1));
  if (open_tasks.empty()) return;
  GroupDeltas groups;
  for (std::size_t k = 0; k < open_tasks.size(); ++k) {
    const auto n = open_tasks.int64(k, 2);
    groups.count(id, open_tasks.text(k, 0), state_of(open_tasks.text(k, 1)), -n);
    groups.count(id, open_tasks.text(k, 0), StateType::Crashed, n);
    groups.time(id, open_tasks.text(k, 0), std::nullopt, now_us);
  }
  groups.apply(c);
  const std::vector<SqlValue> tp = {now_us, task_reason, now_us, task_transition, id};
  c.query(
      "UPDATE task_runs SET state = 'Crashed', state_time = ?, state_message = ?, end_time = ?, "
      "history = substr(history, 1, length(history) - 1) || CASE WHEN history = '[]' THEN '' ELSE ',' END || ? "
      "|| ']' WHERE flow_run = ? AND end_time IS NULL",
      tp);
}


namespace {
constexpr std::int64_t kDayUs = 86'400'000'000;
std::int64_t day_of(std::int64_t us) { return us >= 0 ? us / kDayUs : -((-us + kDayUs - 1) / kDayUs); }
std::string partition_name(std::int64_t day) {
  return day >= 0 ? fmt::format("logs_d{}", day) : fmt::format("logs_dm{}", -day);
}
}  // namespace

void ServerDatabase::ensure_log_partitions(const store::IngestBatch& batch) {
  if (dialect() != Dialect::Postgres) return;
  std::set<std::int64_t> days;
  for (const auto& e : batch.events) {
    if (const auto* l = std::get_if<engine::LogRecorded>(&e)) days.insert(day_of(to_micros(l->at)));
  }
  {
    std::lock_guard lock(partitions_mu_);
    for (auto it = days.begin(); it != days.end();) it = known_days_.count(*it) ? days.erase(it) : std::next(it);
  }
  for (const std::int64_t day : days) {
    read([&](Connection& c) {
      const std::string sql = fmt::format("CREATE TABLE IF NOT EXISTS {} PARTITION OF logs FOR VALUES FROM ({}) TO ({})",
                                          partition_name(day), day * kDayUs, (day + 1) * kDayUs);
      try {
        c.exec_script(sql);
      } catch (const DbError& e) {
        // Another server created it at the same moment: fine if it exists now.
        const SqlValue name = partition_name(day);
        if (e.unavailable() || c.query("SELECT 1 FROM pg_class WHERE relname = ?", std::span(&name, 1)).empty()) throw;
      }
      return 0;
    });
    std::lock_guard lock(partitions_mu_);
    known_days_.insert(day);
  }
}

std::int64_t ServerDatabase::drop_log_partitions(std::int64_t cutoff_us) {
  if (dialect() != Dialect::Postgres) return 0;
  auto parts = read([](Connection& c) {
    return c.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                   "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'logs'");
  });
  std::int64_t dropped = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string name = parts.text(i, 0);
    std::int64_t day = 0;
    const bool negative = name.rfind("logs_dm", 0) == 0;
    const std::string digits = name.substr(negative ? 7 : 6);
    if (std::from_chars(digits.data(), digits.data() + digits.size(), day).ec != std::errc()) continue;
    if (negative) day = -day;
    if ((day + 1) * kDayUs > cutoff_us) continue;
    dropped += read([&](Connection& c) {
      return c.query(fmt::format("SELECT count(*) FROM {}", name)).int64(0, 0);
    });
    write([&](Connection& c) { c.exec_script(fmt::format("DROP TABLE IF EXISTS {}", name)); });
    std::lock_guard lock(partitions_mu_);
    known_days_.erase(day);
  }
  return dropped;
}

IngestOutcome ServerDatabase::ingest(const store::IngestBatch& batch, bool collect_details) {
  IngestOutcome out;
  ensure_log_partitions(batch);
  const auto now_us = to_micros(std::chrono::system_clock::now());
  write([&](Connection& c) {
    out = IngestOutcome{};
    const SqlValue source = batch.source;
    c.query("INSERT INTO ingest_sources (source, last_seq) VALUES (?, 0) ON CONFLICT (source) DO NOTHING",
            std::span(&source, 1));
    // On PostgreSQL the row lock makes a second replica applying the same source
    // wait here, then see the new last_seq and skip what was applied.
    const auto last = c.query(c.dialect() == Dialect::Postgres
                                  ? "SELECT last_seq FROM ingest_sources WHERE source = ? FOR UPDATE"
                                  : "SELECT last_seq FROM ingest_sources WHERE source = ?",
                              std::span(&source, 1));
    const auto last_seq = static_cast<std::uint64_t>(last.int64(0, 0));
    const std::size_t n = batch.events.size();
    std::size_t skip = 0;
    if (last_seq >= batch.first_seq) skip = static_cast<std::size_t>(std::min<std::uint64_t>(n, last_seq - batch.first_seq + 1));
    out.duplicates = static_cast<std::int64_t>(skip);
    out.accepted = static_cast<std::int64_t>(n - skip);
    if (skip == n) return;

    Ordered flows, tasks;
    std::vector<SqlValue> edges, logs, results;
    std::unordered_map<RunId, std::int64_t> new_tasks_per_flow;
    std::vector<RunId> flows_alive;  // flows with any event in this batch: a sign of life
    std::unordered_map<RunId, bool> alive_seen;
    auto alive = [&](const RunId& id) {
      if (!id.empty() && alive_seen.emplace(id, true).second) flows_alive.push_back(id);
    };

    for (std::size_t i = skip; i < n; ++i) {
      std::visit(
          [&](const auto& e) {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, engine::FlowRunCreated>) {
              RunChange& r = flows.get(e.id);
              if (r.created_here) return;
              r.created_here = true;
              r.flow_created = &e;
              r.state = StateType::Pending;
              r.state_time = to_micros(e.created);
              r.history.clear();
              store::append_transition_json(r.history, StateType::Pending, r.state_time, {});
              r.implied_initial = true;
              alive(e.id);
            } else if constexpr (std::is_same_v<E, engine::TaskRunCreated>) {
              RunChange& r = tasks.get(e.id);
              if (r.created_here) return;
              r.created_here = true;
              r.task_created = &e;
              r.flow_run = e.flow_run;
              r.state = StateType::Pending;
              r.state_time = to_micros(e.created);
              r.history.clear();
              store::append_transition_json(r.history, StateType::Pending, r.state_time, {});
              r.implied_initial = true;
              if (!e.flow_run.empty()) ++new_tasks_per_flow[e.flow_run];
              alive(e.flow_run);
            } else if constexpr (std::is_same_v<E, engine::StateChanged>) {
              RunChange& r = (e.kind == engine::RunKind::Flow ? flows : tasks).get(e.run);
              apply_state(r, e);
              if (e.kind == engine::RunKind::Flow) alive(e.run);
            } else if constexpr (std::is_same_v<E, engine::EdgeAdded>) {
              edges.insert(edges.end(), {id_value(e.flow_run), e.upstream.str(), e.downstream.str(),
                                         std::string(e.kind == engine::EdgeKind::Data ? "data" : "wait_for")});
            } else if constexpr (std::is_same_v<E, engine::LogRecorded>) {
              logs.insert(logs.end(), {id_value(e.flow_run), id_value(e.task_run),
                                       std::int64_t{static_cast<int>(e.level)}, to_micros(e.at), e.message});
              alive(e.flow_run);
              if (collect_details) out.logs.push_back(store::LogRecord{e.flow_run, e.task_run, e.level, e.at, e.message});
            } else {
              results.insert(results.end(),
                             {e.task_run.str(), id_value(e.flow_run), e.cache_key, e.location,
                              static_cast<std::int64_t>(e.size), e.serializer, id_value(e.produced_by),
                              std::int64_t{e.from_cache ? 1 : 0}});
            }
          },
          batch.events[i]);
    }

    // Flow runs a deployment created before their engine started (a worker ran
    // the program with the run's id): the engine adopts the row, and its events
    // update it like those of a run created earlier, without the Pending that
    // creation implies.
    {
      std::vector<RunId> fresh;
      for (const RunId& id : flows.order) {
        if (flows.map[id].created_here) fresh.push_back(id);
      }
      std::vector<SqlValue> adopted;
      in_chunks(fresh, [&](const std::string& list, std::vector<SqlValue>& values) {
        auto r = c.query("SELECT id FROM flow_runs WHERE id IN " + list, values);
        for (std::size_t i = 0; i < r.size(); ++i) {
          const RunId id = parse_id(r.at(i, 0));
          RunChange& ch = flows.map[id];
          const auto& e = *ch.flow_created;
          std::string implied;
          store::append_transition_json(implied, StateType::Pending, to_micros(e.created), {});
          if (ch.history.starts_with(implied)) {
            ch.history.erase(0, implied.size());
            if (!ch.history.empty() && ch.history.front() == ',') ch.history.erase(0, 1);
          }
          ch.created_here = false;
          ch.changed = !ch.history.empty();
          adopted.insert(adopted.end(), {id.str(), e.pid, static_cast<std::int64_t>(e.process_started), e.hostname,
                                         now_us});
        }
      });
      multi_row(c, "WITH u (u_id, u_pid, u_started, u_host, u_beat) AS (VALUES ",
                ") UPDATE flow_runs SET pid = CAST(u_pid AS BIGINT), process_started = CAST(u_started AS BIGINT), "
                "hostname = u_host, heartbeat = CAST(u_beat AS BIGINT) FROM u WHERE flow_runs.id = u_id",
                5, adopted);
    }

    // New flow runs, whole.
    std::vector<SqlValue> rows;
    for (const RunId& id : flows.order) {
      const RunChange& r = flows.map[id];
      if (!r.created_here) continue;
      const auto& e = *r.flow_created;
      auto count = new_tasks_per_flow.find(id);
      rows.insert(rows.end(),
                  {id.str(), id_value(e.parent_flow_run), e.flow_name ? *e.flow_name : std::string(), e.run_name,
                   e.parameters_json.empty() ? std::string("{}") : e.parameters_json,
                   e.tags_json.empty() ? std::string("[]") : e.tags_json, e.version, to_micros(e.created),
                   std::string(to_string(r.state)), r.state_time, r.message, opt_value(r.start), opt_value(r.end),
                   "[" + r.history + "]", e.pid, static_cast<std::int64_t>(e.process_started), e.hostname, now_us,
                   count == new_tasks_per_flow.end() ? std::int64_t{0} : count->second});
      if (count != new_tasks_per_flow.end()) new_tasks_per_flow.erase(count);
    }
    multi_row(c,
              "INSERT INTO flow_runs (id, parent_flow_run, flow_name, run_name, parameters, tags, version, created, "
              "state, state_time, state_message, start_time, end_time, history, pid, process_started, hostname, "
              "heartbeat, task_run_count) VALUES ",
              " ON CONFLICT (id) DO NOTHING", 19, rows);

    // New task runs, whole.
    rows.clear();
    for (const RunId& id : tasks.order) {
      const RunChange& r = tasks.map[id];
      if (!r.created_here) continue;
      const auto& e = *r.task_created;
      rows.insert(rows.end(), {id.str(), id_value(e.flow_run), e.task_name ? *e.task_name : std::string(), e.run_name,
                               e.parameters_json.empty() ? std::string("{}") : e.parameters_json,
                               e.tags_json.empty() ? std::string("[]") : e.tags_json, to_micros(e.created),
                               std::string(to_string(r.state)), r.state_time, r.message, opt_value(r.start),
                               opt_value(r.end), "[" + r.history + "]"});
      if (collect_details) {
        store::TaskRunRecord t;
        t.id = id;
        t.flow_run = e.flow_run;
        t.task_name = e.task_name ? *e.task_name : std::string();
        t.run_name = e.run_name;
        t.parameters_json = e.parameters_json.empty() ? "{}" : e.parameters_json;
        t.tags_json = e.tags_json.empty() ? "[]" : e.tags_json;
        t.created = e.created;
        t.state = r.state;
        t.state_time = from_micros(r.state_time);
        t.state_message = r.message;
        if (r.start) t.start_time = from_micros(*r.start);
        if (r.end) t.end_time = from_micros(*r.end);
        out.task_runs_touched.push_back(std::move(t));
      }
    }
    multi_row(c,
              "INSERT INTO task_runs (id, flow_run, task_name, run_name, parameters, tags, created, state, "
              "state_time, state_message, start_time, end_time, history) VALUES ",
              " ON CONFLICT (id) DO NOTHING", 13, rows);

    // Group counts: new task runs count in their state; task runs created
    // earlier move from the state they had to the one they have now.
    GroupDeltas groups;
    std::vector<RunId> earlier;
    for (const RunId& id : tasks.order) {
      const RunChange& r = tasks.map[id];
      if (r.created_here) {
        if (r.flow_run.empty() || !r.task_created->task_name) continue;
        const std::string flow = r.flow_run.str();
        groups.count(flow, *r.task_created->task_name, r.state, 1);
        groups.time(flow, *r.task_created->task_name, r.start, r.end);
      } else if (r.changed) {
        earlier.push_back(id);
      }
    }
    in_chunks(earlier, [&](const std::string& list, std::vector<SqlValue>& values) {
      auto r = c.query("SELECT id, flow_run, task_name, state FROM task_runs WHERE flow_run IS NOT NULL AND id IN " +
                           list,
                       values);
      for (std::size_t i = 0; i < r.size(); ++i) {
        const RunChange& change = tasks.map[parse_id(r.at(i, 0))];
        const std::string flow = r.text(i, 1), task = r.text(i, 2);
        groups.count(flow, task, state_of(r.text(i, 3)), -1);
        groups.count(flow, task, change.state, 1);
        groups.time(flow, task, change.start, change.end);
      }
    });
    groups.apply(c);

    // Runs created earlier whose state changed: one multi-row UPDATE per table.
    auto update_changed = [&](Ordered& runs, std::string_view table, bool is_flow) {
      std::vector<SqlValue> u;
      for (const RunId& id : runs.order) {
        const RunChange& r = runs.map[id];
        if (r.created_here || !r.changed) continue;
        u.insert(u.end(), {id.str(), std::string(to_string(r.state)), r.state_time, r.message, opt_value(r.start),
                           opt_value(r.end), r.history});
        if (collect_details && !is_flow) {
          store::TaskRunRecord t;
          t.id = id;
          t.state = r.state;
          t.state_time = from_micros(r.state_time);
          t.state_message = r.message;
          if (r.start) t.start_time = from_micros(*r.start);
          if (r.end) t.end_time = from_micros(*r.end);
          out.task_runs_touched.push_back(std::move(t));
        }
      }
      multi_row(c, "WITH u (u_id, u_state, u_time, u_message, u_start, u_end, u_history) AS (VALUES ",
                fmt::format(") UPDATE {0} SET state = u_state, state_time = CAST(u_time AS BIGINT), "
                            "state_message = u_message, start_time = coalesce(start_time, CAST(u_start AS BIGINT)), "
                            "end_time = CAST(u_end AS BIGINT), history = substr(history, 1, length(history) - 1) || "
                            "CASE WHEN history = '[]' THEN '' ELSE ',' END || u_history || ']' "
                            "FROM u WHERE {0}.id = u_id",
                            table),
                7, u);
    };
    update_changed(flows, "flow_runs", true);
    update_changed(tasks, "task_runs", false);

    // Task counts of flow runs created earlier.
    rows.clear();
    for (const auto& [flow, count] : new_tasks_per_flow) rows.insert(rows.end(), {flow.str(), count});
    multi_row(c, "WITH u (u_id, u_n) AS (VALUES ",
              ") UPDATE flow_runs SET task_run_count = task_run_count + CAST(u_n AS BIGINT) FROM u "
              "WHERE flow_runs.id = u_id",
              2, rows);

    // The task-name graph of each flow run (graph groups): names of edge ends
    // created in this batch are known, the others are looked up once.
    if (!edges.empty()) {
      std::unordered_map<RunId, std::string> names;
      std::vector<RunId> unknown;
      for (std::size_t i = 0; i < edges.size(); i += 4) {
        for (std::size_t k : {i + 1, i + 2}) {
          const RunId id = RunId::parse(std::get<std::string>(edges[k])).value_or(RunId{});
          if (names.count(id)) continue;
          auto t = tasks.map.find(id);
          if (t != tasks.map.end() && t->second.created_here && t->second.task_created->task_name) {
            names.emplace(id, *t->second.task_created->task_name);
          } else {
            names.emplace(id, std::string());
            unknown.push_back(id);
          }
        }
      }
      in_chunks(unknown, [&](const std::string& list, std::vector<SqlValue>& values) {
        auto r = c.query("SELECT id, task_name FROM task_runs WHERE id IN " + list, values);
        for (std::size_t i = 0; i < r.size(); ++i) names[parse_id(r.at(i, 0))] = r.text(i, 1);
      });
      std::set<std::tuple<std::string, std::string, std::string>> pairs;
      for (std::size_t i = 0; i < edges.size(); i += 4) {
        if (!std::holds_alternative<std::string>(edges[i])) continue;  // an edge outside any flow run
        const auto& up = names[RunId::parse(std::get<std::string>(edges[i + 1])).value_or(RunId{})];
        const auto& down = names[RunId::parse(std::get<std::string>(edges[i + 2])).value_or(RunId{})];
        if (!up.empty() && !down.empty()) pairs.emplace(std::get<std::string>(edges[i]), up, down);
      }
      rows.clear();
      for (const auto& [f, up, down] : pairs) rows.insert(rows.end(), {f, up, down});
      multi_row(c, "INSERT INTO task_group_edges (flow_run, upstream_task, downstream_task) VALUES ",
                " ON CONFLICT (flow_run, upstream_task, downstream_task) DO NOTHING", 3, rows);
    }

    // Edges, log lines and results have no unique keys: COPY where there is one.
    if (!c.copy_rows("task_run_edges (flow_run, upstream, downstream, kind)", 4, edges)) {
      multi_row(c, "INSERT INTO task_run_edges (flow_run, upstream, downstream, kind) VALUES ", "", 4, edges);
    }
    if (!c.copy_rows("logs (flow_run, task_run, level, time, message)", 5, logs)) {
      multi_row(c, "INSERT INTO logs (flow_run, task_run, level, time, message) VALUES ", "", 5, logs);
    }
    if (!c.copy_rows("task_run_results (task_run, flow_run, cache_key, location, size, serializer, produced_by, "
                     "from_cache)",
                     8, results)) {
      multi_row(c,
                "INSERT INTO task_run_results (task_run, flow_run, cache_key, location, size, serializer, "
                "produced_by, from_cache) VALUES ",
                "", 8, results);
    }

    // Events from a flow run's engine are a heartbeat: a run replayed from a
    // spool after an outage is not taken for a dead one.
    in_chunks(flows_alive, [&](const std::string& list, std::vector<SqlValue>& values) {
      values.insert(values.begin(), now_us);
      c.query("UPDATE flow_runs SET heartbeat = ? WHERE end_time IS NULL AND id IN " + list, values);
      values.erase(values.begin());
      auto cancelled = c.query(
          "SELECT id FROM flow_runs WHERE cancel_requested IS NOT NULL AND end_time IS NULL AND id IN " + list, values);
      for (std::size_t i = 0; i < cancelled.size(); ++i) out.cancel_requested.push_back(parse_id(cancelled.at(i, 0)));
    });
    out.flow_runs_touched = flows_alive;

    const SqlValue seq_params[] = {static_cast<std::int64_t>(batch.first_seq + n - 1), batch.source};
    c.query("UPDATE ingest_sources SET last_seq = ? WHERE source = ?", seq_params);
  });
  return out;
}

std::vector<RunId> ServerDatabase::heartbeat(const std::vector<RunId>& flow_runs, std::chrono::microseconds interval,
                                             std::int64_t now_us) {
  std::vector<RunId> cancelled;
  if (flow_runs.empty()) return cancelled;
  write([&](Connection& c) {
    cancelled.clear();
    in_chunks(flow_runs, [&](const std::string& list, std::vector<SqlValue>& values) {
      std::vector<SqlValue> p = {now_us, static_cast<std::int64_t>(interval.count())};
      p.insert(p.end(), values.begin(), values.end());
      c.query("UPDATE flow_runs SET heartbeat = ?, heartbeat_every = ? WHERE end_time IS NULL AND id IN " + list, p);
      auto r = c.query("SELECT id FROM flow_runs WHERE cancel_requested IS NOT NULL AND end_time IS NULL AND id IN " +
                           list,
                       values);
      for (std::size_t i = 0; i < r.size(); ++i) cancelled.push_back(parse_id(r.at(i, 0)));
    });
  });
  return cancelled;
}

store::FlowRunRecord ServerDatabase::cancel(std::string_view id_or_prefix, std::int64_t now_us) {
  const RunId id = resolve_flow_run(id_or_prefix);
  write([&](Connection& c) {
    const SqlValue p[] = {now_us, id.str()};
    c.query("UPDATE flow_runs SET cancel_requested = coalesce(cancel_requested, ?) WHERE id = ? AND end_time IS NULL",
            p);
  });
  auto run = read_flow_run_summary(id);
  if (run.end_time) {
    throw Conflict(fmt::format("flow run {} is already {}", id.str(), to_string(run.state)));
  }
  return run;
}

std::vector<RunId> ServerDatabase::mark_crashed(std::int64_t now_us, std::chrono::microseconds default_interval) {
  std::vector<RunId> marked;
  write([&](Connection& c) {
    marked.clear();
    const SqlValue p[] = {static_cast<std::int64_t>(default_interval.count()), now_us};
    auto r = c.query(
        "SELECT id, coalesce(heartbeat, created), coalesce(heartbeat_every, ?) FROM flow_runs "
        "WHERE end_time IS NULL AND coalesce(heartbeat, created) + 3 * coalesce(heartbeat_every, ?) < ? "
        // Scheduled runs wait for their time and a worker; a claimed run is
        // watched through its worker's lease (work_queue.cpp).
        "AND state NOT IN ('Scheduled', 'Late') AND worker IS NULL",
        std::vector<SqlValue>{p[0], p[0], p[1]});
    for (std::size_t i = 0; i < r.size(); ++i) {
      const std::string id = r.text(i, 0);
      const std::int64_t silent_us = now_us - r.int64(i, 1);
      const std::int64_t every_us = r.int64(i, 2);
      const std::string reason =
          fmt::format("The server marked this run Crashed: no heartbeat for {:.1f} s (3 intervals of {:.1f} s)",
                      static_cast<double>(silent_us) / 1e6, static_cast<double>(every_us) / 1e6);
      std::string transition;
      store::append_transition_json(transition, StateType::Crashed, now_us, reason);
      const std::vector<SqlValue> fp = {now_us, reason, now_us, transition, id, r.int64(i, 1)};
      auto changed = c.query(
          "UPDATE flow_runs SET state = 'Crashed', state_time = ?, state_message = ?, end_time = ?, "
          "history = substr(history, 1, length(history) - 1) || CASE WHEN history = '[]' THEN '' ELSE ',' END || ? "
          "|| ']' WHERE id = ? AND end_time IS NULL AND coalesce(heartbeat, created) = ?",
          fp);
      if (changed.changes == 0) continue;  // it reported meanwhile
      marked.push_back(parse_id(std::optional<std::string>(id)));
      crash_open_task_runs(c, id, "its flow run crashed: " + reason, now_us);
    }
  });
  return marked;
}

RetentionOutcome ServerDatabase::delete_older_than(std::int64_t cutoff_us, int batch) {
  RetentionOutcome total;
  for (;;) {
    RetentionOutcome step;
    bool more = false;
    write([&](Connection& c) {
      step = {};
      const std::vector<SqlValue> p = {cutoff_us, std::int64_t{batch}};
      auto r = c.query("SELECT id FROM flow_runs WHERE end_time IS NOT NULL AND end_time < ? ORDER BY key LIMIT ?", p);
      more = static_cast<int>(r.size()) == batch;
      std::vector<RunId> ids;
      for (std::size_t i = 0; i < r.size(); ++i) ids.push_back(parse_id(r.at(i, 0)));
      in_chunks(ids, [&](const std::string& list, std::vector<SqlValue>& values) {
        // PostgreSQL drops whole days of log lines instead (below).
        if (c.dialect() == Dialect::Sqlite) {
          step.logs += c.query("DELETE FROM logs WHERE flow_run IN " + list, values).changes;
        }
        c.query("DELETE FROM task_run_edges WHERE flow_run IN " + list, values);
        c.query("DELETE FROM task_group_edges WHERE flow_run IN " + list, values);
        c.query("DELETE FROM task_group_counts WHERE flow_run IN " + list, values);
        c.query("DELETE FROM task_group_times WHERE flow_run IN " + list, values);
        c.query("DELETE FROM task_run_results WHERE flow_run IN " + list, values);
        step.task_runs += c.query("DELETE FROM task_runs WHERE flow_run IN " + list, values).changes;
        step.flow_runs += c.query("DELETE FROM flow_runs WHERE id IN " + list, values).changes;
      });
      if (!more && c.dialect() == Dialect::Sqlite) {
        // Lines of runs outside any flow run, and any left behind.
        const std::vector<SqlValue> lp = {cutoff_us};
        step.logs += c.query("DELETE FROM logs WHERE flow_run IS NULL AND time < ?", lp).changes;  // rare: a scan
      }
    });
    total.flow_runs += step.flow_runs;
    total.task_runs += step.task_runs;
    total.logs += step.logs;
    if (!more) {
      total.logs += drop_log_partitions(cutoff_us);
      return total;
    }
  }
}

// ---------------------------------------------------------------- reads

RunId ServerDatabase::resolve(Connection& c, std::string_view table, std::string_view text, std::string_view what) {
  const std::string prefix = normalized_prefix(text);
  if (prefix.empty()) throw NotFound(fmt::format("no {} with id '{}'", what, text));
  std::vector<SqlValue> p;
  std::string sql;
  if (prefix.size() == 36) {
    p = {prefix};
    sql = fmt::format("SELECT id FROM {} WHERE id = ?", table);
  } else {
    p = {prefix, prefix + "g"};
    sql = fmt::format("SELECT id FROM {} WHERE id >= ? AND id < ? ORDER BY id LIMIT 2", table);
  }
  auto r = c.query(sql, p);
  if (r.empty()) throw NotFound(fmt::format("no {} with id '{}'", what, text));
  if (r.size() > 1) throw BadInput("id", fmt::format("'{}' is the prefix of several {}s; give more of the id", text, what));
  return parse_id(r.at(0, 0));
}

RunId ServerDatabase::resolve_flow_run(std::string_view id) {
  return read([&](Connection& c) { return resolve(c, "flow_runs", id, "flow run"); });
}

RunId ServerDatabase::resolve_task_run(std::string_view id) {
  return read([&](Connection& c) { return resolve(c, "task_runs", id, "task run"); });
}

Page<store::FlowRunRecord> ServerDatabase::list_flow_runs(const FlowRunFilter& f) {
  std::string sql = fmt::format("SELECT {} FROM flow_runs WHERE 1 = 1", kFlowColumns);
  std::vector<SqlValue> p;
  if (f.flow) sql += " AND flow_name = ?", p.emplace_back(*f.flow);
  if (!f.states.empty() || f.late) {
    std::string list = f.states.empty() ? std::string("('Late')") : states_in(f.states, p);
    if (f.late && !f.states.empty()) {
      list.pop_back();
      list += ",'Late')";
    }
    sql += " AND state IN " + list;
  }
  for (const auto& tag : f.tags) {
    std::string quoted;
    quoted += '"';
    quoted += tag;
    quoted += '"';
    sql += " AND tags LIKE ? ESCAPE '\\'";
    std::string pattern = like_pattern(quoted);
    // like_pattern lowercases; tags compare exactly, so rebuild without lowering.
    pattern = "%";
    for (char ch : quoted) {
      if (ch == '%' || ch == '_' || ch == '\\') pattern += '\\';
      pattern += ch;
    }
    pattern += '%';
    p.emplace_back(pattern);
  }
  if (f.since_us) sql += " AND created >= ?", p.emplace_back(*f.since_us);
  if (f.until_us) sql += " AND created < ?", p.emplace_back(*f.until_us);
  if (f.parent) sql += " AND parent_flow_run = ?", p.emplace_back(f.parent->str());
  if (f.name) {
    sql += " AND (lower(run_name) LIKE ? ESCAPE '\\' OR lower(flow_name) LIKE ? ESCAPE '\\')";
    p.emplace_back(like_pattern(*f.name));
    p.emplace_back(like_pattern(*f.name));
  }
  if (f.cursor) {
    auto [created, key] = parse_pair_cursor(*f.cursor);
    sql += " AND (created < ? OR (created = ? AND key < ?))";
    p.insert(p.end(), {created, created, key});
  }
  sql += " ORDER BY created DESC, key DESC LIMIT ?";
  p.emplace_back(std::int64_t{f.limit + 1});
  return read([&](Connection& c) {
    auto r = c.query(sql, p);
    Page<store::FlowRunRecord> page;
    const std::size_t n = std::min<std::size_t>(r.size(), static_cast<std::size_t>(f.limit));
    for (std::size_t i = 0; i < n; ++i) page.items.push_back(flow_from(r, i));
    if (r.size() > n) page.next_cursor = fmt::format("{}.{}", r.int64(n - 1, 7), r.int64(n - 1, 20));
    return page;
  });
}

Stats ServerDatabase::flow_run_stats(std::int64_t since_us, std::int64_t until_us, std::int64_t bucket_us,
                                     const std::optional<std::string>& flow) {
  return read([&](Connection& c) {
    std::vector<SqlValue> p = {since_us, bucket_us, since_us, until_us};
    std::string where = " WHERE created >= ? AND created < ?";
    if (flow) where += " AND flow_name = ?", p.emplace_back(*flow);
    auto r = c.query("SELECT (created - ?) / ? AS b, state, count(*) FROM flow_runs" + where +
                         " GROUP BY b, state ORDER BY b",
                     std::span(p).subspan(0, p.size()));
    Stats s;
    const std::int64_t buckets = (until_us - since_us + bucket_us - 1) / bucket_us;
    for (std::int64_t b = 0; b < buckets; ++b) s.buckets.push_back(StatsBucket{since_us + b * bucket_us, {}});
    for (std::size_t i = 0; i < r.size(); ++i) {
      const auto b = r.int64(i, 0);
      if (b < 0 || b >= buckets) continue;
      s.buckets[static_cast<std::size_t>(b)].counts[r.text(i, 1)] += r.int64(i, 2);
    }
    std::vector<SqlValue> q;
    std::string flow_where;
    if (flow) flow_where = " AND flow_name = ?", q.emplace_back(*flow);
    s.running = c.query("SELECT count(*) FROM flow_runs WHERE end_time IS NULL" + flow_where, q).int64(0, 0);
    std::vector<SqlValue> q2 = {since_us, until_us};
    if (flow) q2.emplace_back(*flow);
    auto fc = c.query("SELECT state, count(*) FROM flow_runs WHERE state IN ('Failed', 'Crashed') AND created >= ? "
                      "AND created < ?" +
                          flow_where + " GROUP BY state",
                      q2);
    for (std::size_t i = 0; i < fc.size(); ++i) {
      (fc.text(i, 0) == "Failed" ? s.failed : s.crashed) = fc.int64(i, 1);
    }
    return s;
  });
}

store::FlowRunRecord ServerDatabase::read_flow_run_summary(const RunId& id) {
  return read([&](Connection& c) {
    const SqlValue p = id.str();
    auto r = c.query(fmt::format("SELECT {} FROM flow_runs WHERE id = ?", kFlowColumns), std::span(&p, 1));
    if (r.empty()) throw NotFound(fmt::format("no flow run with id '{}'", id.str()));
    return flow_from(r, 0);
  });
}

std::vector<store::FlowRunRecord> ServerDatabase::read_flow_run_summaries(const std::vector<RunId>& ids) {
  return read([&](Connection& c) {
    std::unordered_map<RunId, store::FlowRunRecord> found;
    in_chunks(ids, [&](const std::string& list, std::vector<SqlValue>& values) {
      auto r = c.query(fmt::format("SELECT {} FROM flow_runs WHERE id IN {}", kFlowColumns, list), values);
      for (std::size_t i = 0; i < r.size(); ++i) {
        auto f = flow_from(r, i);
        found.emplace(f.id, std::move(f));
      }
    });
    std::vector<store::FlowRunRecord> out;
    out.reserve(ids.size());
    for (const auto& id : ids) {
      auto it = found.find(id);
      if (it != found.end()) out.push_back(std::move(it->second));
    }
    return out;
  });
}

FlowRunDetail ServerDatabase::read_flow_run(std::string_view id_or_prefix) {
  return read([&](Connection& c) {
    const RunId id = resolve(c, "flow_runs", id_or_prefix, "flow run");
    const SqlValue p = id.str();
    auto r = c.query(fmt::format("SELECT {} FROM flow_runs WHERE id = ?", kFlowColumns), std::span(&p, 1));
    if (r.empty()) throw NotFound(fmt::format("no flow run with id '{}'", id_or_prefix));
    FlowRunDetail d;
    d.run = flow_from(r, 0);
    d.history_text = r.text(0, 13);
    auto counts = c.query("SELECT state, sum(n) FROM task_group_counts WHERE flow_run = ? GROUP BY state",
                          std::span(&p, 1));
    for (std::size_t i = 0; i < counts.size(); ++i) {
      if (counts.int64(i, 1) != 0) d.task_run_counts[counts.text(i, 0)] = counts.int64(i, 1);
    }
    return d;
  });
}

Page<store::TaskRunRecord> ServerDatabase::list_task_runs(std::string_view flow_run, const TaskRunFilter& f) {
  return read([&](Connection& c) {
    const RunId flow = resolve(c, "flow_runs", flow_run, "flow run");
    std::vector<SqlValue> p = {flow.str()};
    std::string sql = fmt::format("SELECT {} FROM task_runs WHERE flow_run = ?", task_columns(false));
    if (!f.states.empty()) sql += " AND state IN " + states_in(f.states, p);
    if (f.name) {
      sql += " AND (lower(task_name) LIKE ? ESCAPE '\\' OR lower(run_name) LIKE ? ESCAPE '\\')";
      p.emplace_back(like_pattern(*f.name));
      p.emplace_back(like_pattern(*f.name));
    }
    if (f.cursor) {
      auto [created, key] = parse_pair_cursor(*f.cursor);
      sql += " AND (created > ? OR (created = ? AND key > ?))";
      p.insert(p.end(), {created, created, key});
    }
    sql += " ORDER BY created, key LIMIT ?";
    p.emplace_back(std::int64_t{f.limit + 1});
    auto r = c.query(sql, p);
    Page<store::TaskRunRecord> page;
    const std::size_t n = std::min<std::size_t>(r.size(), static_cast<std::size_t>(f.limit));
    for (std::size_t i = 0; i < n; ++i) page.items.push_back(task_from(r, i));
    if (r.size() > n) page.next_cursor = fmt::format("{}.{}", r.int64(n - 1, 6), r.int64(n - 1, 13));
    return page;
  });
}

Graph ServerDatabase::flow_run_graph(std::string_view flow_run, int limit, const std::optional<std::string>& cursor) {
  return read([&](Connection& c) {
    const RunId flow = resolve(c, "flow_runs", flow_run, "flow run");
    const SqlValue fp = flow.str();
    const auto one = std::span(&fp, 1);
    Graph g;
    g.total_nodes = c.query("SELECT task_run_count FROM flow_runs WHERE id = ?", one).int64(0, 0);
    g.total_edges = c.query("SELECT count(*) FROM task_run_edges WHERE flow_run = ?", one).int64(0, 0);
    auto groups = c.query(
        "SELECT g.task_name, g.state, g.n, t.start_time, t.end_time FROM task_group_counts g "
        "LEFT JOIN task_group_times t ON t.flow_run = g.flow_run AND t.task_name = g.task_name "
        "WHERE g.flow_run = ? AND g.n <> 0 ORDER BY g.task_name, g.state",
        one);
    std::map<std::string, GraphGroup> by_name;
    std::vector<std::string> order;
    for (std::size_t i = 0; i < groups.size(); ++i) {
      const std::string name = groups.text(i, 0);
      auto [it, inserted] = by_name.try_emplace(name);
      GraphGroup& gg = it->second;
      if (inserted) {
        gg.task_name = name;
        order.push_back(name);
      }
      const auto n = groups.int64(i, 2);
      gg.count += n;
      gg.counts_by_state[groups.text(i, 1)] += n;
      if (auto s = groups.opt_int64(i, 3); s && (!gg.start_us || *s < *gg.start_us)) gg.start_us = s;
      if (auto e = groups.opt_int64(i, 4); e && (!gg.end_us || *e > *gg.end_us)) gg.end_us = e;
    }
    auto group_edges = c.query("SELECT upstream_task, downstream_task FROM task_group_edges WHERE flow_run = ?", one);
    for (std::size_t i = 0; i < group_edges.size(); ++i) {
      auto it = by_name.find(group_edges.text(i, 1));
      if (it != by_name.end()) it->second.upstream_groups.push_back(group_edges.text(i, 0));
    }
    for (const auto& name : order) {
      auto& gg = by_name[name];
      std::sort(gg.upstream_groups.begin(), gg.upstream_groups.end());
      g.groups.push_back(std::move(gg));
    }
    // One page of nodes, and the edges that end in it.
    if (limit > 0) {
      std::vector<SqlValue> p = {flow.str()};
      std::string sql = fmt::format("SELECT {} FROM task_runs WHERE flow_run = ?", task_columns(false));
      if (cursor) {
        auto [created, key] = parse_pair_cursor(*cursor);
        sql += " AND (created > ? OR (created = ? AND key > ?))";
        p.insert(p.end(), {created, created, key});
      }
      sql += " ORDER BY created, key LIMIT ?";
      p.emplace_back(std::int64_t{limit + 1});
      auto r = c.query(sql, p);
      const std::size_t n = std::min<std::size_t>(r.size(), static_cast<std::size_t>(limit));
      std::vector<RunId> ids;
      for (std::size_t i = 0; i < n; ++i) {
        g.nodes.push_back(task_from(r, i));
        ids.push_back(g.nodes.back().id);
      }
      if (r.size() > n) g.next_cursor = fmt::format("{}.{}", r.int64(n - 1, 6), r.int64(n - 1, 13));
      in_chunks(ids, [&](const std::string& list, std::vector<SqlValue>& values) {
        auto e = c.query("SELECT upstream, downstream, kind FROM task_run_edges WHERE downstream IN " + list, values);
        for (std::size_t i = 0; i < e.size(); ++i) {
          g.edges.push_back(store::EdgeRecord{parse_id(e.at(i, 0)), parse_id(e.at(i, 1)),
                                              e.text(i, 2) == "wait_for" ? engine::EdgeKind::WaitFor
                                                                         : engine::EdgeKind::Data});
        }
      });
    }
    return g;
  });
}

Page<store::LogRecord> ServerDatabase::flow_run_logs(std::string_view flow_run, const LogFilter& f) {
  return read([&](Connection& c) {
    const RunId flow = resolve(c, "flow_runs", flow_run, "flow run");
    std::vector<SqlValue> p = {flow.str()};
    std::string sql = "SELECT flow_run, task_run, level, time, message, key FROM logs WHERE flow_run = ?";
    if (f.min_level) sql += " AND level >= ?", p.emplace_back(std::int64_t{static_cast<int>(*f.min_level)});
    if (f.task_run) sql += " AND task_run = ?", p.emplace_back(f.task_run->str());
    if (f.text) sql += " AND lower(message) LIKE ? ESCAPE '\\'", p.emplace_back(like_pattern(*f.text));
    if (f.cursor) sql += " AND key > ?", p.emplace_back(parse_key_cursor(*f.cursor));
    sql += " ORDER BY key LIMIT ?";
    p.emplace_back(std::int64_t{f.limit + 1});
    auto r = c.query(sql, p);
    Page<store::LogRecord> page;
    const std::size_t n = std::min<std::size_t>(r.size(), static_cast<std::size_t>(f.limit));
    for (std::size_t i = 0; i < n; ++i) page.items.push_back(log_from(r, i));
    if (r.size() > n) page.next_cursor = std::to_string(r.int64(n - 1, 5));
    return page;
  });
}

TaskRunDetail ServerDatabase::read_task_run(std::string_view id_or_prefix) {
  return read([&](Connection& c) {
    const RunId id = resolve(c, "task_runs", id_or_prefix, "task run");
    const SqlValue p = id.str();
    const auto one = std::span(&p, 1);
    auto r = c.query(fmt::format("SELECT {} FROM task_runs WHERE id = ?", task_columns(true)), one);
    if (r.empty()) throw NotFound(fmt::format("no task run with id '{}'", id_or_prefix));
    TaskRunDetail d;
    d.run = task_from(r, 0);
    auto up = c.query("SELECT upstream FROM task_run_edges WHERE downstream = ? ORDER BY key", one);
    for (std::size_t i = 0; i < up.size(); ++i) d.upstream.push_back(parse_id(up.at(i, 0)));
    auto down = c.query("SELECT downstream FROM task_run_edges WHERE upstream = ? ORDER BY key", one);
    for (std::size_t i = 0; i < down.size(); ++i) d.downstream.push_back(parse_id(down.at(i, 0)));
    auto res = c.query(fmt::format("SELECT {} FROM task_run_results r LEFT JOIN task_runs t ON t.id = r.task_run "
                                   "WHERE r.task_run = ? ORDER BY r.key DESC LIMIT 1",
                                   kResultColumns),
                       one);
    if (!res.empty()) d.result = result_from(res, 0);
    return d;
  });
}

Page<store::LogRecord> ServerDatabase::task_run_logs(std::string_view task_run, int limit,
                                                     const std::optional<std::string>& cursor) {
  return read([&](Connection& c) {
    const RunId id = resolve(c, "task_runs", task_run, "task run");
    const SqlValue p = id.str();
    auto flow = c.query("SELECT flow_run FROM task_runs WHERE id = ?", std::span(&p, 1));
    // Found through the flow run's index: log lines are not indexed by task run.
    std::vector<SqlValue> q;
    std::string sql = "SELECT flow_run, task_run, level, time, message, key FROM logs WHERE ";
    if (flow.at(0, 0)) {
      sql += "flow_run = ? AND ";
      q.emplace_back(*flow.at(0, 0));
    }
    sql += "task_run = ?";
    q.emplace_back(id.str());
    if (cursor) sql += " AND key > ?", q.emplace_back(parse_key_cursor(*cursor));
    sql += " ORDER BY key LIMIT ?";
    q.emplace_back(std::int64_t{limit + 1});
    auto r = c.query(sql, q);
    Page<store::LogRecord> page;
    const std::size_t n = std::min<std::size_t>(r.size(), static_cast<std::size_t>(limit));
    for (std::size_t i = 0; i < n; ++i) page.items.push_back(log_from(r, i));
    if (r.size() > n) page.next_cursor = std::to_string(r.int64(n - 1, 5));
    return page;
  });
}

Page<ResultRow> ServerDatabase::flow_run_results(std::string_view flow_run, int limit,
                                                 const std::optional<std::string>& cursor) {
  return read([&](Connection& c) {
    const RunId flow = resolve(c, "flow_runs", flow_run, "flow run");
    std::vector<SqlValue> p = {flow.str()};
    std::string sql = fmt::format(
        "SELECT {} FROM task_run_results r LEFT JOIN task_runs t ON t.id = r.task_run WHERE r.flow_run = ?",
        kResultColumns);
    if (cursor) sql += " AND r.key > ?", p.emplace_back(parse_key_cursor(*cursor));
    sql += " ORDER BY r.key LIMIT ?";
    p.emplace_back(std::int64_t{limit + 1});
    auto r = c.query(sql, p);
    Page<ResultRow> page;
    const std::size_t n = std::min<std::size_t>(r.size(), static_cast<std::size_t>(limit));
    for (std::size_t i = 0; i < n; ++i) page.items.push_back(result_from(r, i));
    if (r.size() > n) page.next_cursor = std::to_string(r.int64(n - 1, 9));
    return page;
  });
}

Page<ResultRow> ServerDatabase::list_results(const std::optional<std::string>& cache_key,
                                             const std::optional<std::string>& task, int limit,
                                             const std::optional<std::string>& cursor) {
  return read([&](Connection& c) {
    std::vector<SqlValue> p;
    std::string sql = fmt::format(
        "SELECT {} FROM task_run_results r LEFT JOIN task_runs t ON t.id = r.task_run WHERE 1 = 1", kResultColumns);
    if (cache_key) sql += " AND r.cache_key = ?", p.emplace_back(*cache_key);
    if (task) sql += " AND t.task_name = ?", p.emplace_back(*task);
    if (cursor) sql += " AND r.key < ?", p.emplace_back(parse_key_cursor(*cursor));
    sql += " ORDER BY r.key DESC LIMIT ?";
    p.emplace_back(std::int64_t{limit + 1});
    auto r = c.query(sql, p);
    Page<ResultRow> page;
    const std::size_t n = std::min<std::size_t>(r.size(), static_cast<std::size_t>(limit));
    for (std::size_t i = 0; i < n; ++i) page.items.push_back(result_from(r, i));
    if (r.size() > n) page.next_cursor = std::to_string(r.int64(n - 1, 9));
    return page;
  });
}

}  // namespace baton::server::db
