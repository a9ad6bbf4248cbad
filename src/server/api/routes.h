#pragma once
// Every route of src/server/openapi.json: decode the request, call the model
// (db::ServerDatabase), encode the answer. Nothing else happens here; the HTTP
// shell (http_server.cpp) turns exceptions into the JSON error bodies.
#include "server/api/stream_hub.h"
#include "server/db/server_database.h"
#include "server/services/work_model.h"

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace baton::server::api {

struct ApiRequest {
  std::vector<std::string> path_params;  // the {id} of the path, in order
  std::multimap<std::string, std::string> query;
  std::string body;
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

struct Route {
  std::string method;  // "GET", "POST"
  std::string path;    // as in openapi.json, under /api: "/flow-runs/{id}"
  std::vector<std::string> query_params;  // the only ones accepted (others: 400)
  std::function<ApiResponse(const ApiRequest&)> handler;
  bool stream = false;  // /stream: the shell serves it from the hub
  bool public_route = false;  // no API key needed (/health, /ready, /openapi.json)
};

struct ApiContext {
  db::ServerDatabase& db;
  StreamHub& hub;
  std::string_view openapi;  // the document served at /api/openapi.json
  services::WorkModel* work = nullptr;  // deployments, work pools, limits, artifacts
};

std::vector<Route> make_routes(ApiContext& ctx);

// The `field` of a 400 from a codec message "events[3].state: unknown ...".
std::string field_of(std::string_view message);

}  // namespace baton::server::api
