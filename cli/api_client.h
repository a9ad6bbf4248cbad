#pragma once
// The commands that act on a server's objects (deployments, work pools, workers,
// concurrency limits, artifacts): a client from BATON_API_URL / BATON_API_KEY,
// and JSON calls whose failures become CommandErrors naming the field at fault
// (a 422's error.field) and the URL.
#include "client/http_client.h"
#include "commands.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace baton::cli {

// Throws CommandError when BATON_API_URL is not set (these commands need a server).
client::HttpClient& api();

// method: GET, POST, PUT or DELETE. Returns the reply's JSON (null for an empty body).
nlohmann::json api_call(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);

// "name=value" → (name, value); throws CommandError naming `option` otherwise.
std::pair<std::string, std::string> split_assignment(const std::string& text, const std::string& option);

std::string url_part(const std::string& text);  // percent-encoded for a path segment

}  // namespace baton::cli
