#pragma once
#include <string_view>

namespace baton {

// Python logging's levels, so BATON_LOG_LEVEL=WARNING means what Prefect users expect.
enum class LogLevel { Debug = 10, Info = 20, Warning = 30, Error = 40, Critical = 50 };

std::string_view to_string(LogLevel level);
// Accepts DEBUG/INFO/WARNING/ERROR/CRITICAL in any case, or the numbers; false if unknown.
bool parse_log_level(std::string_view text, LogLevel& out);

}  // namespace baton
