#include "store/sqlite_run_store.h"

#include "engine/settings.h"
#include "store/crash_detection.h"
#include "store/history_codec.h"
#include "store/id_blob.h"
#include "store/sqlite_db.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <type_traits>
#include <variant>

namespace baton::store {

namespace {

std::string_view name_or_empty(const std::string* interned) { return interned != nullptr ? *interned : std::string_view(); }

void bind_id(Statement& st, int index, const RunId& id) {
  if (id.empty()) {
    st.bind_null(index);
  } else {
    const IdBlob b = to_blob(id);
    st.bind_blob(index, b.data(), static_cast<int>(b.size()));
  }
}

// Binds without a copy: `storage` must outlive the statement's next reset.
void bind_id_static(Statement& st, int index, const RunId& id, IdBlob& storage) {
  if (id.empty()) {
    st.bind_null(index);
  } else {
    storage = to_blob(id);
    st.bind_blob_static(index, storage.data(), static_cast<int>(storage.size()));
  }
}

void bind_optional(Statement& st, int index, const std::optional<std::int64_t>& v) {
  if (v) {
    st.bind(index, *v);
  } else {
    st.bind_null(index);
  }
}

// The key of a run whose row another writer created: not held in memory.
constexpr std::int64_t kDetached = -1;

bool starts_running(StateType t) { return t == StateType::Running || t == StateType::Retrying; }

}  // namespace

struct SqliteRunStore::Statements {
  explicit Statements(Database& db)
      : insert_flow(db,
                    "INSERT INTO flow_runs (id, parent_flow_run, flow_name, run_name, parameters, tags, version, created, "
                    "state, state_time, state_message, start_time, end_time, history, pid, process_started, hostname, "
                    "heartbeat, heartbeat_every) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"),
        insert_task(db,
                    "INSERT INTO task_runs (id, flow_run, task_name, run_name, parameters, tags, created, state, "
                    "state_time, state_message, start_time, end_time, history) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
        update_flow(db,
                    "UPDATE flow_runs SET state = ?1, state_time = ?2, state_message = ?3, start_time = ?4, "
                    "end_time = ?5, history = ?6 WHERE key = ?7"),
        update_task(db,
                    "UPDATE task_runs SET state = ?1, state_time = ?2, state_message = ?3, start_time = ?4, "
                    "end_time = ?5, history = ?6 WHERE key = ?7"),
        // A run this writer does not hold (written by an earlier store object, or
        // an id created twice): full state from the event, history appended in SQL.
        replace_flow_by_id(db,
                           "UPDATE flow_runs SET state = ?1, state_time = ?2, state_message = ?3, "
                           "start_time = coalesce(start_time, ?4), end_time = ?5, "
                           "history = json_insert(history, '$[#]', json(?6)) WHERE id = ?7 RETURNING key"),
        replace_task_by_id(db,
                           "UPDATE task_runs SET state = ?1, state_time = ?2, state_message = ?3, "
                           "start_time = coalesce(start_time, ?4), end_time = ?5, "
                           "history = json_insert(history, '$[#]', json(?6)) WHERE id = ?7 RETURNING key"),
        insert_edge(db, "INSERT INTO task_run_edges (flow_run, upstream, downstream, kind) VALUES (?1, ?2, ?3, ?4)"),
        insert_log(db, "INSERT INTO logs (flow_run, task_run, level, time, message) VALUES (?1, ?2, ?3, ?4, ?5)"),
        heartbeat(db, "UPDATE flow_runs SET heartbeat = ?1 WHERE id = ?2 RETURNING cancel_requested IS NOT NULL"),
        insert_result(db,
                      "INSERT INTO task_run_results (task_run, flow_run, cache_key, location, size, serializer, "
                      "produced_by, from_cache) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        insert_pack(db, "INSERT INTO task_run_packs (flow_run, created, count, ids, runs) VALUES (?1, ?2, ?3, ?4, ?5)"),
        insert_edge_pack(db,
                         "INSERT INTO task_run_edge_packs (flow_run, count, upstreams, downstreams, kinds) "
                         "VALUES (?1, ?2, ?3, ?4, ?5)") {}

  Statement insert_flow, insert_task, update_flow, update_task, replace_flow_by_id, replace_task_by_id, insert_edge,
      insert_log, heartbeat, insert_result, insert_pack, insert_edge_pack;
};

Result<OpenedRunHistory> open_run_history(const SqliteRunStoreOptions& options) {
  OpenedRunHistory opened;
  std::filesystem::path path;
  try {
    path = options.path.empty() ? settings::database_path() : options.path;
    opened.heartbeat_interval =
        options.heartbeat_interval ? *options.heartbeat_interval : settings::heartbeat_interval();
  } catch (const std::invalid_argument& e) {
    return Status::error(e.what());
  }
  auto db = options.read_only_ok ? Database::open_for_reading(path) : Database::open(path);
  if (!db.ok()) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) {
      if (std::string damage = damage_report(path); !damage.empty()) {
        return Status::error(fmt::format("run history {} is damaged ({}); move it aside and baton starts a new one, "
                                         "or try `sqlite3 {} .recover`",
                                         path.string(), damage, path.string()));
      }
    }
    return db.status();
  }
  opened.db = std::move(db).value();
  if (options.mark_crashed_on_open && !opened.db->read_only()) {
    auto marked = mark_crashed_runs(*opened.db, CrashDetectionOptions{options.clock, opened.heartbeat_interval, {}});
    if (!marked.ok()) return marked.status();
    opened.crashed = *marked;
  }
  return opened;
}

Result<std::unique_ptr<SqliteRunStore>> SqliteRunStore::open(SqliteRunStoreOptions options) {
  auto opened = open_run_history(options);
  if (!opened.ok()) return opened.status();
  try {
    std::unique_ptr<SqliteRunStore> store(new SqliteRunStore(std::move(opened->db), options.clock,
                                                             opened->heartbeat_interval, options.task_run_write_delay));
    store->crashed_on_open_ = opened->crashed;
    return store;
  } catch (const SqliteError& e) {
    return Status::error(e.what());
  }
}

SqliteRunStore::SqliteRunStore(std::unique_ptr<Database> db, Clock* clock, std::chrono::milliseconds heartbeat_interval,
                               std::chrono::milliseconds task_run_write_delay)
    : db_(std::move(db)),
      st_(std::make_unique<Statements>(*db_)),
      clock_(clock),
      heartbeat_interval_(heartbeat_interval),
      task_run_write_delay_(task_run_write_delay) {}

SqliteRunStore::~SqliteRunStore() {
  if (!deferred_.empty()) {
    try {
      WriteTransaction txn(*db_);
      flush_deferred(std::chrono::steady_clock::time_point::max());
      write_packs();
      txn.commit();
      after_commit();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "baton: warning: %zu task runs could not be written to %s: %s\n", deferred_.size(),
                   db_->path().c_str(), e.what());
    }
  }
  // Everything this writer wrote goes from the WAL into baton.db now, as far as
  // other connections' open reads allow (PASSIVE: never waits). The last
  // connection to close (usually this one) checkpoints the rest and removes the WAL.
  sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

const std::filesystem::path& SqliteRunStore::path() const { return db_->path(); }

void SqliteRunStore::write(std::span<const engine::Event> batch) {
  if (batch.empty()) return;
  touched_.clear();
  undo_.clear();
  batch_seen_ = std::chrono::steady_clock::now();
  try {
    WriteTransaction txn(*db_);
    for (const engine::Event& event : batch) {
      std::visit([this](const auto& e) { apply(e); }, event);
    }
    const auto now = std::chrono::steady_clock::now();
    for (OpenRun* run : touched_) {
      run->touched = false;
      const bool young = !run->is_flow && run->key == 0 && !run->end_time && now - run->first_seen < task_run_write_delay_;
      if (young) {
        if (!run->deferred) {
          run->deferred = true;
          deferred_.emplace_back(run->id, run->first_seen);
        }
        continue;
      }
      flush_run(*run);
    }
    touched_.clear();
    flush_deferred(now - task_run_write_delay_);
    write_packs();
    txn.commit();
  } catch (...) {
    // Nothing of this transaction was written; the runs keep what they hold
    // in memory (creation data included) and are written by a later batch.
    for (OpenRun* run : touched_) run->touched = false;
    touched_.clear();
    for (Undo& u : undo_) {
      OpenRun& run = *u.run;
      run.implied_initial = u.implied_initial;
      run.state = u.state;
      run.state_time = u.state_time;
      run.state_message = std::move(u.state_message);
      run.start_time = u.start_time;
      run.end_time = u.end_time;
      run.history.resize(u.history_size);
    }
    undo_.clear();
    forget_uncommitted();
    own_borrowed();
    throw;
  }
  after_commit();
  own_borrowed();
}

void SqliteRunStore::after_commit() {
  for (auto& [run, key] : new_keys_) run->key = key;
  new_keys_.clear();
  for (OpenRun* run : flushed_) {
    run->flow_created.reset();
    run->task_created = nullptr;
    drop_owned(*run);
    if (run->end_time || run->key == kDetached) {
      // Final: nothing follows.
      if (run->is_flow) {
        flows_.erase(run->id);
      } else {
        free_task_slot(*run);
      }
    }
  }
  flushed_.clear();
}

void SqliteRunStore::free_task_slot(OpenRun& run) {
  if (&run == last_task_) last_task_ = nullptr;
  tasks_.erase(run.id);
  run.id = RunId{};
  run.task_created = nullptr;
  run.task_borrowed = false;
  drop_owned(run);
  free_slots_.push_back(run.slot);
}

void SqliteRunStore::drop_owned(OpenRun& run) {
  if (run.task_owned) spare_created_.push_back(std::move(run.task_owned));
}

void SqliteRunStore::own_borrowed() {
  for (OpenRun* run : borrowed_) {
    if (!run->task_borrowed) continue;  // freed, or borrowed again by a later event of the batch
    run->task_borrowed = false;
    if (run->task_created != nullptr) {
      if (spare_created_.empty()) {
        run->task_owned = std::make_unique<engine::TaskRunCreated>(*run->task_created);
      } else {
        // A copy a written run gave back: its strings' capacity is reused.
        run->task_owned = std::move(spare_created_.back());
        spare_created_.pop_back();
        *run->task_owned = *run->task_created;
      }
      run->task_created = run->task_owned.get();
    }
  }
  borrowed_.clear();
}

void SqliteRunStore::forget_uncommitted() {
  // Runs whose first write was rolled back wait for the next one.
  for (OpenRun* run : flushed_) {
    if (run->key == 0 && !run->is_flow && !run->deferred) {
      run->deferred = true;
      deferred_.emplace_front(run->id, run->first_seen);
    }
  }
  flushed_.clear();
  new_keys_.clear();
  for (std::size_t i = 0; i < packs_used_; ++i) packs_[i].count = 0;
  packs_used_ = 0;
  for (std::size_t i = 0; i < edge_packs_used_; ++i) edge_packs_[i].count = 0;
  edge_packs_used_ = 0;
}

SqliteRunStore::OpenRun* SqliteRunStore::find_task(const RunId& id) {
  const std::uint32_t slot = tasks_.find(id);
  return slot == RunSlotIndex::kNone ? nullptr : &task_slots_[slot];
}

void SqliteRunStore::flush_deferred(std::chrono::steady_clock::time_point cutoff) {
  while (!deferred_.empty() && deferred_.front().second <= cutoff) {
    OpenRun* run = find_task(deferred_.front().first);
    deferred_.pop_front();
    if (run == nullptr || !run->deferred) continue;  // written meanwhile
    flush_run(*run);
  }
}

void SqliteRunStore::start_pending(OpenRun& run, TimePoint created) {
  run.first_seen = batch_seen_;
  run.implied_initial = true;
  run.state = StateType::Pending;
  run.state_time = to_micros(created);
  run.state_message.clear();
  run.start_time.reset();
  run.end_time.reset();
  run.history.reserve(128);  // a short run's whole history: no growth as it goes on
  run.history.assign(1, '[');
  append_transition_json(run.history, StateType::Pending, run.state_time, {});
  if (!run.touched) {
    run.touched = true;
    touched_.push_back(&run);
  }
}

void SqliteRunStore::apply(const engine::FlowRunCreated& e) {
  auto [it, inserted] = flows_.try_emplace(e.id);
  OpenRun& run = it->second;
  if (!inserted && run.key != 0) return;  // created twice: the first one stands
  run.id = e.id;
  run.is_flow = true;
  run.flow_created = std::make_unique<engine::FlowRunCreated>(e);
  start_pending(run, e.created);
}

void SqliteRunStore::apply(const engine::TaskRunCreated& e) {
  OpenRun* run = find_task(e.id);
  if (run != nullptr) {
    if (run->key != 0) return;  // created twice: the first one stands
  } else {
    std::uint32_t slot;
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(task_slots_.size());
      task_slots_.emplace_back();
    }
    run = &task_slots_[slot];
    run->slot = slot;
    run->id = e.id;
    run->key = 0;
    run->deferred = false;
    tasks_.insert(e.id, slot);
  }
  run->is_flow = false;
  drop_owned(*run);
  run->task_created = &e;  // read in place; own_borrowed() copies it if the run outlives the batch unwritten
  if (!run->task_borrowed) {
    run->task_borrowed = true;
    borrowed_.push_back(run);
  }
  start_pending(*run, e.created);
}

void SqliteRunStore::apply(const engine::StateChanged& e) {
  const bool is_flow = e.kind == engine::RunKind::Flow;
  const std::int64_t at = to_micros(e.at);
  OpenRun* found = nullptr;
  if (is_flow) {
    auto it = flows_.find(e.run);
    if (it != flows_.end()) found = &it->second;
  } else if (last_task_ != nullptr && last_task_->id == e.run) {
    found = last_task_;  // a task's states usually come one after another (a thread's buffer, EventStream)
  } else {
    found = find_task(e.run);
    last_task_ = found;
  }
  if (found == nullptr) {
    Statement& st = is_flow ? st_->replace_flow_by_id : st_->replace_task_by_id;
    std::string transition;
    append_transition_json(transition, e.type, at, e.message);
    st.bind(1, to_string(e.type)).bind(2, at).bind(3, e.message);
    bind_optional(st, 4, starts_running(e.type) ? std::optional<std::int64_t>(at) : std::nullopt);
    bind_optional(st, 5, is_final(e.type) ? std::optional<std::int64_t>(at) : std::nullopt);
    st.bind(6, transition);
    bind_id(st, 7, e.run);
    st.run();  // an id nobody created changes no row: nothing to record it against
    return;
  }
  OpenRun& run = *found;
  if (!run.touched) {
    // First change by this batch to a run of an earlier one (a run created by
    // this batch is touched at creation, and a resent batch creates it again).
    undo_.push_back(Undo{&run, run.implied_initial, run.state, run.state_time, run.state_message, run.start_time,
                         run.end_time, run.history.size()});
  }
  // The engine may also send the Pending that creation implies: record it once.
  const bool repeat = run.implied_initial && e.type == run.state && e.message.empty();
  run.implied_initial = false;
  if (repeat) return;
  run.state = e.type;
  run.state_time = at;
  run.state_message = e.message;
  if (starts_running(e.type) && !run.start_time) run.start_time = at;
  if (is_final(e.type)) {
    run.end_time = at;
  } else {
    run.end_time.reset();
  }
  append_next_transition_json(run.history, e.type, at, e.message);
  if (!run.touched) {
    run.touched = true;
    touched_.push_back(&run);
  }
}

void SqliteRunStore::apply(const engine::EdgeAdded& e) {
  const std::string_view kind = e.kind == engine::EdgeKind::Data ? std::string_view("data") : std::string_view("wait_for");
  if (e.flow_run.empty()) {
    Statement& st = st_->insert_edge;
    bind_id(st, 1, e.flow_run);
    bind_id(st, 2, e.upstream);
    bind_id(st, 3, e.downstream);
    st.bind(4, kind);
    st.run();
    return;
  }
  // Packed, like final task runs: a row per edge costs more than the task run.
  EdgePack* pack = nullptr;
  for (std::size_t i = edge_packs_used_; i-- > 0;) {  // the newest first: usually the only one
    if (edge_packs_[i].flow_run == e.flow_run) {
      pack = &edge_packs_[i];
      break;
    }
  }
  if (pack == nullptr) {
    if (edge_packs_used_ == edge_packs_.size()) edge_packs_.emplace_back();
    pack = &edge_packs_[edge_packs_used_++];
    pack->flow_run = e.flow_run;
    pack->count = 0;
  }
  if (pack->count == 0) {
    pack->upstreams.clear();
    pack->downstreams.clear();
    pack->kinds.assign(1, '[');
  }
  const IdBlob up = to_blob(e.upstream);
  const IdBlob down = to_blob(e.downstream);
  pack->upstreams.append(reinterpret_cast<const char*>(up.data()), up.size());
  pack->downstreams.append(reinterpret_cast<const char*>(down.data()), down.size());
  if (pack->count > 0) pack->kinds.push_back(',');
  pack->kinds.push_back('"');
  pack->kinds.append(kind);
  pack->kinds.push_back('"');
  ++pack->count;
  constexpr std::size_t kEdgePackBytes = 24 * 1024;
  if (pack->upstreams.size() * 2 >= kEdgePackBytes) write_edge_pack(*pack);
}

void SqliteRunStore::apply(const engine::LogRecorded& e) {
  Statement& st = st_->insert_log;
  IdBlob flow_run, task_run;
  bind_id_static(st, 1, e.flow_run, flow_run);
  bind_id_static(st, 2, e.task_run, task_run);
  st.bind(3, static_cast<std::int64_t>(e.level)).bind(4, to_micros(e.at)).bind_static(5, e.message);
  st.run();
}

void SqliteRunStore::apply(const engine::ResultRecorded& e) {
  Statement& st = st_->insert_result;
  IdBlob task_run, flow_run, produced_by;
  bind_id_static(st, 1, e.task_run, task_run);
  bind_id_static(st, 2, e.flow_run, flow_run);
  st.bind_static(3, e.cache_key).bind_static(4, e.location).bind(5, static_cast<std::int64_t>(e.size));
  st.bind_static(6, e.serializer);
  bind_id_static(st, 7, e.produced_by, produced_by);
  st.bind(8, static_cast<std::int64_t>(e.from_cache ? 1 : 0));
  st.run();
}

void SqliteRunStore::flush_run(OpenRun& run) {
  if (!run.is_flow && run.key == 0 && run.end_time && run.task_created != nullptr &&
      !run.task_created->flow_run.empty()) {
    pack_task_run(run);
    return;
  }
  flushed_.push_back(&run);
  run.deferred = false;  // its deferred_ entry, if any, is stale now (re-added on rollback)
  run.history.push_back(']');
  struct CloseHistory {  // the in-memory history stays open-ended, whatever happens
    std::string& h;
    ~CloseHistory() { h.pop_back(); }
  } close{run.history};

  if (run.key != 0) {
    Statement& st = run.is_flow ? st_->update_flow : st_->update_task;
    st.bind_static(1, to_string(run.state)).bind(2, run.state_time).bind_static(3, run.state_message);
    bind_optional(st, 4, run.start_time);
    bind_optional(st, 5, run.end_time);
    st.bind_static(6, run.history).bind(7, run.key);
    st.run();
    return;
  }

  bool inserted = false;
  IdBlob id_blob, parent_blob;
  if (run.is_flow) {
    const engine::FlowRunCreated& c = *run.flow_created;
    Statement& st = st_->insert_flow;
    bind_id_static(st, 1, c.id, id_blob);
    bind_id_static(st, 2, c.parent_flow_run, parent_blob);
    st.bind_static(3, name_or_empty(c.flow_name)).bind_static(4, c.run_name);
    st.bind_static(5, c.parameters_json.empty() ? std::string_view("{}") : std::string_view(c.parameters_json));
    st.bind_static(6, c.tags_json.empty() ? std::string_view("[]") : std::string_view(c.tags_json));
    st.bind_static(7, c.version).bind(8, to_micros(c.created));
    st.bind_static(9, to_string(run.state)).bind(10, run.state_time).bind_static(11, run.state_message);
    bind_optional(st, 12, run.start_time);
    bind_optional(st, 13, run.end_time);
    st.bind_static(14, run.history).bind(15, c.pid).bind(16, static_cast<std::int64_t>(c.process_started));
    st.bind_static(17, c.hostname).bind(18, to_micros(clock_->now()));
    st.bind(19, std::chrono::duration_cast<std::chrono::microseconds>(heartbeat_interval_).count());
    inserted = st.run_unless_constraint();
  } else {
    const engine::TaskRunCreated& c = *run.task_created;  // set until the run's first write
    Statement& st = st_->insert_task;
    bind_id_static(st, 1, c.id, id_blob);
    bind_id_static(st, 2, c.flow_run, parent_blob);
    st.bind_static(3, name_or_empty(c.task_name)).bind_static(4, c.run_name);
    st.bind_static(5, c.parameters_json.empty() ? std::string_view("{}") : std::string_view(c.parameters_json));
    st.bind_static(6, c.tags_json.empty() ? std::string_view("[]") : std::string_view(c.tags_json));
    st.bind(7, to_micros(c.created));
    st.bind_static(8, to_string(run.state)).bind(9, run.state_time).bind_static(10, run.state_message);
    bind_optional(st, 11, run.start_time);
    bind_optional(st, 12, run.end_time);
    st.bind_static(13, run.history);
    inserted = st.run_unless_constraint();
  }
  if (inserted) {
    new_keys_.emplace_back(&run, sqlite3_last_insert_rowid(db_->handle()));
    return;
  }
  // The id is already in the database (a run created twice, or by an earlier
  // store object): its row stands. Append this state to it, and from now on
  // treat the run as one this writer does not hold (updates append in SQL).
  Statement& st = run.is_flow ? st_->replace_flow_by_id : st_->replace_task_by_id;
  std::string transition;
  append_transition_json(transition, run.state, run.state_time, run.state_message);
  st.bind(1, to_string(run.state)).bind(2, run.state_time).bind(3, run.state_message);
  bind_optional(st, 4, run.start_time);
  bind_optional(st, 5, run.end_time);
  st.bind(6, transition);
  bind_id(st, 7, run.id);
  st.run();
  new_keys_.emplace_back(&run, kDetached);
}

void SqliteRunStore::pack_task_run(OpenRun& run) {
  flushed_.push_back(&run);
  run.deferred = false;
  const engine::TaskRunCreated& c = *run.task_created;
  // Most batches hold the task runs of one flow run: try the last pack first.
  Pack* pack = nullptr;
  if (last_pack_ < packs_used_ && packs_[last_pack_].flow_run == c.flow_run) {
    pack = &packs_[last_pack_];
  } else {
    for (std::size_t i = 0; i < packs_used_; ++i) {
      if (packs_[i].flow_run == c.flow_run) {
        last_pack_ = i;
        pack = &packs_[i];
        break;
      }
    }
  }
  if (pack == nullptr) {
    if (packs_used_ == packs_.size()) packs_.emplace_back();
    last_pack_ = packs_used_++;
    pack = &packs_[last_pack_];
    pack->flow_run = c.flow_run;
    pack->count = 0;
  }
  if (pack->count == 0) {
    pack->created = std::numeric_limits<std::int64_t>::max();
    pack->ids.clear();
    pack->runs.assign(1, '[');
  }
  const IdBlob id = to_blob(run.id);
  pack->ids.append(reinterpret_cast<const char*>(id.data()), id.size());
  const std::int64_t created = to_micros(c.created);
  pack->created = std::min(pack->created, created);
  ++pack->count;
  append_packed_task_run(pack->runs, name_or_empty(c.task_name), c.run_name, c.parameters_json, c.tags_json, created,
                         run.history);
  // A pack is written once it reaches a few pages, so that SQLite never needs
  // one large buffer for it (each costs the allocator a heap resize), and the
  // writer's memory stays flat however many runs a batch finishes.
  constexpr std::size_t kPackBytes = 24 * 1024;
  if (pack->runs.size() >= kPackBytes) write_pack(*pack);
}

void SqliteRunStore::write_pack(Pack& pack) {
  if (pack.count == 0) return;
  Statement& st = st_->insert_pack;
  pack.runs.push_back(']');
  IdBlob flow_run;
  bind_id_static(st, 1, pack.flow_run, flow_run);
  st.bind(2, pack.created).bind(3, pack.count);
  st.bind_blob_static(4, pack.ids.data(), static_cast<int>(pack.ids.size()));
  st.bind_static(5, pack.runs);
  pack.count = 0;  // before run(): a failed insert rolls the transaction back, the runs are packed again
  st.run();
}

void SqliteRunStore::write_edge_pack(EdgePack& pack) {
  if (pack.count == 0) return;
  Statement& st = st_->insert_edge_pack;
  pack.kinds.push_back(']');
  IdBlob flow_run;
  bind_id_static(st, 1, pack.flow_run, flow_run);
  st.bind(2, pack.count);
  st.bind_blob_static(3, pack.upstreams.data(), static_cast<int>(pack.upstreams.size()));
  st.bind_blob_static(4, pack.downstreams.data(), static_cast<int>(pack.downstreams.size()));
  st.bind_static(5, pack.kinds);
  pack.count = 0;
  st.run();
}

void SqliteRunStore::write_packs() {
  for (std::size_t i = 0; i < packs_used_; ++i) write_pack(packs_[i]);
  packs_used_ = 0;
  for (std::size_t i = 0; i < edge_packs_used_; ++i) write_edge_pack(edge_packs_[i]);
  edge_packs_used_ = 0;
}

std::vector<RunId> SqliteRunStore::heartbeat(std::span<const RunId> active_flow_runs) {
  std::vector<RunId> cancelled;
  if (active_flow_runs.empty() && deferred_.empty()) return cancelled;
  const std::int64_t now = to_micros(clock_->now());
  try {
    WriteTransaction txn(*db_);
    flush_deferred(std::chrono::steady_clock::time_point::max());
    write_packs();
    Statement& st = st_->heartbeat;
    for (const RunId& id : active_flow_runs) {
      st.bind(1, now);
      bind_id(st, 2, id);
      if (st.step() && st.int64(0) != 0) cancelled.push_back(id);
      while (st.step()) {
      }
      st.reset();
    }
    txn.commit();
  } catch (...) {
    forget_uncommitted();
    throw;
  }
  after_commit();
  return cancelled;
}

Result<std::unique_ptr<engine::RunStoreSink>> open_default_run_store() {
  auto store = SqliteRunStore::open();
  if (!store.ok()) return store.status();
  return std::unique_ptr<engine::RunStoreSink>(std::move(store).value());
}

}  // namespace baton::store
