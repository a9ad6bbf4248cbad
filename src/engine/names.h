#pragma once
// Engine-internal text helpers (names.cpp).
#include <string>
#include <vector>

namespace baton::detail {

// ["a","b"]: tags as the run history stores them.
std::string json_string_list(const std::vector<std::string>& items);

}  // namespace baton::detail
