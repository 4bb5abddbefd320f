// What gossip says about a Raft server, for the leader's voter rules in
// node/raft_node_membership.cc (dead-server cleanup, graceful leave,
// promotion of live learners only). Header-only so RaftNode needs no link
// dependency on the discovery service.
#pragma once

#include <functional>

#include "common/clock.h"
#include "common/ids.h"

namespace synod::node {

enum class ServerLiveness { kUnknown, kAlive, kFailed, kLeft };

struct ServerHealth {
  ServerLiveness liveness = ServerLiveness::kUnknown;
  Duration failed_for{};  // how long it has been dead (kFailed only)
};

using ServerHealthSource = std::function<ServerHealth(NodeId)>;

}  // namespace synod::node
