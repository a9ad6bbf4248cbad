#pragma once
// Engine-internal text helpers (names.cpp).
#include <exception>
#include <string>
#include <vector>

namespace baton::detail {

// ["a","b"]: tags as the run history stores them.
std::string json_string_list(const std::vector<std::string>& items);

// what() of a caught exception, for state messages.
std::string error_message(const std::exception_ptr& error);

}  // namespace baton::detail
