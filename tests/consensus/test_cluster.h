// TestCluster: N Raft cores wired together in memory for unit tests. Each
// node persists into a MemoryStorage and applies to a TestKvStateMachine
// exactly as the Ready contract says; the network is a FIFO queue the test
// drains explicitly, with per-link cuts for partitions.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "common/random.h"
#include "consensus/memory_storage.h"
#include "consensus/message_codec.h"
#include "consensus/raft.h"
#include "consensus/test_kv_state_machine.h"

namespace synod::consensus::testing {

inline NodeId N(std::uint64_t id) { return NodeId(id); }

struct TestNode {
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<Raft> raft;
  TestKvStateMachine state;
  std::vector<ReadState> read_states;
  std::vector<Entry> applied;  // every committed entry handed out, in order
  bool up = true;
};

class TestCluster {
 public:
  // Nodes 1..voters are founding voters; `extra` more nodes (ids after them)
  // start empty, outside the configuration (to be added later).
  TestCluster(int voters, RaftConfig base = {}, std::uint64_t seed = 1, int extra = 0);

  TestNode& node(NodeId id) { return nodes_.at(id); }
  Raft& raft(NodeId id) { return *nodes_.at(id).raft; }
  std::vector<NodeId> ids() const;

  // Handles every pending Ready of one node / all nodes.
  void process(NodeId id);
  void process_all();
  // Delivers queued messages (processing Readys in between) until the
  // network is quiet or max_messages were delivered. Returns the count.
  std::size_t stabilize(std::size_t max_messages = 1000000);
  void tick_all(int ticks = 1);
  // Ticks and delivers until some node is leader (or gives up).
  NodeId wait_for_leader(int max_ticks = 500);
  NodeId leader() const;
  // Makes `id` campaign and settles.
  void elect(NodeId id);
  // Proposes a put at the leader and settles; returns its index.
  LogIndex put(const std::string& key, const std::string& value);

  // Network control.
  void cut(NodeId a, NodeId b);  // both directions
  void cut_one_way(NodeId from, NodeId to);
  void isolate(NodeId id);
  void heal() { cut_.clear(); }
  void crash(NodeId id);                            // keeps storage (everything was persisted)
  void restart(NodeId id);                          // rebuilds the core from storage
  std::function<bool(const Message&)> drop_filter;  // true = drop
  // Every message delivered so far.
  std::vector<Message> delivered;
  std::deque<Message>& network() { return network_; }

  RaftConfig config_for(NodeId id) const;

 private:
  RaftConfig base_;
  std::map<NodeId, TestNode> nodes_;
  std::deque<Message> network_;
  std::set<std::pair<NodeId, NodeId>> cut_;
  SeededRandom random_;
};

}  // namespace synod::consensus::testing
