// The Consul agent endpoints for gossip membership (docs/discovery.md):
//   GET /v1/agent/members                 every member, Consul's shape
//   PUT /v1/agent/join/:address           join through a gossip address
//                                         (or id@peer-address)
//   PUT /v1/agent/leave                   leave gracefully, then shut down
//   PUT /v1/agent/force-leave/:node[?prune]  mark a failed member as left
#pragma once

#include <functional>
#include <nlohmann/json.hpp>

#include "common/status.h"
#include "node/discovery/discovery_service.h"
#include "node/http/router.h"

namespace synod::node {

// What PUT /v1/agent/leave does besides gossip (the node removes itself
// from the Raft configuration and stops); `done` answers the request.
using LeaveAction = std::function<void(std::function<void(Status)> done)>;

// The usual LeaveAction: `remove_self` asks the leader to drop this node
// from the Raft configuration (bounded by a timeout; failures are logged,
// not fatal), then gossip says goodbye, the request is answered and
// `stop_node` shuts the process down.
LeaveAction make_leave_action(asio::io_context& io, DiscoveryService& discovery,
                              std::function<void(std::function<void(Status)>)> remove_self,
                              std::function<void()> stop_node);

// `discovery` must outlive the router.
void register_agent_member_routes(http::Router& router, DiscoveryService& discovery,
                                  LeaveAction leave);

// One member as Consul's /v1/agent/members shows it.
nlohmann::json member_json(const synod::discovery::Member& member, bool leaving_self);

}  // namespace synod::node
