#pragma once
// What every route file needs to read a request and write an answer; each
// failure is a db::BadInput naming the field, which the HTTP shell turns into a
// 400 with that field.
#include "server/api/routes.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace baton::server::api {

// A JSON answer (invalid UTF-8 replaced, never thrown on).
ApiResponse ok(const nlohmann::json& j, int status = 200);

// A query parameter given at most once; nullopt when absent.
std::optional<std::string> param(const ApiRequest& r, const std::string& name);

// `text` as an integer in [min, max], or BadInput naming `name`.
std::int64_t integer(const std::string& text, const std::string& name, std::int64_t min, std::int64_t max);

// The `limit` query parameter: `fallback` when absent, else in [min, max].
int limit_of(const ApiRequest& r, int max = 1000, int fallback = 100, int min = 1);

// A request body that must be a JSON object.
nlohmann::json parse_object(const std::string& body);

}  // namespace baton::server::api
