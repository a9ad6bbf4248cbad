#include "server/api/request_helpers.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>

namespace baton::server::api {

using nlohmann::json;
using db::BadInput;

ApiResponse ok(const json& j, int status) {
  return ApiResponse{status, j.dump(-1, ' ', false, json::error_handler_t::replace), "application/json"};
}

std::optional<std::string> param(const ApiRequest& r, const std::string& name) {
  auto [b, e] = r.query.equal_range(name);
  if (b == e) return std::nullopt;
  std::string value = b->second;
  if (++b != e) throw BadInput(name, fmt::format("{}: given more than once", name));
  return value;
}

std::int64_t integer(const std::string& text, const std::string& name, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (res.ec != std::errc() || res.ptr != text.data() + text.size() || text.empty() || v < min || v > max) {
    throw BadInput(name, fmt::format("{}: expected an integer from {} to {}, got '{}'", name, min, max, text));
  }
  return v;
}

int limit_of(const ApiRequest& r, int max, int fallback, int min) {
  auto v = param(r, "limit");
  return v ? static_cast<int>(integer(*v, "limit", min, max)) : fallback;
}

json parse_object(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) throw BadInput("body", "body: malformed JSON");
  if (!j.is_object()) throw BadInput("body", fmt::format("body: expected an object, got {}", j.type_name()));
  return j;
}

}  // namespace baton::server::api
