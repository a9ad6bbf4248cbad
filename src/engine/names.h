#pragma once
// Engine-internal text helpers (names.cpp).
#include <chrono>
#include <exception>
#include <string>
#include <vector>

namespace baton::detail {

// ["a","b"]: tags as the run history stores them.
std::string json_string_list(const std::vector<std::string>& items);

// "0.1s", "2.5s", "90s": how durations read in state messages and logs.
std::string duration_text(std::chrono::milliseconds d);

// what() of a caught exception, for state messages.
std::string error_message(const std::exception_ptr& error);

}  // namespace baton::detail
