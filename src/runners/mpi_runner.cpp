#include "runners/mpi_runner.h"

#include <baton/error.h>

#include "engine/run_context.h"
#include "engine/runtime.h"
#include "engine/settings.h"
#include "runners/event_codec.h"
#include "runners/remote_protocol.h"

#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace baton::runners {

namespace {

MpiRunner* g_runner = nullptr;  // the one per process (MPI is initialized once)

struct Message {
  int source = 0;
  int tag = 0;
  std::string bytes;
};

// A value a worker rank holds: named by handle in requests to that rank,
// fetched through rank 0 only when it is needed elsewhere, released with the run.
class HeldValue final : public TravelingValue {
 public:
  HeldValue(MpiRunner& runner, int rank, std::uint64_t handle, std::uint64_t size, const Fingerprint& digest)
      : runner_(runner), rank_(rank), handle_(handle), size_(size), digest_(digest) {}
  ~HeldValue() override { runner_.release(rank_, handle_); }

  void load_into(detail::TaskRunCore& run) override {
    std::string serializer;
    std::string bytes = runner_.fetch(rank_, handle_, serializer);
    SpanSource source(bytes);
    run.read_value(Serializer::from_name(serializer).value_or(Serializer::binary()), source);
  }
  bool write_reference(WireWriter& w, int target) const override {
    if (target != rank_) return false;
    write_held_reference(w, handle_);
    return true;
  }
  int holder() const override { return rank_; }
  std::uint64_t size() const override { return size_; }
  Fingerprint fingerprint() const override { return digest_; }

 private:
  MpiRunner& runner_;
  int rank_;
  std::uint64_t handle_;
  std::uint64_t size_;
  Fingerprint digest_;
};

class RankServices final : public WorkerServices {
 public:
  explicit RankServices(int rank) : rank_(rank) {}
  bool holds_values() const override { return true; }
  std::uint64_t hold(Held value) override {
    values_.emplace(next_, std::move(value));
    return next_++;
  }
  const Held* held(std::uint64_t handle) override {
    auto it = values_.find(handle);
    return it == values_.end() ? nullptr : &it->second;
  }
  void drop(std::uint64_t handle) { values_.erase(handle); }
  std::string describe() const override { return "MPI rank " + std::to_string(rank_); }

 private:
  int rank_;
  std::uint64_t next_ = 1;
  std::unordered_map<std::uint64_t, Held> values_;
};

// The whole of the message after `offset`, moved out without a copy of the head.
std::string tail(std::string&& bytes, std::size_t offset) {
  bytes.erase(0, offset);
  return std::move(bytes);
}

}  // namespace

MpiRunner::MpiRunner(int in_flight_per_rank) : in_flight_(in_flight_per_rank > 0 ? in_flight_per_rank : 8) {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
  thread_multiple_ = provided >= MPI_THREAD_MULTIPLE;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  g_runner = this;
  if (rank_ != 0) {
    engine::mark_worker_process();  // rank 0 keeps the history
    dispatch_.emplace(1);
    return;
  }
  busy_.assign(static_cast<std::size_t>(size_), 0);
  dispatch_.emplace(std::max(1, (size_ - 1) * in_flight_));
  receiver_ = std::thread([this] { receive_loop(); });
  std::atexit([] {
    if (g_runner != nullptr) g_runner->shut_down();
  });
}

void MpiRunner::send(int rank, int tag, std::string_view bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    throw Error("a message of " + std::to_string(bytes.size()) + " bytes for MPI rank " + std::to_string(rank) +
                " is over MPI's 2 GiB message limit; persist such results to shared result storage instead");
  }
  std::unique_lock lock(send_mu_, std::defer_lock);
  if (!thread_multiple_) lock.lock();
  MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, rank, tag, MPI_COMM_WORLD);
  if (rank_ == 0 && rank != 0) {
    bytes_through_rank0_ += bytes.size();
    ++messages_;
  }
}

namespace {

// The next message from `source`: polls, backing off to sleeps when idle.
Message receive_next(int source, std::mutex& mu, bool thread_multiple) {
  int idle = 0;
  for (;;) {
    int flag = 0;
    MPI_Message handle;
    MPI_Status status;
    {
      std::unique_lock lock(mu, std::defer_lock);
      if (!thread_multiple) lock.lock();
      MPI_Improbe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &handle, &status);
      if (flag) {
        int count = 0;
        MPI_Get_count(&status, MPI_BYTE, &count);
        Message m{status.MPI_SOURCE, status.MPI_TAG, std::string(static_cast<std::size_t>(count), '\0')};
        MPI_Mrecv(m.bytes.data(), count, MPI_BYTE, &handle, &status);
        return m;
      }
    }
    ++idle;
    if (idle < 50) continue;  // a reply usually follows within microseconds
    const int us = idle < 200 ? 20 : idle < 1000 ? 100 : 500;
    usleep(static_cast<useconds_t>(us));
  }
}

}  // namespace

void MpiRunner::receive_loop() {
  engine::Runtime& rt = engine::Runtime::get();
  for (;;) {
    Message m = receive_next(MPI_ANY_SOURCE, send_mu_, thread_multiple_);
    if (m.source != 0) {
      bytes_through_rank0_ += m.bytes.size();
      ++messages_;
    }
    const auto kind = static_cast<MessageKind>(m.tag);
    if (kind == MessageKind::Shutdown) return;
    if (kind == MessageKind::Event) {
      WireReader r(m.bytes);
      try {
        rt.record(read_event(r));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "baton: MPI rank %d sent a malformed event: %s\n", m.source, e.what());
      }
      continue;
    }
    if (kind != MessageKind::Reply && kind != MessageKind::FetchReply) continue;
    const std::uint64_t id = peek_call_id(m.bytes);
    {
      std::lock_guard lock(mu_);
      if (kind == MessageKind::Reply) --busy_[static_cast<std::size_t>(m.source)];
      auto it = pending_.find(id);
      if (it != pending_.end()) it->second = std::move(m.bytes);
    }
    cv_.notify_all();
  }
}

std::uint64_t MpiRunner::expect_reply() {
  const std::uint64_t id = next_id_++;
  pending_.emplace(id, std::nullopt);
  return id;
}

std::optional<std::string> MpiRunner::await(std::uint64_t id, const std::stop_token& stop) {
  std::unique_lock lock(mu_);
  for (;;) {
    auto it = pending_.find(id);
    if (it->second) {
      std::string reply = std::move(*it->second);
      pending_.erase(it);
      return reply;
    }
    if (stop.stop_requested()) {
      pending_.erase(it);  // its reply, when it comes, is dropped
      return std::nullopt;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

int MpiRunner::pick_rank(int preferred) {
  if (preferred > 0) return busy_[static_cast<std::size_t>(preferred)] < in_flight_ ? preferred : -1;
  int best = -1;
  for (int r = 1; r < size_; ++r) {
    const int b = busy_[static_cast<std::size_t>(r)];
    if (b < in_flight_ && (best < 0 || b < busy_[static_cast<std::size_t>(best)])) best = r;
  }
  return best;
}

engine::RemoteOutcome MpiRunner::run_body(detail::TaskRunCore& run, const detail::ResultPlan& plan) {
  // Data locality: the rank holding the largest input runs the task.
  int preferred = -1;
  std::uint64_t largest = 0;
  for (const detail::Upstream& u : run.upstreams_) {
    if (!u.data) continue;
    std::shared_ptr<detail::RemoteValue> value;
    {
      std::lock_guard lock(u.run->mu_);
      value = u.run->remote_value_;
    }
    if (auto* held = dynamic_cast<TravelingValue*>(value.get()); held != nullptr && held->holder() > 0 &&
                                                                 held->size() >= largest) {
      largest = held->size();
      preferred = held->holder();
    }
  }

  RequestOptions options;
  options.inline_limit = settings::inline_result_bytes();
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return (options.target = pick_rank(preferred)) > 0; });
    options.call_id = expect_reply();
    ++busy_[static_cast<std::size_t>(options.target)];
  }
  std::string request;
  try {
    request = encode_request(run, plan, options);
    send(options.target, static_cast<int>(MessageKind::Request), std::string_view(request).substr(1));
  } catch (...) {
    {
      std::lock_guard lock(mu_);
      --busy_[static_cast<std::size_t>(options.target)];
      pending_.erase(options.call_id);
    }
    cv_.notify_all();
    throw;
  }
  request = {};
  std::optional<std::string> reply = await(options.call_id, detail::current_context().stop);
  if (!reply) {
    throw CancelledError("the run was stopped; its body goes on on MPI rank " + std::to_string(options.target) +
                         " until it returns (an MPI rank cannot be stopped alone)");
  }
  WireReader r(*reply);
  (void)r.u64();
  const int target = options.target;
  return apply_reply(run, r, [this, target](std::uint64_t handle, std::uint64_t size, const Fingerprint& digest) {
    return std::make_shared<HeldValue>(*this, target, handle, size, digest);
  });
}

std::string MpiRunner::fetch(int rank, std::uint64_t handle, std::string& serializer) {
  std::string request;
  WireWriter w(request);
  std::uint64_t id;
  {
    std::lock_guard lock(mu_);
    id = expect_reply();
  }
  w.u64(id);
  w.u64(handle);
  send(rank, static_cast<int>(MessageKind::Fetch), request);
  std::string reply = *await(id, {});
  WireReader r(reply);
  (void)r.u64();
  if (r.u8() == 0) {
    throw Error("MPI rank " + std::to_string(rank) + " no longer holds value " + std::to_string(handle));
  }
  serializer = std::string(r.str());
  const std::size_t head = reply.size() - r.remaining();
  return tail(std::move(reply), head);
}

void MpiRunner::release(int rank, std::uint64_t handle) {
  {
    std::lock_guard lock(mu_);
    if (finalized_) return;
  }
  std::string message;
  WireWriter(message).u64(handle);
  send(rank, static_cast<int>(MessageKind::Release), message);
}

void MpiRunner::shut_down() {
  {
    std::lock_guard lock(mu_);
    if (finalized_ || rank_ != 0) return;
    finalized_ = true;
  }
  for (int r = 1; r < size_; ++r) send(r, static_cast<int>(MessageKind::Shutdown), {});
  send(0, static_cast<int>(MessageKind::Shutdown), {});  // wakes the receiver
  receiver_.join();
  if (std::getenv("BATON_MPI_STATS") != nullptr) {
    std::fprintf(stderr, "baton mpi: %llu bytes in %llu messages between rank 0 and the worker ranks\n",
                 static_cast<unsigned long long>(bytes_through_rank0_.load()),
                 static_cast<unsigned long long>(messages_.load()));
  }
  MPI_Finalize();
}

void MpiRunner::before_flow_run() {
  if (rank_ != 0) serve();
}

void MpiRunner::serve() {
  engine::Runtime::get().forward_events([this](engine::Event&& event) {
    std::string message;
    WireWriter w(message);
    write_event(w, event);
    send(0, static_cast<int>(MessageKind::Event), message);
  });
  RankServices services(rank_);
  for (;;) {
    Message m = receive_next(0, send_mu_, thread_multiple_);
    switch (static_cast<MessageKind>(m.tag)) {
      case MessageKind::Request: {
        std::string reply = serve_request(m.bytes, services);
        send(0, static_cast<int>(MessageKind::Reply), std::string_view(reply).substr(1));
        break;
      }
      case MessageKind::Fetch: {
        WireReader r(m.bytes);
        const std::uint64_t id = r.u64();
        const WorkerServices::Held* held = services.held(r.u64());
        std::string out;
        WireWriter w(out);
        w.u64(id);
        w.u8(held != nullptr ? 1 : 0);
        if (held != nullptr) {
          w.str(held->serializer);
          out += held->bytes;
        }
        send(0, static_cast<int>(MessageKind::FetchReply), out);
        break;
      }
      case MessageKind::Release:
        services.drop(WireReader(m.bytes).u64());
        break;
      case MessageKind::Shutdown:
        MPI_Finalize();
        std::exit(0);
      default:
        std::fprintf(stderr, "baton: MPI rank %d got a message of unknown kind %d\n", rank_, m.tag);
    }
  }
}

}  // namespace baton::runners

namespace baton {

std::shared_ptr<TaskRunner> mpi(int tasks_in_flight_per_rank) {
  // Started by mpirun (OpenMPI sets these), with ranks to spare for tasks?
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (size == nullptr || std::atoi(size) < 2) {
    static bool told = [] {
      std::fprintf(stderr, "baton: the MPI task runner needs mpirun -np 2 or more; running tasks on a thread pool\n");
      return true;
    }();
    (void)told;
    return thread_pool(0);
  }
  static std::mutex mu;
  static auto* instance = new std::shared_ptr<runners::MpiRunner>();  // lives until the process ends
  std::lock_guard lock(mu);
  if (!*instance) *instance = std::make_shared<runners::MpiRunner>(tasks_in_flight_per_rank);
  return *instance;
}

}  // namespace baton
