#pragma once
// The routes of issue 16: /deployments*, /work-pools*, /workers/heartbeat,
// /flow-runs/{id}/retry|release|exit, /concurrency-limits*, /artifacts. Called
// by make_routes; served like every other route.
#include "server/api/routes.h"

#include <vector>

namespace baton::server::api {

void add_deploy_routes(std::vector<Route>& routes, ApiContext& ctx);

}  // namespace baton::server::api
