#include "runners/remote_protocol.h"

#include <baton/detail/remote_task.h>
#include <baton/error.h>

#include "engine/flow_run.h"
#include "engine/log_capture.h"
#include "engine/result_backend.h"
#include "engine/run_context.h"
#include "engine/settings.h"

#include <cxxabi.h>

#include <cstdlib>
#include <limits>
#include <vector>

namespace baton::runners {

namespace {

enum class ArgTag : std::uint8_t { Inline = 0, Stored = 1, Held = 2 };
enum class ValueTag : std::uint8_t { None = 0, Inline = 1, Stored = 2, Held = 3 };

engine::ResultBackend& backend() {
  engine::ResultBackend* b = engine::result_backend();
  if (b == nullptr) throw Error("no result backend is linked (link the umbrella library baton)");
  return *b;
}

// A storage another process can reach ("memory" is each process's own).
bool shareable(const std::shared_ptr<ResultStorage>& storage) {
  return storage != nullptr && storage->location() != "memory";
}

std::shared_ptr<ResultStorage> open_storage(std::string_view location) {
  auto opened = backend().open_storage(location);
  if (!opened.ok()) throw Error("cannot open result storage " + std::string(location) + ": " + opened.status().message());
  return *opened;
}

// Appends serialized bytes to a message behind a length prefix, without a
// second copy of the value.
class AppendSink final : public ByteSink {
 public:
  explicit AppendSink(std::string& out) : out_(out) {}
  Status write(const void* data, std::size_t size) override {
    out_.append(static_cast<const char*>(data), size);
    return Status();
  }

 private:
  std::string& out_;
};

void write_serialized(std::string& out, const std::function<void(ByteSink&)>& write) {
  const std::size_t length_at = out.size();
  WireWriter(out).u64(0);
  AppendSink sink(out);
  write(sink);
  const std::uint64_t length = out.size() - length_at - sizeof(std::uint64_t);
  std::memcpy(out.data() + length_at, &length, sizeof length);
}

void write_stored_reference(WireWriter& w, const ResultStorage& storage, const ResultRecord& record) {
  w.u8(static_cast<std::uint8_t>(ArgTag::Stored));
  w.str(storage.location());
  w.str(encode_record(record));
}

class RequestArguments final : public detail::RemoteArgumentSink {
 public:
  RequestArguments(std::string& out, int target) : out_(out), target_(target) {}

  std::uint64_t count() const { return count_; }

  void value(const std::function<void(ByteSink&)>& write) override {
    ++count_;
    WireWriter(out_).u8(static_cast<std::uint8_t>(ArgTag::Inline));
    write_serialized(out_, write);
  }

  void upstream(detail::TaskRunCore& run, bool same_type, const std::function<void(ByteSink&)>& write) override {
    if (same_type && !run.value_ready_.load(std::memory_order_acquire)) {
      std::shared_ptr<detail::RemoteValue> remote;
      std::shared_ptr<const ResultRecord> record;
      std::shared_ptr<ResultStorage> storage;
      {
        std::lock_guard lock(run.mu_);
        remote = run.remote_value_;
        record = run.record_;
        storage = run.record_storage_;
      }
      WireWriter w(out_);
      auto* traveling = dynamic_cast<TravelingValue*>(remote.get());
      if (traveling != nullptr && traveling->write_reference(w, target_)) {
        ++count_;
        return;
      }
      if (record && shareable(storage)) {
        ++count_;
        write_stored_reference(w, *storage, *record);
        return;
      }
    }
    value(write);
  }

 private:
  std::string& out_;
  int target_;
  std::uint64_t count_ = 0;
};

// A result a worker wrote to result storage only for the trip back: read on
// demand, deleted when the run is dropped.
class TransientValue final : public TravelingValue {
 public:
  TransientValue(std::shared_ptr<ResultStorage> storage, ResultRecord record)
      : storage_(std::move(storage)), record_(std::move(record)) {}
  ~TransientValue() override {
    (void)storage_->delete_payload(record_.storage_key);
    (void)storage_->delete_metadata(record_.key);
  }
  void load_into(detail::TaskRunCore& run) override {
    auto error = backend().load(storage_, record_, run.value_type_name(),
                                [&run](const Serializer& s, ByteSource& source) { run.read_value(s, source); });
    if (error) throw Error("the result of task run '" + run.run_name() + "' cannot be read back: " + *error);
  }
  bool write_reference(WireWriter& w, int) const override {
    write_stored_reference(w, *storage_, record_);
    return true;
  }
  Fingerprint fingerprint() const override {
    Hasher h;
    h.update(&record_.checksum, sizeof record_.checksum);
    h.update(&record_.size, sizeof record_.size);
    h.update(record_.type_name);
    return h.digest();
  }
  std::uint64_t size() const override { return record_.size; }

 private:
  std::shared_ptr<ResultStorage> storage_;
  ResultRecord record_;
};

// ---- Worker side.

struct ParsedArgument {
  ArgTag tag = ArgTag::Inline;
  std::string_view bytes;     // Inline
  std::string_view location;  // Stored
  std::string_view record;    // Stored
  std::uint64_t handle = 0;   // Held
};

class ReceivedArguments final : public detail::RemoteArguments {
 public:
  ReceivedArguments(std::vector<ParsedArgument> args, WorkerServices& services)
      : args_(std::move(args)), services_(services) {}

  void read(std::size_t i, std::string_view type_name,
            const std::function<void(const Serializer&, ByteSource&)>& read) override {
    const ParsedArgument& a = args_.at(i);
    const std::string which = "argument " + std::to_string(i + 1);
    switch (a.tag) {
      case ArgTag::Inline: {
        SpanSource source(a.bytes);
        read(Serializer::binary(), source);
        return;
      }
      case ArgTag::Stored: {
        auto record = decode_record(a.record, "the reference of " + which);
        if (!record.ok()) throw Error(record.status().message());
        auto error = backend().load(open_storage(a.location), *record, type_name, read);
        if (error) throw Error(which + " cannot be read from result storage: " + *error);
        return;
      }
      case ArgTag::Held: {
        const WorkerServices::Held* held = services_.held(a.handle);
        if (held == nullptr) {
          throw Error(which + " names value " + std::to_string(a.handle) + ", which " + services_.describe() +
                      " does not hold");
        }
        auto serializer = Serializer::from_name(held->serializer);
        SpanSource source(held->bytes);
        read(serializer.value_or(Serializer::binary()), source);
        return;
      }
    }
    throw Error(which + " has an unknown kind");
  }

 private:
  std::vector<ParsedArgument> args_;
  WorkerServices& services_;
};

std::string demangled_current_exception_type() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  if (type == nullptr) return "unknown";
  int status = 0;
  char* name = abi::__cxa_demangle(type->name(), nullptr, nullptr, &status);
  std::string out = status == 0 && name != nullptr ? name : type->name();
  std::free(name);
  return out;
}

std::string error_reply(std::uint64_t call_id, const std::string& type, const std::string& message) {
  std::string out;
  WireWriter w(out);
  w.u8(static_cast<std::uint8_t>(MessageKind::Reply));
  w.u64(call_id);
  w.u8(1);
  w.str(type);
  w.str(message);
  return out;
}

}  // namespace

void write_held_reference(WireWriter& w, std::uint64_t handle) {
  w.u8(static_cast<std::uint8_t>(ArgTag::Held));
  w.u64(handle);
}

namespace {

// The settings a flow run's calls share; see encode_request.
struct CallSettings {
  RunId flow;
  bool read = false;
  std::uint64_t inline_limit = 0;
  std::optional<std::string> spill;  // read when first needed: empty when no storage is shareable
};

CallSettings& call_settings(const detail::FlowRunCore* flow) {
  thread_local CallSettings cached;
  // Without a flow run (no id to tell runs apart) the settings are read each time.
  if (!cached.read || flow == nullptr || cached.flow != flow->id) {
    cached.flow = flow != nullptr ? flow->id : RunId{};
    cached.inline_limit = settings::inline_result_bytes();
    cached.spill.reset();
    cached.read = true;
  }
  return cached;
}

const std::string& spill_location(CallSettings& settings) {
  if (!settings.spill) {
    settings.spill.emplace();
    try {
      auto storage = backend().default_storage();
      if (shareable(storage)) *settings.spill = storage->location();
    } catch (const std::exception&) {
      // No usable default storage: large results come back inline.
    }
  }
  return *settings.spill;
}

}  // namespace

std::string encode_request(detail::TaskRunCore& run, const detail::ResultPlan& plan, const RequestOptions& options) {
  const detail::TaskOptions& o = run.options();
  const detail::FlowRunCore* flow = run.flow_.get();
  const bool persist_there = plan.persist && shareable(plan.storage);
  // A plan the worker cannot carry out (results in this process's memory) is
  // carried out here, which needs the value here.
  const bool keep_value = !plan.persist || plan.keep_in_memory || !persist_there;
  CallSettings& settings = call_settings(flow);
  static const std::string kNoSpill;
  const std::string& spill = !plan.persist || !persist_there ? spill_location(settings) : kNoSpill;

  std::string out;
  // One allocation for the fixed fields and a small argument, not a few as it grows.
  out.reserve(256 + o.remote->key.size() + 2 * run.run_name().size() + spill.size());
  WireWriter w(out);
  w.u64(options.call_id);
  w.str(o.remote->key);
  w.u64(o.remote->serial);
  w.id(flow != nullptr ? flow->id : RunId{});
  w.id(run.id());
  static constexpr std::string_view kPrefix = "Task run '";
  w.u64(kPrefix.size() + run.run_name().size() + 1);  // "Task run '<name>'", without a temporary
  out.append(kPrefix).append(run.run_name()).push_back('\'');
  const detail::RunContext& ctx = detail::current_context();
  w.u8(ctx.log_prints ? 1 : 0);
  w.u64(persist_there || !plan.persist ? settings.inline_limit : std::numeric_limits<std::uint64_t>::max());
  w.u8(keep_value ? 1 : 0);
  w.str(spill);
  w.u8(persist_there ? 1 : 0);
  if (persist_there) {
    w.str(plan.storage->location());
    w.str(plan.serializer.name());
    w.opt_str(plan.cache_key);
    w.opt_str(plan.storage_key);
    w.i64(plan.expiration ? plan.expiration->count() : -1);
    w.str(*o.name);
  }
  const std::size_t count_at = out.size();
  w.u64(0);
  RequestArguments args(out, options.target);
  run.write_arguments(args);
  // The count is patched in: the typed run knows it, this file does not.
  const std::uint64_t count = args.count();
  std::memcpy(out.data() + count_at, &count, sizeof count);
  return out;
}

engine::RemoteOutcome apply_reply(detail::TaskRunCore& run, WireReader& r, const HeldFactory& held) {
  if (r.u8() != 0) {
    std::string type(r.str());
    std::string message(r.str());
    throw RemoteTaskError(std::move(type), message);
  }
  engine::RemoteOutcome outcome;
  if (auto text = r.opt_str()) {
    auto record = decode_record(*text, "a worker's reply");
    if (!record.ok()) throw Error(record.status().message());
    outcome.persisted = std::move(*record);
  }
  switch (static_cast<ValueTag>(r.u8())) {
    case ValueTag::None:
      outcome.value_in_memory = run.value_type_name() == "void";
      break;
    case ValueTag::Inline: {
      auto serializer = Serializer::from_name(r.str());
      SpanSource source(r.str());
      run.read_value(serializer.value_or(Serializer::binary()), source);
      outcome.value_in_memory = true;
      break;
    }
    case ValueTag::Stored: {
      std::string location(r.str());
      auto record = decode_record(r.str(), "a worker's reply");
      if (!record.ok()) throw Error(record.status().message());
      const bool transient = r.u8() != 0;
      if (transient) {
        auto value = std::make_shared<TransientValue>(open_storage(location), std::move(*record));
        std::lock_guard lock(run.mu_);
        run.remote_value_ = std::move(value);
      }
      break;  // otherwise the persisted record is the reference
    }
    case ValueTag::Held: {
      const std::uint64_t handle = r.u64();
      const std::uint64_t size = r.u64();
      Fingerprint f;
      f.hi = r.u64();
      f.lo = r.u64();
      if (!held) throw Error("a worker replied with a held value where none can be held");
      auto value = held(handle, size, f);
      std::lock_guard lock(run.mu_);
      run.remote_value_ = std::move(value);
      break;
    }
    default:
      throw Error("a worker's reply has an unknown value kind");
  }
  return outcome;
}

std::uint64_t peek_call_id(std::string_view message) { return WireReader(message).u64(); }

std::string serve_request(std::string_view request, WorkerServices& services) {
  std::uint64_t call_id = 0;
  try {
    WireReader r(request);
    call_id = r.u64();
    const std::string key(r.str());
    const std::uint64_t serial = r.u64();
    detail::RemoteOrigin origin{r.id(), r.id(), std::string(r.str())};
    const bool log_prints = r.u8() != 0;
    const std::uint64_t inline_limit = r.u64();
    const bool keep_value = r.u8() != 0;
    const std::string spill(r.str());
    const bool persist = r.u8() != 0;
    std::string persist_location;
    Serializer serializer = Serializer::binary();
    engine::PersistRequest persist_request;
    if (persist) {
      persist_location = r.str();
      const std::string name(r.str());
      auto s = Serializer::from_name(name);
      if (!s) throw Error("unknown serializer '" + name + "'");
      serializer = *s;
      persist_request.cache_key = r.opt_str();
      persist_request.storage_key = r.opt_str();
      const std::int64_t expiration = r.i64();
      if (expiration >= 0) persist_request.expiration = std::chrono::milliseconds(expiration);
      persist_request.task_name = r.str();
      persist_request.task_run_id = origin.task_run;
    }
    std::vector<ParsedArgument> parsed(r.u64());
    for (ParsedArgument& a : parsed) {
      a.tag = static_cast<ArgTag>(r.u8());
      switch (a.tag) {
        case ArgTag::Inline: a.bytes = r.str(); break;
        case ArgTag::Stored: a.location = r.str(), a.record = r.str(); break;
        case ArgTag::Held: a.handle = r.u64(); break;
        default: throw Error("a request has an argument of unknown kind");
      }
    }

    const detail::RemoteTask* task = detail::find_remote_task(key, serial);
    if (task == nullptr) {
      throw Error("task " + key + " is not defined in " + services.describe() +
                  ": define tasks before the flow starts (at namespace scope, or in main before the first flow call)");
    }
    if (!task->invoke) throw Error("task " + key + " cannot run in another process: " + task->unsendable);

    StringSink result;
    {
      ReceivedArguments args(std::move(parsed), services);
      detail::ContextGuard guard(detail::RunContext{nullptr, nullptr, {}, log_prints, &origin});
      try {
        task->invoke(args, serializer, result);
      } catch (...) {
        engine::flush_thread_output();
        std::string message = "unknown exception";
        try {
          throw;
        } catch (const std::exception& e) {
          message = e.what();
        } catch (...) {
        }
        return error_reply(call_id, demangled_current_exception_type(), message);
      }
      engine::flush_thread_output();
    }

    std::string out;
    WireWriter w(out);
    w.u8(static_cast<std::uint8_t>(MessageKind::Reply));
    w.u64(call_id);
    w.u8(0);
    std::string& bytes = result.str();
    auto write_bytes = [&bytes](ByteSink& sink) {
      if (Status s = sink.write(bytes.data(), bytes.size()); !s.ok()) throw SerializationError(s.message());
    };
    std::optional<ResultRecord> persisted;
    if (persist) {
      auto record = backend().persist(open_storage(persist_location), serializer, task->result_type,
                                      persist_request, write_bytes);
      if (!record.ok()) throw Error("the result could not be persisted: " + record.status().message());
      persisted = std::move(*record);
      w.opt_str(encode_record(*persisted));
    } else {
      w.opt_str(std::nullopt);
    }

    const bool has_value = task->result_type != "void";
    if (!keep_value || !has_value) {
      w.u8(static_cast<std::uint8_t>(ValueTag::None));
    } else if (bytes.size() <= inline_limit) {
      w.u8(static_cast<std::uint8_t>(ValueTag::Inline));
      w.str(serializer.name());
      w.str(bytes);
    } else if (services.holds_values()) {
      const std::uint64_t size = bytes.size();
      Hasher digest;  // lets rank 0 make cache keys from the value without fetching it
      digest.update(bytes);
      digest.update(task->result_type);
      const Fingerprint f = digest.digest();
      w.u8(static_cast<std::uint8_t>(ValueTag::Held));
      w.u64(services.hold({std::move(bytes), serializer.name()}));
      w.u64(size);
      w.u64(f.hi);
      w.u64(f.lo);
    } else if (persisted) {
      w.u8(static_cast<std::uint8_t>(ValueTag::Stored));
      w.str(persist_location);
      w.str(encode_record(*persisted));
      w.u8(0);
    } else if (!spill.empty()) {
      engine::PersistRequest transient;
      transient.storage_key = "transient/" + origin.task_run.str();
      transient.task_name = key;
      transient.task_run_id = origin.task_run;
      auto record = backend().persist(open_storage(spill), serializer, task->result_type, transient, write_bytes);
      if (!record.ok()) throw Error("the result could not be written for the trip back: " + record.status().message());
      w.u8(static_cast<std::uint8_t>(ValueTag::Stored));
      w.str(spill);
      w.str(encode_record(*record));
      w.u8(1);
    } else {
      w.u8(static_cast<std::uint8_t>(ValueTag::Inline));
      w.str(serializer.name());
      w.str(bytes);
    }
    return out;
  } catch (const std::exception& e) {
    return error_reply(call_id, "baton::Error", e.what());
  }
}

}  // namespace baton::runners
