#pragma once
// The API's JSON: records as the objects of src/server/openapi.json, and the
// parsing of query values (times, states, limits) with errors naming the field.
#include "server/db/server_database.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace baton::server::api {

// RFC 3339 UTC with microseconds: "2026-12-07T11:25:30.123456Z".
std::string format_time(std::int64_t us);
std::string format_time(TimePoint t);
// RFC 3339 with a Z or an offset, optional fraction. Throws db::BadInput(field).
std::int64_t parse_time(std::string_view text, std::string_view field);

nlohmann::json to_json(const store::FlowRunRecord& r);
nlohmann::json to_json(const db::FlowRunDetail& d);
nlohmann::json to_json(const store::TaskRunRecord& r);
nlohmann::json to_json(const db::TaskRunDetail& d);
nlohmann::json to_json(const store::LogRecord& l);
nlohmann::json to_json(const db::ResultRow& r);
nlohmann::json to_json(const store::EdgeRecord& e);
nlohmann::json to_json(const db::Graph& g);
nlohmann::json to_json(const db::Stats& s);
nlohmann::json history_json(const std::vector<store::StateTransition>& history);
// A history column as stored ([[state, time_us, message?], ...]), state names as written.
nlohmann::json history_json(std::string_view stored);

// {"error": {"status": N, "message": "...", "field": "..."}}
std::string error_body(int status, std::string_view message, std::string_view field = {});

}  // namespace baton::server::api
