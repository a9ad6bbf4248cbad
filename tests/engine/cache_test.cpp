// Result persistence and caching through the engine, on the local storage under
// the test's BATON_HOME.
#include "support.h"
#include "results/result_store.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <sys/mount.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace baton {
namespace {

using namespace std::chrono_literals;
using testing::RecordedEvents;

std::vector<engine::ResultRecorded> results_of(const RunId& task_run) {
  std::vector<engine::ResultRecorded> out;
  for (const auto& e : RecordedEvents::get().all()) {
    if (auto* r = std::get_if<engine::ResultRecorded>(&e); r && r->task_run == task_run) out.push_back(*r);
  }
  return out;
}

// A fresh storage directory per test, so keys never meet across tests.
class Cache : public ::testing::Test {
 protected:
  testing::TempDir dir_{"baton-cache"};
  std::shared_ptr<ResultStorage> storage_ = make_local_storage(dir_.str());
};

TEST_F(Cache, SecondFlowRunIsServedFromCacheWithoutRunningBodies) {
  std::atomic<int> loads{0}, transforms{0};
  auto load = BATON_TASK("load", [&](int month) {
                ++loads;
                return std::vector<double>(1000, month);
              })
                  .cache_policy(cache::inputs + cache::task_source)
                  .result_storage(storage_);
  auto transform = BATON_TASK("transform", [&](const std::vector<double>& v) {
                     ++transforms;
                     double s = 0;
                     for (double x : v) s += x;
                     return s;
                   })
                       .cache_policy(cache::inputs + cache::task_source)
                       .result_storage(storage_);
  std::vector<Future<double>> second;
  auto etl = BATON_FLOW("etl-cached", [&](std::vector<int> months) {
    auto raw = load.map(months);
    auto sums = transform.map(raw);
    double total = 0;
    for (auto& s : sums) total += s.result();
    second = sums;
    return total;
  }).task_runner(thread_pool(2));
  EXPECT_EQ(etl(std::vector<int>{1, 2, 3}), 6000.0);
  EXPECT_EQ(loads.load(), 3);
  EXPECT_EQ(transforms.load(), 3);
  auto first_producer = second[0].task_run_id();

  EXPECT_EQ(etl(std::vector<int>{1, 2, 3}), 6000.0);
  EXPECT_EQ(loads.load(), 3) << "a load body ran again";
  EXPECT_EQ(transforms.load(), 3) << "a transform body ran again";
  for (auto& f : second) EXPECT_EQ(f.state().type, StateType::Cached);
  auto recorded = results_of(second[0].task_run_id());
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_TRUE(recorded[0].from_cache);
  EXPECT_EQ(recorded[0].produced_by, first_producer);
  EXPECT_NE(recorded[0].location.find(dir_.str()), std::string::npos) << recorded[0].location;
}

TEST_F(Cache, DefaultPolicyIncludesTheFlowRunSoFlowsDoNotShare) {
  std::atomic<int> calls{0};
  auto t = BATON_TASK("per-run", [&](int x) { return ++calls + x; }).persist_result().result_storage(storage_);
  auto f = baton::flow("twice", [&] { return t(1) + t(1); });  // same run: the second call hits
  f();
  EXPECT_EQ(calls.load(), 1);
  f();  // another flow run: its own key
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(Cache, RefreshCacheRecomputesAndOverwrites) {
  std::atomic<int> calls{0};
  auto t = BATON_TASK("refreshing", [&](int x) { return x + 100 * ++calls; })
               .cache_policy(cache::inputs)
               .result_storage(storage_);
  EXPECT_EQ(t(1), 101);
  EXPECT_EQ(t(1), 101);  // cached
  auto fresh = t;
  fresh.refresh_cache();
  EXPECT_EQ(fresh(1), 201);
  EXPECT_EQ(t(1), 201);  // the overwritten value is what the cache holds now
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(Cache, ExpiredResultsAreRecomputed) {
  testing::FakeClockGuard fake;
  std::atomic<int> calls{0};
  auto t = BATON_TASK("expiring", [&](int x) { return x + ++calls; })
               .cache_policy(cache::inputs)
               .cache_expiration(10s)
               .result_storage(storage_);
  t(1);
  t(1);
  EXPECT_EQ(calls.load(), 1);
  fake.clock().sleep_for(11s, {});  // time passes
  t(1);
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(Cache, ExcludedArgumentsDoNotChangeTheKey) {
  std::atomic<int> calls{0};
  auto t = BATON_TASK("verbose", [&](int x, bool verbose) { return x + ++calls + (verbose ? 0 : 0); })
               .cache_policy(cache::inputs - "verbose")
               .result_storage(storage_);
  t(1, false);
  t(1, true);
  EXPECT_EQ(calls.load(), 1);
  t(2, true);
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(Cache, TaskSourceChangesWhenTheLambdaChanges) {
  std::atomic<int> calls{0};
  auto v1 = BATON_TASK("versioned", [&](int x) { return x + 1 + 0 * ++calls; })
                .cache_policy(cache::inputs + cache::task_source)
                .result_storage(storage_);
  auto v2 = BATON_TASK("versioned", [&](int x) { return x + 2 + 0 * ++calls; })
                .cache_policy(cache::inputs + cache::task_source)
                .result_storage(storage_);
  EXPECT_EQ(v1(1), 2);
  EXPECT_EQ(v2(1), 3);  // not v1's cached 2
  EXPECT_EQ(calls.load(), 2);
  auto pinned = v2;
  pinned.version("2.0");
  pinned(1);
  EXPECT_EQ(calls.load(), 3);  // an explicit version replaces the source: a new key
}

TEST_F(Cache, SerializableIsolationComputesOnceForConcurrentRuns) {
  std::atomic<int> calls{0};
  auto t = BATON_TASK("expensive", [&](int x) {
             ++calls;
             std::this_thread::sleep_for(50ms);
             return x * 2;
           })
               .cache_policy(cache::inputs)
               .result_storage(storage_)
               .cache_isolation(Isolation::Serializable);
  auto f = baton::flow("concurrent", [&] {
    auto runs = t.map(std::vector<int>{7, 7, 7, 7});
    int completed = 0, cached = 0;
    for (auto& r : runs) {
      EXPECT_EQ(r.result(), 14);
      completed += r.state().type == StateType::Completed;
      cached += r.state().type == StateType::Cached;
    }
    EXPECT_EQ(completed, 1);
    EXPECT_EQ(cached, 3);
  }).task_runner(thread_pool(4));
  f();
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(Cache, CorruptPayloadIsRecomputedWithAWarning) {
  std::atomic<int> calls{0};
  auto t = BATON_TASK("fragile", [&](int x) {
             ++calls;
             return std::vector<int>(10000, x);
           })
               .cache_policy(cache::inputs)
               .result_storage(storage_)
               .result_storage_key("fragile/{x}.bin");
  t(3);
  auto payload = dir_.path() / "fragile" / "3.bin";
  ASSERT_TRUE(std::filesystem::exists(payload));
  {
    std::fstream f(payload, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');  // one flipped byte
  }
  Future<std::vector<int>> again = t.return_state(3);
  EXPECT_EQ(again.result(), std::vector<int>(10000, 3));
  EXPECT_EQ(again.state().type, StateType::Completed);
  EXPECT_EQ(calls.load(), 2);
  bool warned = false;
  for (const auto& l : RecordedEvents::get().logs_of_task(again.task_run_id())) {
    warned |= l.level == LogLevel::Warning && l.message.find("running again") != std::string::npos;
  }
  EXPECT_TRUE(warned);
  EXPECT_EQ(t(3), std::vector<int>(10000, 3));  // the rewritten payload serves the next hit
  EXPECT_EQ(calls.load(), 2);
}

// Found by clang-tidy (bugprone-exception-escape): the key function ran inside
// the noexcept TaskRunCore::run, so a throwing one ended the whole process in
// std::terminate. As in Prefect 3, the run goes on uncached and says why.
TEST_F(Cache, AKeyFunctionThatThrowsRunsTheTaskUncachedAndSaysWhy) {
  std::atomic<int> calls{0};
  auto t = BATON_TASK("bad_key_fn", [&](int x) { return x + ++calls; })
               .cache_key_fn([](const cache::KeyContext&) -> std::optional<std::string> {
                 throw std::runtime_error("no key for you");
               })
               .result_storage(storage_);
  Future<int> first = t.return_state(1);
  EXPECT_EQ(first.state().type, StateType::Completed);
  EXPECT_EQ(first.result(), 2);
  EXPECT_EQ(t(1), 3) << "a run without a key was served from the cache";
  bool warned = false;
  for (const auto& l : RecordedEvents::get().logs_of_task(first.task_run_id())) {
    warned |= l.level == LogLevel::Warning && l.message.find("no key for you") != std::string::npos;
  }
  EXPECT_TRUE(warned) << "the key function's error was not logged";
}

// Counts live instances, to see a value leave memory.
struct Tracked {
  static inline std::atomic<int> live{0};
  std::vector<double> data;
  Tracked() { ++live; }
  Tracked(const Tracked& o) : data(o.data) { ++live; }
  Tracked(Tracked&& o) noexcept : data(std::move(o.data)) { ++live; }
  Tracked& operator=(const Tracked&) = default;
  Tracked& operator=(Tracked&&) = default;
  ~Tracked() { --live; }
  template <class Archive>
  void serialize(Archive& ar) {
    ar("data", data);
  }
};

TEST_F(Cache, ResultsCanLeaveMemoryAndReloadOnDemand) {
  auto make = BATON_TASK("make_tracked", [](int n) {
                Tracked t;
                t.data.assign(static_cast<std::size_t>(n), 1.5);
                return t;
              })
                  .persist_result()
                  .cache_result_in_memory(false)
                  .result_storage(storage_);
  auto f = baton::flow("leave-memory", [&] {
    auto fut = make.submit(100000);
    fut.wait();
    EXPECT_EQ(Tracked::live.load(), 0) << "the value stayed in memory after it was persisted";
    EXPECT_FALSE(fut.core()->result_location().empty());
    EXPECT_EQ(fut.result().data.size(), 100000u);  // reloaded from storage
    EXPECT_EQ(Tracked::live.load(), 1);
  }).task_runner(thread_pool(2));
  f();
}

TEST_F(Cache, AVanishedResultIsAClearError) {
  auto make = BATON_TASK("vanishing", [](int n) { return std::vector<int>(static_cast<std::size_t>(n), 1); })
                  .persist_result()
                  .cache_result_in_memory(false)
                  .result_storage(storage_)
                  .result_storage_key("gone/{n}.bin");
  auto f = baton::flow("vanish", [&] {
    auto fut = make.submit(10);
    fut.wait();
    std::filesystem::remove(dir_.path() / "gone" / "10.bin");
    try {
      fut.result();
      ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("gone/10.bin"), std::string::npos) << e.what();
    }
  }).task_runner(thread_pool(2));
  f();
}

TEST_F(Cache, GlobalSwitchTurnsLookupsOff) {
  std::atomic<int> calls{0};
  auto t = BATON_TASK("switched", [&](int x) { return x + ++calls; }).cache_policy(cache::inputs).result_storage(storage_);
  t(1);
  setenv("BATON_CACHE", "false", 1);
  t(1);
  unsetenv("BATON_CACHE");
  EXPECT_EQ(calls.load(), 2);
  t(1);
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(Cache, ACorruptRecordIsAWarningNamingItsFileAndTheTaskRunsAgain) {
  std::atomic<int> calls{0};
  auto t = BATON_TASK("recorded", [&](int x) { return x + ++calls; })
               .cache_policy(cache::inputs)
               .result_storage(storage_)
               .result_storage_key("recorded/{x}");
  EXPECT_EQ(t(1), 2);
  const auto record = dir_.path() / ".baton-meta" / "recorded" / "1.json";
  ASSERT_TRUE(std::filesystem::exists(record));
  { std::ofstream(record, std::ios::trunc) << "{\"format\": \"baton.result.v1\", \"key\": 12"; }
  Future<int> again = t.return_state(1);
  EXPECT_EQ(again.result(), 3);  // ran again: the damaged record is no hit
  EXPECT_EQ(again.state().type, StateType::Completed);
  bool warned = false;
  for (const auto& l : RecordedEvents::get().logs_of_task(again.task_run_id())) {
    warned |= l.level == LogLevel::Warning && l.message.find("recorded/1") != std::string::npos &&
              l.message.find(record.string()) != std::string::npos;
  }
  EXPECT_TRUE(warned) << "no warning naming the key and the record's file";
  EXPECT_EQ(t(1), 3);  // the rewritten record serves the next call
}

// Results that do not fit on the disk (a 1 MiB tmpfs; needs root to mount).
TEST(CacheFullDisk, TasksWhoseResultsCannotBeStoredFailNamingTheKeyAndTheRestComplete) {
  testing::TempDir dir{"baton-full"};
  const auto mount_point = dir.path() / "tiny";
  std::filesystem::create_directories(mount_point);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=1m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs (" << std::strerror(errno) << "): needs root";
  }
  struct Unmount {
    std::filesystem::path at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  auto storage = make_local_storage((mount_point / "store").string());
  auto big = BATON_TASK("big", [](int x) { return std::vector<double>(25000, x); })  // 200 KB each
                 .cache_policy(cache::inputs)
                 .result_storage(storage)
                 .result_storage_key("big/{x}");
  std::vector<Future<std::vector<double>>> runs;
  auto many = BATON_FLOW("fill-the-disk", [&] {
                for (int i = 0; i < 12; ++i) runs.push_back(big.submit(i));
                for (auto& r : runs) r.wait();
                return 0;
              }).task_runner(thread_pool(12));
  many();
  int completed = 0, failed = 0;
  ResultStore reader(make_local_storage((mount_point / "store").string()));
  for (int i = 0; i < 12; ++i) {
    const State s = runs[static_cast<std::size_t>(i)].state();
    auto record = reader.lookup("big/" + std::to_string(i));
    ASSERT_TRUE(record.ok()) << record.status().message();
    if (s.type == StateType::Completed) {
      ++completed;
      ASSERT_TRUE(record->has_value()) << "task " << i << " Completed without its result stored";
      auto value = reader.load<std::vector<double>>(**record);
      ASSERT_TRUE(value.ok()) << value.error().message;
      EXPECT_EQ(value.value(), std::vector<double>(25000, i));
    } else {
      ++failed;
      EXPECT_EQ(s.type, StateType::Failed);
      EXPECT_FALSE(record->has_value()) << "task " << i << " failed but left a record";
      EXPECT_NE(s.message.find("'big/" + std::to_string(i) + "'"), std::string::npos) << s.message;
      EXPECT_NE(s.message.find("No space left on device"), std::string::npos) << s.message;
    }
  }
  EXPECT_GT(completed, 0);
  EXPECT_GT(failed, 0);
}

TEST(CacheTypes, SerializableConceptGuardsPersistence) {
  struct NoSerializer {
    int x;
  };
  static_assert(!Serializable<NoSerializer>);
  static_assert(Serializable<std::vector<std::pair<std::string, double>>>);
  static_assert(Serializable<Tracked>);
}

}  // namespace
}  // namespace baton
