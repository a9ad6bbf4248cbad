#include "runners/mpi_runner.h"

#include <baton/error.h>

#include "engine/run_context.h"
#include "engine/runtime.h"
#include "runners/event_codec.h"
#include "runners/message_batch.h"
#include "runners/remote_protocol.h"

#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

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

MpiRunner::MpiRunner(int calls_per_rank)
    : per_batch_(calls_per_rank > 0 ? static_cast<std::size_t>(calls_per_rank) : 256) {
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
  ranks_.resize(static_cast<std::size_t>(size_));
  dispatch_.emplace(std::max(1, (size_ - 1) * kThreadsPerRank));
  receiver_ = std::thread([this] { receive_loop(); });
  sender_ = std::thread([this] { send_loop(); });
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

void MpiRunner::post(int rank, int tag, std::string bytes) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    throw Error("a message of " + std::to_string(bytes.size()) + " bytes for MPI rank " + std::to_string(rank) +
                " is over MPI's 2 GiB message limit; persist such results to shared result storage instead");
  }
  if (rank_ == 0 && rank != 0) {
    bytes_through_rank0_ += bytes.size();
    ++messages_;
  }
  std::lock_guard lock(out_mu_);
  Outgoing& out = outgoing_.emplace_back();
  out.bytes = std::move(bytes);
  outgoing_count_.fetch_add(1, std::memory_order_relaxed);
  std::unique_lock mpi_lock(send_mu_, std::defer_lock);
  if (!thread_multiple_) mpi_lock.lock();
  MPI_Isend(out.bytes.data(), static_cast<int>(out.bytes.size()), MPI_BYTE, rank, tag, MPI_COMM_WORLD, &out.request);
}

void MpiRunner::reap_sends(bool all) {
  for (;;) {
    if (outgoing_count_.load(std::memory_order_relaxed) == 0) return;
    {
      std::lock_guard lock(out_mu_);
      std::unique_lock mpi_lock(send_mu_, std::defer_lock);
      if (!thread_multiple_) mpi_lock.lock();
      for (auto it = outgoing_.begin(); it != outgoing_.end();) {
        int done = 0;
        MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
        if (done) {
          it = outgoing_.erase(it);
          outgoing_count_.fetch_sub(1, std::memory_order_relaxed);
        } else {
          ++it;
        }
      }
    }
    if (!all) return;
    usleep(50);  // only at the end: the receivers take what is left
  }
}

namespace {

// A message from `source` if one has arrived.
std::optional<Message> try_receive(int source, std::mutex& mu, bool thread_multiple) {
  int flag = 0;
  MPI_Message handle;
  MPI_Status status;
  std::unique_lock lock(mu, std::defer_lock);
  if (!thread_multiple) lock.lock();
  MPI_Improbe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &handle, &status);
  if (!flag) return std::nullopt;
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  Message m{status.MPI_SOURCE, status.MPI_TAG, std::string(static_cast<std::size_t>(count), '\0')};
  MPI_Mrecv(m.bytes.data(), count, MPI_BYTE, &handle, &status);
  return m;
}

// The next message from `source`: polls, backing off to sleeps when idle.
// `between` runs between polls (it frees the buffers of completed sends).
//
// Measured against the alternatives (np2/np3, 20k small tasks, task-clock of
// the whole job): a blocking MPI_Mprobe on the worker ranks is Open MPI's busy
// poll (sched_yield when oversubscribed): 1.4x the CPU and 0.75-0.9x the
// tasks/s; exponential back-off (5 us doubling to 1 ms) answered late after a
// pause, 0.6-0.7x; a 1 us timer slack for the sleeps made no difference. Each
// probe that finds nothing calls sched_yield (Open MPI's mpi_yield_when_idle,
// on when oversubscribed; off measured no better), so the probes before the
// first sleep are few: 10 instead of 50 gave ~1.14x the tasks/s with 0.73x
// the context switches on a loaded machine (np3, medians of 12).
template <typename Between>
Message receive_next(int source, std::mutex& mu, bool thread_multiple, Between&& between) {
  int idle = 0;
  for (;;) {
    if (std::optional<Message> m = try_receive(source, mu, thread_multiple)) return std::move(*m);
    between();
    ++idle;
    if (idle < 10) continue;  // a reply usually follows within microseconds
    const int us = idle < 200 ? 20 : idle < 1000 ? 100 : 500;
    usleep(static_cast<useconds_t>(us));
  }
}

}  // namespace

bool MpiRunner::expecting() const {
  if (finalized_ || !pending_.empty()) return true;
  for (const Rank& rank : ranks_) {
    if (!rank.in_flight.empty()) return true;
  }
  return false;
}

void MpiRunner::receive_loop() {
  for (;;) {
    {
      // Nothing out, nothing can come back: wait without polling.
      std::unique_lock lock(mu_);
      expect_cv_.wait(lock, [this] { return expecting(); });
    }
    Message m = receive_next(MPI_ANY_SOURCE, send_mu_, thread_multiple_, [this] { reap_sends(); });
    if (m.source != 0) {
      bytes_through_rank0_ += m.bytes.size();
      ++messages_;
    }
    const auto kind = static_cast<MessageKind>(m.tag);
    if (kind == MessageKind::Shutdown) return;
    if (kind == MessageKind::Batch) {
      on_batch(m.source, m.bytes);
      continue;
    }
    if (kind != MessageKind::FetchReply) continue;
    const std::uint64_t id = peek_call_id(m.bytes);
    {
      std::lock_guard lock(mu_);
      auto it = pending_.find(id);
      if (it != pending_.end()) it->second = std::move(m.bytes);
    }
    cv_.notify_all();
  }
}

void MpiRunner::on_batch(int source, std::string_view bytes) {
  engine::Runtime& rt = engine::Runtime::get();
  const std::string peer = "MPI rank " + std::to_string(source);
  Rank& rank = ranks_[static_cast<std::size_t>(source)];
  std::vector<std::string_view> replies;
  // A run's events are recorded before its reply completes it (they come first).
  auto complete = [&] {
    std::lock_guard lock(mu_);
    for (std::string_view body : replies) {
      const std::uint64_t id = WireReader(body).u64();
      if (rank.in_flight.empty() || rank.in_flight.front()->id != id) {
        throw Error(peer + " replied to call " + std::to_string(id) + ", which is not the next one it holds");
      }
      std::shared_ptr<Call> call = std::move(rank.in_flight.front());
      rank.in_flight.pop_front();
      call->reply.assign(body);
      call->done.set();
    }
    replies.clear();
  };
  try {
    read_batch(bytes, peer, [&](MessageKind kind, std::string_view body) {
      if (kind == MessageKind::Event) {
        if (!replies.empty()) complete();
        WireReader r(body);
        rt.record(read_event(r));
      } else if (kind == MessageKind::Reply) {
        replies.push_back(body);
      } else {
        throw Error(peer + " sent a message of unknown kind " + std::to_string(static_cast<int>(kind)));
      }
    });
    complete();
  } catch (const std::exception& e) {
    // A rank cannot be ended alone: its calls fail with what it sent.
    std::fprintf(stderr, "baton: %s\n", e.what());
    std::lock_guard lock(mu_);
    for (auto& call : rank.in_flight) {
      call->error = e.what();
      call->done.set();
    }
    rank.in_flight.clear();
  }
  send_cv_.notify_one();  // the rank has room again
}

bool MpiRunner::has_room(int r) const {
  const Rank& rank = ranks_[static_cast<std::size_t>(r)];
  return !rank.queue.empty() && rank.in_flight.size() < per_batch_;
}

std::string MpiRunner::plan_batch(int r) {
  Rank& rank = ranks_[static_cast<std::size_t>(r)];
  BatchWriter batch(false);
  while (!rank.queue.empty() && rank.in_flight.size() < per_batch_) {
    std::shared_ptr<Call>& call = rank.queue.front();
    batch.add(MessageKind::Request, call->request);
    call->request = {};  // an MPI rank is never replaced: no call is sent twice
    rank.in_flight.push_back(std::move(call));
    rank.queue.pop_front();
  }
  return batch.take();
}

void MpiRunner::send_loop() {
  // Calls queue up while this thread sends, so a busy rank 0 sends few large
  // batches and an idle one sends a lone call at once.
  std::unique_lock lock(mu_);
  std::vector<std::pair<int, std::string>> batches;
  for (;;) {
    send_cv_.wait(lock, [this] {
      if (finalized_) return true;
      for (int r = 1; r < size_; ++r) {
        if (has_room(r)) return true;
      }
      return false;
    });
    if (finalized_) return;
    batches.clear();
    for (int r = 1; r < size_; ++r) {
      if (has_room(r)) batches.emplace_back(r, plan_batch(r));
    }
    lock.unlock();
    expect_cv_.notify_one();  // replies are on their way
    for (auto& [rank, bytes] : batches) post(rank, static_cast<int>(MessageKind::Batch), std::move(bytes));
    lock.lock();
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
  if (preferred > 0) return preferred;
  int best = 1;
  std::size_t best_load = SIZE_MAX;
  for (int r = 1; r < size_; ++r) {
    const Rank& rank = ranks_[static_cast<std::size_t>(r)];
    const std::size_t load = rank.in_flight.size() + rank.queue.size();
    if (load < best_load) best = r, best_load = load;
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

  auto call = std::make_shared<Call>();
  RequestOptions options;
  {
    std::lock_guard lock(mu_);
    options.target = pick_rank(preferred);
    options.call_id = next_id_++;
  }
  call->id = options.call_id;
  call->request = encode_request(run, plan, options);
  {
    std::lock_guard lock(mu_);
    ranks_[static_cast<std::size_t>(options.target)].queue.push_back(call);
  }
  send_cv_.notify_one();
  // While the reply is on its way this thread runs other ready runs (see the
  // process pool), unless this run holds what another could wait for.
  const std::stop_token stop = detail::current_context().stop;
  dispatch_->wait_running_others(call->done, run.options().tags.empty() && !plan.locks, [&] {
    if (stop.stop_requested()) {
      throw CancelledError("the run was stopped; its body goes on on MPI rank " + std::to_string(options.target) +
                           " until it returns (an MPI rank cannot be stopped alone)");
    }
  });
  if (call->error) throw CrashedError(*call->error);
  WireReader r(call->reply);
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
  expect_cv_.notify_one();
  w.u64(id);
  w.u64(handle);
  send(rank, static_cast<int>(MessageKind::Fetch), request);
  std::optional<std::string> got = await(id, {});  // no stop token: always a reply
  std::string& reply = *got;
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
  send_cv_.notify_all();
  expect_cv_.notify_all();
  sender_.join();
  for (int r = 1; r < size_; ++r) send(r, static_cast<int>(MessageKind::Shutdown), {});
  send(0, static_cast<int>(MessageKind::Shutdown), {});  // wakes the receiver
  receiver_.join();
  reap_sends(true);
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
  using Clock = std::chrono::steady_clock;
  constexpr std::size_t kFlushBytes = 256 * 1024;
  constexpr auto kEventDelay = std::chrono::milliseconds(100);
  constexpr std::size_t kRepliesPerFlush = 64;
  BatchWriter out(false);
  Clock::time_point last_flush = Clock::now();
  auto flush = [&] {
    last_flush = Clock::now();
    if (!out.empty()) post(0, static_cast<int>(MessageKind::Batch), out.take());
  };
  engine::Runtime::get().forward_events([&](engine::Event&& event) {
    std::string message;
    WireWriter w(message);
    write_event(w, event);
    out.add(MessageKind::Event, message);
    // A long body's logs reach the history while it runs, not only with its result.
    if (out.bytes() > kFlushBytes || Clock::now() - last_flush > kEventDelay) flush();
  });
  RankServices services(rank_);
  const std::string peer = "MPI rank 0";
  std::deque<std::string> inbox;
  auto handle = [&](Message& m) {
    switch (static_cast<MessageKind>(m.tag)) {
      case MessageKind::Batch:
        try {
          read_batch(m.bytes, peer, [&](MessageKind kind, std::string_view body) {
            if (kind != MessageKind::Request) throw Error(peer + " sent a message of kind " + std::to_string(static_cast<int>(kind)) + " in a batch");
            inbox.emplace_back(body);
          });
        } catch (const std::exception& e) {
          std::fprintf(stderr, "baton: MPI rank %d: %s\n", rank_, e.what());
          MPI_Abort(MPI_COMM_WORLD, 3);
        }
        break;
      case MessageKind::Fetch: {
        WireReader r(m.bytes);
        const std::uint64_t id = r.u64();
        const WorkerServices::Held* held = services.held(r.u64());
        std::string reply;
        WireWriter w(reply);
        w.u64(id);
        w.u8(held != nullptr ? 1 : 0);
        if (held != nullptr) {
          w.str(held->serializer);
          reply += held->bytes;
        }
        send(0, static_cast<int>(MessageKind::FetchReply), reply);
        break;
      }
      case MessageKind::Release:
        services.drop(WireReader(m.bytes).u64());
        break;
      case MessageKind::Shutdown:
        flush();
        reap_sends(true);
        MPI_Finalize();
        std::exit(0);
      default:
        std::fprintf(stderr, "baton: MPI rank %d got a message of unknown kind %d\n", rank_, m.tag);
    }
  };
  for (;;) {
    if (inbox.empty()) {
      if (std::optional<Message> m = try_receive(0, send_mu_, thread_multiple_)) {
        handle(*m);
        continue;
      }
      // Nothing left to read: the replies go back now, then wait for more.
      flush();
      Message m = receive_next(0, send_mu_, thread_multiple_, [this] { reap_sends(); });
      handle(m);
      continue;
    }
    std::string request = std::move(inbox.front());
    inbox.pop_front();
    std::string reply = serve_request(request, services);
    out.add(MessageKind::Reply, std::string_view(reply).substr(1));
    // Rank 0 keeps this rank's inbox full while it has room, so the inbox may
    // never run dry: replies also go back every kRepliesPerFlush, and free room.
    if (out.bytes() > kFlushBytes || out.count() >= kRepliesPerFlush) flush();
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
