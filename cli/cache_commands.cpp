#include "cache_commands.h"

#include "results/result_settings.h"
#include "results/result_store.h"

// CLI11's inlined string code trips g++ 12's -Wnull-dereference (a false positive
// in a third-party header that a pragma around the include cannot silence).
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace baton {

namespace {

struct CacheOptions {
  std::string storage;  // empty: the configured default
  std::string key;
  bool expired_only = false;
  std::string task;
  bool verify = false;
};

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "baton cache: " << message << "\n";
  throw CLI::RuntimeError(1);
}

ResultStore open_store(const CacheOptions& o) {
  std::string location = o.storage;
  if (location.empty()) {
    try {
      location = results::storage_location();
    } catch (const std::exception& e) {
      fail(e.what());
    }
  }
  Result<std::shared_ptr<ResultStorage>> storage = results::open_storage(location);
  if (!storage.ok()) fail(storage.status().message());
  return ResultStore(*storage);
}

std::string show_time(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string show_size(std::uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  }
  return buf;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

void run_ls(const CacheOptions& o) {
  ResultStore store = open_store(o);
  Result<ResultStore::Listing> listing = store.list();
  if (!listing.ok()) fail(listing.status().message());
  const auto now = std::chrono::system_clock::now();
  std::size_t key_w = 3, task_w = 4;
  for (const auto& r : listing->records) {
    key_w = std::max(key_w, r.key.size());
    task_w = std::max(task_w, r.task_name.size());
  }
  std::cout << pad("KEY", key_w) << "  " << pad("TASK", task_w) << "  " << pad("SIZE", 10) << "  "
            << pad("CREATED (UTC)", 19) << "  EXPIRES (UTC)\n";
  for (const auto& r : listing->records) {
    std::string expires = r.expires ? show_time(*r.expires) : "never";
    if (r.expired(now)) expires += " (expired)";
    std::cout << pad(r.key, key_w) << "  " << pad(r.task_name, task_w) << "  " << pad(show_size(r.size), 10) << "  "
              << show_time(r.created) << "  " << expires << "\n";
  }
  for (const auto& p : listing->problems) std::cerr << "warning: " << p << "\n";
  std::cout << listing->records.size() << " result" << (listing->records.size() == 1 ? "" : "s") << " in "
            << store.storage().location() << "\n";
}

void run_inspect(const CacheOptions& o) {
  ResultStore store = open_store(o);
  Result<std::optional<ResultRecord>> r = store.get_record(o.key);
  if (!r.ok()) fail(r.status().message());
  if (!*r) fail("no result with key '" + o.key + "' in " + store.storage().location());
  std::cout << encode_record(**r);
  const auto now = std::chrono::system_clock::now();
  std::cout << "status: " << ((*r)->expired(now) ? "expired" : "valid") << "\n";
  if (o.verify) {
    std::optional<LoadError> err = store.verify(**r);
    if (err) {
      std::cout << "payload: " << to_string(err->kind) << ": " << err->message << "\n";
      throw CLI::RuntimeError(1);
    }
    std::cout << "payload: ok (size and checksum match)\n";
  }
}

void run_clear(const CacheOptions& o) {
  ResultStore store = open_store(o);
  std::optional<std::string_view> task;
  if (!o.task.empty()) task = o.task;
  Result<ResultStore::ClearStats> stats = store.clear(o.expired_only, task, std::chrono::system_clock::now());
  if (!stats.ok()) fail(stats.status().message());
  for (const auto& p : stats->problems) std::cerr << "warning: " << p << "\n";
  std::cout << "removed " << stats->removed << " result" << (stats->removed == 1 ? "" : "s") << " ("
            << show_size(stats->bytes) << ") from " << store.storage().location() << "\n";
}

}  // namespace

void add_cache_commands(CLI::App& app) {
  auto opts = std::make_shared<CacheOptions>();
  CLI::App* cache = app.add_subcommand("cache", "Persisted results and cache entries");
  cache->require_subcommand(1);
  auto storage_option = [&opts](CLI::App* sub) {
    sub->add_option("--storage", opts->storage,
                    "result storage to use (default: $BATON_RESULT_STORAGE or $BATON_HOME/storage)");
  };

  CLI::App* ls = cache->add_subcommand("ls", "List results: key, task, size, created, expires");
  storage_option(ls);
  ls->callback([opts] { run_ls(*opts); });

  CLI::App* inspect = cache->add_subcommand("inspect", "Show the record of one result");
  inspect->add_option("key", opts->key, "the result's key (as `baton cache ls` shows it)")->required();
  inspect->add_flag("--verify", opts->verify, "also read the payload and check its size and checksum");
  storage_option(inspect);
  inspect->callback([opts] { run_inspect(*opts); });

  CLI::App* clear = cache->add_subcommand("clear", "Delete results (all, expired, or of one task)");
  clear->add_flag("--expired", opts->expired_only, "only results whose expiration has passed");
  clear->add_option("--task", opts->task, "only results of this task");
  storage_option(clear);
  clear->callback([opts] { run_clear(*opts); });
}

}  // namespace baton
