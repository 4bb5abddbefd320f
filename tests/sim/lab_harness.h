// LabHarness: the helpers of the MIT 6.5840 Raft lab's test config
// (checkOneLeader, one(), nCommitted, disconnect/connect, crash/start)
// rebuilt on the simulated Cluster, so the lab's scenarios read the same.
// Time is virtual; "sleeping" runs the simulation.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/sim/cluster.h"

namespace synod::consensus::sim {

class LabHarness {
 public:
  struct Start {
    LogIndex index;
    Term term;
    bool is_leader = false;
  };

  explicit LabHarness(int nodes, std::uint64_t seed = 1, std::uint64_t snapshot_entries = 0,
                      bool unreliable = false);
  explicit LabHarness(const ClusterOptions& options);
  ~LabHarness();

  Cluster& cluster() { return cluster_; }
  int n() const { return n_; }
  // Node ids are 1..n; lab code counts 0..n-1: id(i) maps (with wrap).
  NodeId id(int i) const { return NodeId(static_cast<std::uint64_t>(((i % n_) + n_) % n_) + 1); }
  int index_of(NodeId id) const { return static_cast<int>(id.value()) - 1; }

  void sleep(Micros duration) { cluster_.run_for(duration); }
  void disconnect(NodeId id);
  void connect(NodeId id);
  bool is_connected(NodeId id) const { return !disconnected_.contains(id); }
  void crash(NodeId id);
  void restart(NodeId id);
  void set_unreliable(bool unreliable);
  void set_long_reordering(bool on);

  // A leader among connected, running nodes, waiting up to ~5 s; fails the
  // test (returns kNoNode) if none or if two claim the same term.
  NodeId check_one_leader();
  void check_no_leader();
  // All connected nodes agree on the term; returns it.
  Term check_terms();
  // Proposes `value` on a node that claims leadership (retrying) until
  // `expected` nodes applied it; returns its index or 0 on failure.
  LogIndex one(const std::string& value, int expected, bool retry);
  // Proposes on one node without waiting.
  Start start(NodeId id, const std::string& value);
  // How many nodes applied `index`; the value committed there ("" if none).
  int n_committed(LogIndex index, std::string* value = nullptr) const;
  // Waits until at least `expected` nodes applied `index`.
  bool wait_committed(LogIndex index, int expected, Micros limit = 10 * kSecond);
  std::uint64_t rpc_total() const { return cluster_.messages_sent(); }

 private:
  int n_;
  Cluster cluster_;
  std::set<NodeId> disconnected_;
  std::uint64_t next_tag_ = 1;
};

// Options shared by the scenarios: 10 ms ticks, elections after 100-200 ms,
// heartbeats every 30 ms.
ClusterOptions lab_options(int nodes, std::uint64_t seed, std::uint64_t snapshot_entries);

}  // namespace synod::consensus::sim
