// The status, operator, agent/self, synod health and /metrics endpoints.
#pragma once

#include "node/http/cluster_info.h"
#include "node/http/router.h"

namespace synod::node::http {

// GET  /v1/status/leader, GET /v1/status/peers,
// GET  /v1/operator/raft/configuration, DELETE /v1/operator/raft/peer?id=|address=,
// POST /v1/operator/raft/transfer-leader[?id=],
// GET  /v1/agent/self, GET /v1/synod/health.
// `cluster` must outlive the router.
void register_status_routes(Router& router, ClusterInfo& cluster);

// GET /metrics: metrics::Registry::global() in Prometheus text format.
void register_metrics_route(Router& router);

}  // namespace synod::node::http
