#include <baton/log_level.h>
#include <baton/state.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <utility>

namespace baton {

namespace {

constexpr std::array<std::pair<StateType, std::string_view>, 14> kStateNames{{
    {StateType::Scheduled, "Scheduled"},
    {StateType::Pending, "Pending"},
    {StateType::Running, "Running"},
    {StateType::Retrying, "Retrying"},
    {StateType::AwaitingRetry, "AwaitingRetry"},
    {StateType::Completed, "Completed"},
    {StateType::Cached, "Cached"},
    {StateType::Failed, "Failed"},
    {StateType::TimedOut, "TimedOut"},
    {StateType::Crashed, "Crashed"},
    {StateType::Cancelled, "Cancelled"},
    {StateType::NotReady, "NotReady"},
    {StateType::Paused, "Paused"},
    {StateType::AwaitingConcurrencySlot, "AwaitingConcurrencySlot"},
}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view to_string(StateType type) {
  for (const auto& [t, name] : kStateNames) {
    if (t == type) return name;
  }
  return "Unknown";
}

bool parse_state_type(std::string_view text, StateType& out) {
  for (const auto& [t, name] : kStateNames) {
    if (iequals(name, text)) return out = t, true;
  }
  return false;
}

bool is_final(StateType type) {
  switch (type) {
    case StateType::Completed:
    case StateType::Cached:
    case StateType::Failed:
    case StateType::TimedOut:
    case StateType::Crashed:
    case StateType::Cancelled:
    case StateType::NotReady:
      return true;
    default:
      return false;
  }
}

StateKind kind_of(StateType type) {
  switch (type) {
    case StateType::Scheduled:
    case StateType::AwaitingRetry:
    case StateType::AwaitingConcurrencySlot:
      return StateKind::Scheduled;
    case StateType::Pending:
    case StateType::NotReady:
      return StateKind::Pending;
    case StateType::Running:
    case StateType::Retrying:
      return StateKind::Running;
    case StateType::Completed:
    case StateType::Cached:
      return StateKind::Completed;
    case StateType::Failed:
    case StateType::TimedOut:
      return StateKind::Failed;
    case StateType::Crashed:
      return StateKind::Crashed;
    case StateType::Cancelled:
      return StateKind::Cancelled;
    case StateType::Paused:
      return StateKind::Paused;
  }
  return StateKind::Pending;
}

std::string_view to_string(StateKind kind) {
  switch (kind) {
    case StateKind::Scheduled: return "SCHEDULED";
    case StateKind::Pending: return "PENDING";
    case StateKind::Running: return "RUNNING";
    case StateKind::Completed: return "COMPLETED";
    case StateKind::Failed: return "FAILED";
    case StateKind::Cancelled: return "CANCELLED";
    case StateKind::Crashed: return "CRASHED";
    case StateKind::Paused: return "PAUSED";
  }
  return "PENDING";
}

bool is_completed(StateType type) { return type == StateType::Completed || type == StateType::Cached; }

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "DEBUG";
    case LogLevel::Info: return "INFO";
    case LogLevel::Warning: return "WARNING";
    case LogLevel::Error: return "ERROR";
    case LogLevel::Critical: return "CRITICAL";
  }
  return "INFO";
}

bool parse_log_level(std::string_view text, LogLevel& out) {
  for (LogLevel l : {LogLevel::Debug, LogLevel::Info, LogLevel::Warning, LogLevel::Error, LogLevel::Critical}) {
    if (iequals(text, to_string(l)) || text == std::to_string(static_cast<int>(l))) return out = l, true;
  }
  if (iequals(text, "WARN")) return out = LogLevel::Warning, true;
  return false;
}

}  // namespace baton
