// ClusterInfo: what the status, operator, agent and health endpoints need to
// know about this node and its Raft group. The node implements it over its
// Raft core; tests use a fake.
//
// Threading: every method is called on the HTTP server's io_context thread.
// Synchronous getters must be cheap and thread-safe with respect to the node
// loop (e.g. read a snapshot the loop publishes). Asynchronous operations
// call their callback exactly once, from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace synod::node::http {

// What every Consul read response carries in its headers.
struct LeaderView {
  bool known_leader = false;          // X-Consul-KnownLeader
  std::uint64_t last_contact_ms = 0;  // X-Consul-LastContact: 0 on the leader
};

struct RaftServer {
  std::string id;       // the node id as text (Consul: server ID)
  std::string node;     // node name
  std::string address;  // peer address "ip:port"
  bool leader = false;
  bool voter = true;
  std::string protocol_version = "3";
};

struct RaftConfiguration {
  std::vector<RaftServer> servers;
  std::uint64_t index = 0;  // log index of the configuration entry
};

// This node, for /v1/agent/self and /v1/synod/health.
struct AgentInfo {
  std::string datacenter = "dc1";
  std::string node_name;
  std::string node_id;       // text form of NodeId
  std::string version;       // synod version, e.g. "0.1.0"
  std::string revision;      // build revision, "" if unknown
  std::string peer_address;  // advertised peer (Raft) address
  std::string http_address;  // advertised HTTP address
  std::string gossip_address;
  std::string role;            // "leader" | "follower" | "candidate" | "learner"
  std::string leader_address;  // "" if unknown
  std::uint64_t term = 0;
  std::uint64_t commit_index = 0;
  std::uint64_t applied_index = 0;
  std::uint64_t last_log_index = 0;
  std::map<std::string, std::string> meta;  // node metadata, as Consul's Meta
};

// The one-stop health summary at /v1/synod/health.
struct HealthReport {
  bool healthy = true;                // false -> HTTP 503
  std::string status = "ok";          // "ok" | "degraded" | "no-leader" | ...
  std::vector<std::string> problems;  // human-readable reasons when not ok
};

class ClusterInfo {
 public:
  virtual ~ClusterInfo() = default;

  // The leader's peer address ("ip:port"), or "" when none is known.
  [[nodiscard]] virtual std::string leader_address() const = 0;
  // Peer addresses of the voters.
  [[nodiscard]] virtual std::vector<std::string> peers() const = 0;
  [[nodiscard]] virtual RaftConfiguration raft_configuration() const = 0;
  [[nodiscard]] virtual LeaderView leader_view() const = 0;
  [[nodiscard]] virtual AgentInfo agent_info() const = 0;
  [[nodiscard]] virtual HealthReport health() const = 0;

  // Removes the server with `id` from the Raft configuration (forwarded to
  // the leader if needed). NotFound if no such server.
  virtual void remove_peer(const std::string& id, std::function<void(Status)> done) = 0;
  // Transfers leadership to `id`, or to the most up-to-date voter if nullopt.
  virtual void transfer_leader(const std::optional<std::string>& id,
                               std::function<void(Status)> done) = 0;
};

}  // namespace synod::node::http
