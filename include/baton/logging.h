#pragma once
// The run logger: lines go to the current flow or task run's log in the run history
// and to the terminal (stderr), at or above BATON_LOG_LEVEL.
//
//   baton::logger().info("loaded {} rows from {}", n, path);
#include <baton/log_level.h>

#include <fmt/core.h>

#include <string_view>
#include <utility>

namespace baton {

// Logs one message to the current run (or only to the terminal outside runs).
// Thread-safe.
void log(LogLevel level, std::string_view message);
bool log_enabled(LogLevel level);

class RunLogger {
 public:
  template <class... T>
  void debug(fmt::format_string<T...> f, T&&... args) const { emit(LogLevel::Debug, f, std::forward<T>(args)...); }
  template <class... T>
  void info(fmt::format_string<T...> f, T&&... args) const { emit(LogLevel::Info, f, std::forward<T>(args)...); }
  template <class... T>
  void warning(fmt::format_string<T...> f, T&&... args) const { emit(LogLevel::Warning, f, std::forward<T>(args)...); }
  template <class... T>
  void error(fmt::format_string<T...> f, T&&... args) const { emit(LogLevel::Error, f, std::forward<T>(args)...); }
  template <class... T>
  void critical(fmt::format_string<T...> f, T&&... args) const { emit(LogLevel::Critical, f, std::forward<T>(args)...); }

 private:
  template <class... T>
  void emit(LogLevel level, fmt::format_string<T...> f, T&&... args) const {
    if (log_enabled(level)) log(level, fmt::format(f, std::forward<T>(args)...));
  }
};

// The logger of the current run (Prefect's get_run_logger()).
inline RunLogger logger() { return {}; }

}  // namespace baton
