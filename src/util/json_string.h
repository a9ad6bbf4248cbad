#pragma once
// JSON string literals for text that may hold any bytes (exception messages,
// parameters): the result is always valid JSON, a byte that is not UTF-8 becoming
// U+FFFD.
#include <string>
#include <string_view>

namespace baton {

// Appends `s` to `out` as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view s);

}  // namespace baton
