// The Consul-compatible registry endpoints (docs/api.md "Agent", "Catalog",
// "Health", "Session") and synod's /v1/synod/select/:service, over a
// RegistryService. Every list/read endpoint supports blocking queries
// (?index=&wait=) on the registry resource it reads (registry_resources.h),
// the consistency modes (?stale, ?consistent) and, for lists, ?filter=.
#pragma once

#include "node/http/router.h"
#include "node/http/watch_hub.h"
#include "node/registry/registry_service.h"

namespace synod::node::registry {

// `service` and `hub` must outlive the router.
void register_registry_routes(http::Router& router, RegistryService& service, http::WatchHub& hub);

void register_agent_routes(http::Router& router, RegistryService& service, http::WatchHub& hub);
void register_catalog_routes(http::Router& router, RegistryService& service, http::WatchHub& hub);
void register_session_routes(http::Router& router, RegistryService& service, http::WatchHub& hub);

}  // namespace synod::node::registry
