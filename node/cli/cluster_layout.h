// The on-disk layout of a local cluster made by `synod cluster up`, and the
// process helpers the cluster and failover commands share.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace synod::node::cli {

struct ClusterNode {
  std::string name;   // node1, node2, ...
  std::uint64_t id = 0;
  std::string http;   // host:port
  std::string peer;
  std::string gossip;
  std::string config; // path of node.yaml
};

struct ClusterLayout {
  std::string dir;                 // absolute
  std::vector<ClusterNode> nodes;
  std::vector<std::string> extra;  // `--set` overrides passed to every agent
  [[nodiscard]] const ClusterNode* find(const std::string& name) const;
};

// Node k (1-based) listens on base+10(k-1) (HTTP), +1 (peer), +2 (gossip).
ClusterLayout make_layout(const std::string& dir, int nodes, int base_port);
// Writes DIR/cluster.json and each DIR/<name>/node.yaml (creating folders).
Status write_layout(ClusterLayout& layout, const std::string& backend, const std::string& models,
                    const std::vector<std::string>& extra);
Result<ClusterLayout> read_layout(const std::string& dir);
// Adds node N+1 to an existing layout with `cluster.join: true` (it joins
// through the others as a learner) and rewrites DIR/cluster.json.
Result<ClusterNode> add_node(ClusterLayout& layout, const std::string& backend);

// Starts `synod agent -c <config>` detached (own session), output appended to
// DIR/<name>/agent.log, pid written to DIR/<name>/agent.pid.
Result<pid_t> start_agent(const std::string& dir, const ClusterNode& node,
                          const std::vector<std::string>& extra = {});

pid_t read_pid(const std::string& dir, const std::string& name);
void remove_pid(const std::string& dir, const std::string& name);
// True if the process exists and is not a zombie.
bool process_alive(pid_t pid);
// Reaps any exited children of this process (non-blocking).
void reap_children();

}  // namespace synod::node::cli
