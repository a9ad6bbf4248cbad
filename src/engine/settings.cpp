#include "engine/settings.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <limits>
#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace baton::settings {

const std::vector<Definition>& definitions() {
  static const std::vector<Definition> defs = {
      {"home", "~/.baton", "directory for the run history database and local results"},
      {"database", "", "run history database file (default: $BATON_HOME/baton.db)"},
      {"history", "true", "record flow and task runs, states and logs in the run store"},
      {"log_level", "INFO", "lowest level shown and recorded: DEBUG, INFO, WARNING, ERROR, CRITICAL"},
      {"log_prints", "false", "capture std::cout/std::cerr of every flow and task into its log"},
      {"task_runner", "thread", "task runner used by submit and map: thread | process | mpi | immediate"},
      {"workers", "", "worker threads or processes of the pool (default: hardware threads)"},
      {"inline_result_bytes", "1048576",
       "results of the process and MPI runners larger than this travel by reference, not inline"},
      {"default_retries", "0", "retries of tasks that do not set their own"},
      {"default_retry_delay_seconds", "0", "retry delay of tasks that do not set their own"},
      {"heartbeat_seconds", "5", "how often a running flow process proves it is alive"},
      {"result_storage", "", "where persisted results go: a directory (default $BATON_HOME/storage) or memory"},
      {"persist_results", "false", "persist every task's result unless the task says otherwise"},
      {"cache", "true", "use cached results (false: every task runs; results are still persisted)"},
      {"refresh_cache", "false", "run every cached task again and overwrite its cached result"},
      {"default_cache_policy", "default", "cache key of tasks without a policy: default (inputs + task_source + run_id) | none"},
      {"api_url", "", "a baton server (http://host:4200/api): engines report to it and the CLI reads from it instead of the SQLite file"},
      {"api_key", "", "the server's API key, sent as Authorization: Bearer (shown masked)"},
      {"api_timeout_seconds", "10", "longest wait for one request to the server before it counts as unreachable"},
  };
  return defs;
}

std::string env_name(std::string_view name) {
  std::string out = "BATON_";
  for (char c : name) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

Value get(std::string_view name) {
  const std::string var = env_name(name);
  if (const char* v = std::getenv(var.c_str()); v != nullptr && *v != '\0') {
    return {v, Source::Environment};
  }
  for (const auto& d : definitions()) {
    if (d.name == name) return {std::string(d.default_value), Source::Default};
  }
  return {};
}

bool parse_bool(std::string_view text, bool& out) {
  std::string t(text);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "1" || t == "true" || t == "yes" || t == "on") return out = true, true;
  if (t == "0" || t == "false" || t == "no" || t == "off") return out = false, true;
  return false;
}

namespace {

[[noreturn]] void bad_value(std::string_view name, const std::string& text, std::string_view expected) {
  throw std::invalid_argument(env_name(name) + "=" + text + ": expected " + std::string(expected));
}

bool get_bool(std::string_view name) {
  Value v = get(name);
  bool out = false;
  if (!parse_bool(v.text, out)) bad_value(name, v.text, "true or false");
  return out;
}

long get_int(std::string_view name, long fallback, long min, long max = std::numeric_limits<int>::max()) {
  Value v = get(name);
  if (v.text.empty()) return fallback;
  char* end = nullptr;
  errno = 0;
  long n = std::strtol(v.text.c_str(), &end, 10);
  if (end == v.text.c_str() || *end != '\0' || errno == ERANGE || n < min || n > max) {
    bad_value(name, v.text, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return n;
}

// Longest duration a setting may give: past it, times overflow (and no one means it).
constexpr double kMaxSeconds = 365.0 * 24 * 3600;

std::chrono::milliseconds get_seconds(std::string_view name) {
  Value v = get(name);
  char* end = nullptr;
  double s = std::strtod(v.text.c_str(), &end);
  if (end == v.text.c_str() || *end != '\0' || !std::isfinite(s) || s < 0 || s > kMaxSeconds) {
    bad_value(name, v.text, "a number of seconds from 0 to " + std::to_string(static_cast<long>(kMaxSeconds)));
  }
  return std::chrono::milliseconds(static_cast<long long>(s * 1000.0));
}

}  // namespace

std::filesystem::path home() {
  Value v = get("home");
  if (v.source == Source::Environment) return v.text;
  const char* user_home = std::getenv("HOME");
  return std::filesystem::path(user_home != nullptr ? user_home : ".") / ".baton";
}

std::filesystem::path database_path() {
  Value v = get("database");
  return v.text.empty() ? home() / "baton.db" : std::filesystem::path(v.text);
}

bool history_enabled() { return get_bool("history"); }
bool refresh_cache() { return get_bool("refresh_cache"); }

bool default_cache_policy_none() {
  Value v = get("default_cache_policy");
  if (v.text != "default" && v.text != "none") bad_value("default_cache_policy", v.text, "default or none");
  return v.text == "none";
}
bool log_prints() { return get_bool("log_prints"); }

LogLevel log_level() {
  Value v = get("log_level");
  LogLevel level{};
  if (!parse_log_level(v.text, level)) bad_value("log_level", v.text, "DEBUG, INFO, WARNING, ERROR or CRITICAL");
  return level;
}

std::string task_runner() {
  Value v = get("task_runner");
  if (v.text != "thread" && v.text != "immediate" && v.text != "process" && v.text != "mpi") {
    bad_value("task_runner", v.text, "thread, process, mpi or immediate");
  }
  return v.text;
}

std::uint64_t inline_result_bytes() {
  return static_cast<std::uint64_t>(get_int("inline_result_bytes", 1 << 20, 0));
}

int workers() {
  long hw = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(get_int("workers", std::min<long>(hw, kMaxWorkers), 1, kMaxWorkers));
}

int default_retries() { return static_cast<int>(get_int("default_retries", 0, 0)); }
std::chrono::milliseconds default_retry_delay() { return get_seconds("default_retry_delay_seconds"); }
std::chrono::milliseconds heartbeat_interval() { return get_seconds("heartbeat_seconds"); }

std::string api_url() {
  Value v = get("api_url");
  if (v.text.empty()) return {};
  std::string_view url = v.text;
  std::string_view rest;
  if (url.rfind("http://", 0) == 0) rest = url.substr(7);
  else if (url.rfind("https://", 0) == 0) rest = url.substr(8);
  else bad_value("api_url", v.text, "a URL starting with http:// or https://, like http://127.0.0.1:4200/api");
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  // user:password@ is refused: the key travels in BATON_API_KEY, never in a URL that is printed.
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      authority.find_first_of(" \t\r\n") != std::string_view::npos) {
    bad_value("api_url", v.text, "a URL with a host, like http://127.0.0.1:4200/api");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    bad_value("api_url", v.text, "a URL without a query or fragment, like http://127.0.0.1:4200/api");
  }
  // host[:port], or [v6][:port]; a port is 1..65535, digits only.
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos) bad_value("api_url", v.text, "an IPv6 host closed by ']'");
    std::string_view after = host.substr(close + 1);
    host = host.substr(0, close + 1);
    if (!after.empty() && after.front() != ':') bad_value("api_url", v.text, "':port' after the IPv6 host");
    if (!after.empty()) {
      has_port = true;
      port = after.substr(1);
    }
  } else if (const auto colon = host.find(':'); colon != std::string_view::npos) {
    has_port = true;
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.empty() || host == "[]") bad_value("api_url", v.text, "a URL with a host, like http://127.0.0.1:4200/api");
  if (has_port) {
    const bool digits = !port.empty() && port.size() <= 5 &&
                        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    const long n = digits ? std::stol(std::string(port)) : 0;
    if (n < 1 || n > 65535) bad_value("api_url", v.text, "a port from 1 to 65535 after the host");
  }
  std::string out(url);
  while (!out.empty() && out.back() == '/') out.pop_back();  // "…/api/" and "…/api" are one server
  return out;
}

std::string api_key() { return get("api_key").text; }

std::chrono::milliseconds api_timeout() {
  auto t = get_seconds("api_timeout_seconds");
  if (t.count() == 0) bad_value("api_timeout_seconds", get("api_timeout_seconds").text, "a number of seconds above 0");
  return t;
}

std::filesystem::path spool_dir() { return home() / "spool"; }

void validate_all() {
  (void)home();
  (void)history_enabled();
  (void)log_level();
  (void)log_prints();
  (void)task_runner();
  (void)workers();
  (void)inline_result_bytes();
  (void)default_retries();
  (void)default_retry_delay();
  (void)heartbeat_interval();
  (void)refresh_cache();
  (void)default_cache_policy_none();
  (void)api_url();
  (void)api_timeout();
  for (std::string_view name : {"persist_results", "cache"}) {
    Value v = get(name);
    bool ignored = false;
    if (!v.text.empty() && !parse_bool(v.text, ignored)) bad_value(name, v.text, "true or false");
  }
}

}  // namespace baton::settings
