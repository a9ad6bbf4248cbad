#pragma once
// Every setting has an environment variable BATON_<NAME>; `baton config` lists them
// with their current values and where each value came from.
#include <baton/log_level.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace baton::settings {

struct Definition {
  std::string_view name;           // "home"; the variable is BATON_HOME
  std::string_view default_value;  // as text; "" when computed (see help)
  std::string_view help;
};

// All settings, in the order `baton config` shows them.
const std::vector<Definition>& definitions();

enum class Source { Default, Environment };

struct Value {
  std::string text;
  Source source = Source::Default;
};

// The current value of a setting by name ("home"). Reads the environment each call.
Value get(std::string_view name);
std::string env_name(std::string_view name);  // "home" -> "BATON_HOME"

// Typed accessors. An unparseable value throws std::invalid_argument naming the variable.
std::filesystem::path home();           // BATON_HOME, default ~/.baton
std::filesystem::path database_path();  // BATON_DATABASE, default $BATON_HOME/baton.db
bool history_enabled();                 // BATON_HISTORY
bool refresh_cache();                   // BATON_REFRESH_CACHE
bool default_cache_policy_none();       // BATON_DEFAULT_CACHE_POLICY=none
LogLevel log_level();                   // BATON_LOG_LEVEL
bool log_prints();                      // BATON_LOG_PRINTS
std::string task_runner();              // BATON_TASK_RUNNER: thread | process | mpi | immediate
int workers();                          // BATON_WORKERS, default: hardware threads
std::uint64_t inline_result_bytes();    // BATON_INLINE_RESULT_BYTES, default 1 MiB
int default_retries();                  // BATON_DEFAULT_RETRIES
std::chrono::milliseconds default_retry_delay();  // BATON_DEFAULT_RETRY_DELAY_SECONDS
std::chrono::milliseconds heartbeat_interval();   // BATON_HEARTBEAT_SECONDS
// BATON_API_URL: the server engines report to and the CLI reads from; "" when
// unset (the SQLite run store). Returned without a trailing '/'. Anything that is
// not http(s)://host[:port][/path] throws, naming the variable.
std::string api_url();
std::string api_key();                  // BATON_API_KEY: "" when unset
std::chrono::milliseconds api_timeout();  // BATON_API_TIMEOUT_SECONDS, above 0
// Where events that could not reach the server wait: $BATON_HOME/spool.
std::filesystem::path spool_dir();

bool parse_bool(std::string_view text, bool& out);

// The bound of BATON_WORKERS: more threads or processes than this is a typo.
inline constexpr long kMaxWorkers = 1024;

// Reads every setting once; the first bad one throws std::invalid_argument naming
// the variable, its value and what is expected. The runtime calls it at start, so
// a program fails there (run_main: exit status 2), never mid-flow.
void validate_all();  // true/false/1/0/yes/no/on/off

}  // namespace baton::settings
