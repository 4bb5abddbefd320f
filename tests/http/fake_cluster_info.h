// A ClusterInfo with fixed answers for tests: a two-server group led by
// node 1 at 127.0.0.1:8300.
#pragma once

#include <string>

#include "node/http/cluster_info.h"

namespace synod::node::http::testing {

class FakeClusterInfo : public ClusterInfo {
 public:
  std::string leader_address() const override { return "127.0.0.1:8300"; }
  std::vector<std::string> peers() const override { return {"127.0.0.1:8300", "127.0.0.1:8310"}; }
  RaftConfiguration raft_configuration() const override {
    RaftConfiguration c;
    c.index = 7;
    c.servers.push_back({"1", "node-1", "127.0.0.1:8300", true, true, "3"});
    c.servers.push_back({"2", "node-2", "127.0.0.1:8310", false, true, "3"});
    return c;
  }
  LeaderView leader_view() const override { return {true, 0}; }
  AgentInfo agent_info() const override {
    AgentInfo a;
    a.node_name = "node-1";
    a.node_id = "1";
    a.version = "0.1.0";
    a.peer_address = "127.0.0.1:8300";
    a.http_address = "127.0.0.1:8500";
    a.gossip_address = "127.0.0.1:8301";
    a.role = "leader";
    a.leader_address = "127.0.0.1:8300";
    a.term = 3;
    a.commit_index = 10;
    a.applied_index = 10;
    return a;
  }
  HealthReport health() const override {
    HealthReport h;
    h.healthy = healthy;
    h.status = healthy ? "ok" : "no-leader";
    return h;
  }
  void remove_peer(const std::string& id, std::function<void(Status)> done) override {
    if (id != "1" && id != "2") return done(not_found("no server " + id));
    removed = id;
    done(Status::ok());
  }
  void transfer_leader(const std::optional<std::string>& id,
                       std::function<void(Status)> done) override {
    transferred_to = id.value_or("any");
    done(Status::ok());
  }

  bool healthy = true;
  std::string removed;
  std::string transferred_to;
};

}  // namespace synod::node::http::testing
