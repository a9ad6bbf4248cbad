#pragma once
// Futures: typed handles to submitted task runs.
#include <baton/detail/run_core.h>
#include <baton/error.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace baton {

namespace detail {

// A task run that produces a value of type R (nothing for void). The value may be
// absent while it lives only in result storage (cache hits, cache_result_in_memory
// (false)); value() reloads it then.
template <class R>
class ValuedRun : public TaskRunCore {
 public:
  using TaskRunCore::TaskRunCore;
  // The value of a completed run. Valid while the run is alive.
  const R& value() {
    if (!value_ready_.load(std::memory_order_acquire)) ensure_value();
    return *value_;
  }
  R take_value() {
    if (!value_ready_.load(std::memory_order_acquire)) ensure_value();
    return std::move(*value_);
  }

 protected:
  std::optional<R> value_;
};

template <>
class ValuedRun<void> : public TaskRunCore {
 public:
  using TaskRunCore::TaskRunCore;
};

}  // namespace detail

// A handle to a task run started with `submit` or `map`. Cheap to copy (shared).
// Thread-safe. Passing a future as an argument to another task makes that task wait
// for this one and records the dependency.
template <class T>
class Future {
 public:
  using value_type = T;

  Future() = default;
  explicit Future(std::shared_ptr<detail::ValuedRun<T>> run) : run_(std::move(run)) {}

  bool valid() const { return run_ != nullptr; }
  const RunId& task_run_id() const { return run_->id(); }
  const std::string& run_name() const { return run_->run_name(); }

  // The latest state; final once the run is done.
  State state() const { return run_->state(); }
  bool done() const { return is_final(run_->state_type()); }

  // Blocks until the run is final.
  void wait() const { run_->wait(); }
  // Blocks at most `timeout`; true if the run is final.
  template <class Rep, class Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) const {
    return run_->wait_for(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  }

  // Waits, then returns the value or throws: the task's own exception for Failed,
  // UpstreamError, TimeoutError, CancelledError or CrashedError otherwise. The
  // reference stays valid while any copy of this future lives.
  decltype(auto) result() const {
    run_->wait();
    run_->throw_if_not_completed();
    if constexpr (!std::is_void_v<T>) return static_cast<const T&>(run_->value());
  }
  // As result(), but throws TimeoutError if the run is not final within `timeout`
  // (the run itself goes on).
  template <class Rep, class Period>
  decltype(auto) result(std::chrono::duration<Rep, Period> timeout) const {
    if (!wait(timeout)) throw TimeoutError("task run '" + run_name() + "' did not finish in time");
    return result();
  }

  // For the engine and runners.
  const std::shared_ptr<detail::ValuedRun<T>>& core() const { return run_; }

 private:
  std::shared_ptr<detail::ValuedRun<T>> run_;
};

template <class T>
struct is_future : std::false_type {};
template <class T>
struct is_future<Future<T>> : std::true_type {};
template <class T>
constexpr bool is_future_v = is_future<std::remove_cvref_t<T>>::value;

// Waits for all futures; with a timeout, waits at most that long overall.
// Returns how many are final.
template <class T>
std::size_t wait(const std::vector<Future<T>>& futures) {
  for (const auto& f : futures) f.wait();
  return futures.size();
}
template <class T, class Rep, class Period>
std::size_t wait(const std::vector<Future<T>>& futures, std::chrono::duration<Rep, Period> timeout) {
  if (timeout < timeout.zero()) throw std::invalid_argument("baton::wait: the timeout is negative");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t done = 0;
  for (const auto& f : futures) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (f.wait(left > left.zero() ? left : left.zero())) ++done;
  }
  return done;
}

// Iterates futures in the order they finish: `for (auto& f : as_completed(futs))`.
template <class T>
class AsCompleted {
 public:
  explicit AsCompleted(std::vector<Future<T>> futures,
                       std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt)
      : shared_(std::make_shared<Shared>()), deadline_(deadline) {
    shared_->futures = std::move(futures);
    for (std::size_t i = 0; i < shared_->futures.size(); ++i) {
      std::weak_ptr<Shared> weak = shared_;
      shared_->futures[i].core()->on_final([weak, i] {
        if (auto s = weak.lock()) {
          std::lock_guard lock(s->mu);
          s->finished.push_back(i);
          s->cv.notify_all();
        }
      });
    }
  }

  class iterator {
   public:
    using value_type = Future<T>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(AsCompleted* owner) : owner_(owner) { advance(); }
    const Future<T>& operator*() const { return current_; }
    const Future<T>* operator->() const { return &current_; }
    iterator& operator++() { return advance(), *this; }
    void operator++(int) { advance(); }
    bool operator==(const iterator& o) const { return owner_ == o.owner_; }

   private:
    void advance() {
      auto& s = *owner_->shared_;
      if (owner_->yielded_ == s.futures.size()) {
        owner_ = nullptr;
        return;
      }
      std::unique_lock lock(s.mu);
      if (!owner_->deadline_) {
        s.cv.wait(lock, [&] { return !s.finished.empty(); });
      } else if (!s.cv.wait_until(lock, *owner_->deadline_, [&] { return !s.finished.empty(); })) {
        const std::size_t left = s.futures.size() - owner_->yielded_;
        throw TimeoutError("as_completed: " + std::to_string(left) + " of " + std::to_string(s.futures.size()) +
                           " futures are unfinished after the timeout");
      }
      current_ = s.futures[s.finished.front()];
      s.finished.pop_front();
      ++owner_->yielded_;
    }
    AsCompleted* owner_ = nullptr;
    Future<T> current_;
  };

  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

 private:
  struct Shared {
    std::vector<Future<T>> futures;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::size_t> finished;
  };
  std::shared_ptr<Shared> shared_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::size_t yielded_ = 0;
};

template <class T>
AsCompleted<T> as_completed(std::vector<Future<T>> futures) {
  return AsCompleted<T>(std::move(futures));
}
// With a timeout for the whole iteration: advancing past the deadline throws
// TimeoutError naming how many futures are unfinished (the runs go on). A
// negative timeout is refused (std::invalid_argument).
template <class T, class Rep, class Period>
AsCompleted<T> as_completed(std::vector<Future<T>> futures, std::chrono::duration<Rep, Period> timeout) {
  if (timeout < timeout.zero()) throw std::invalid_argument("baton::as_completed: the timeout is negative");
  return AsCompleted<T>(std::move(futures), std::chrono::steady_clock::now() +
                                                std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout));
}

}  // namespace baton
