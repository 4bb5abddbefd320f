#include "tests/consensus/test_cluster.h"

#include <gtest/gtest.h>

namespace synod::consensus::testing {

TestCluster::TestCluster(int voters, RaftConfig base, std::uint64_t seed, int extra)
    : base_(base), random_(seed) {
  ClusterConfig config;
  for (int i = 1; i <= voters; ++i) config.voters.push_back(N(i));
  for (int i = 1; i <= voters + extra; ++i) {
    TestNode& n = nodes_[N(i)];
    n.storage = std::make_unique<MemoryStorage>();
    if (i <= voters) {
      n.storage->bootstrap(config);
      EXPECT_TRUE(n.state.restore("", n.storage->snapshot_meta().index).is_ok());
    }
    n.raft = std::make_unique<Raft>(config_for(N(i)), *n.storage, random_);
  }
}

RaftConfig TestCluster::config_for(NodeId id) const {
  RaftConfig c = base_;
  c.id = id;
  return c;
}

std::vector<NodeId> TestCluster::ids() const {
  std::vector<NodeId> out;
  for (const auto& [id, n] : nodes_) out.push_back(id);
  return out;
}

void TestCluster::process(NodeId id) {
  TestNode& n = nodes_.at(id);
  if (!n.up) return;
  while (n.raft->has_ready()) {
    Ready rd = n.raft->take_ready();
    for (Message& m : rd.messages) network_.push_back(std::move(m));
    if (rd.snapshot) {
      ASSERT_TRUE(n.storage->apply_snapshot(*rd.snapshot).is_ok());
      ASSERT_TRUE(n.state.restore(rd.snapshot->data, rd.snapshot->meta.index).is_ok());
    }
    ASSERT_TRUE(n.storage->append(rd.entries).is_ok());
    if (rd.hard_state) n.storage->set_hard_state(*rd.hard_state);
    for (Message& m : rd.messages_after_persist) network_.push_back(std::move(m));
    for (const Entry& e : rd.committed_entries) {
      ASSERT_EQ(e.index, n.state.applied_index().next()) << "gap in applied entries at " << id;
      (void)n.state.apply(e);
      n.applied.push_back(e);
    }
    for (ReadState& r : rd.read_states) n.read_states.push_back(std::move(r));
    n.raft->advance(rd);
    const LogIndex applied = n.state.applied_index();
    if (n.raft->should_snapshot(applied)) {
      auto meta = n.raft->snapshot_meta(applied);
      ASSERT_TRUE(meta.is_ok()) << meta.status();
      ASSERT_TRUE(n.storage->create_snapshot(*meta, n.state.snapshot()).is_ok());
    }
  }
}

void TestCluster::process_all() {
  for (auto& [id, n] : nodes_) process(id);
}

std::size_t TestCluster::stabilize(std::size_t max_messages) {
  std::size_t count = 0;
  process_all();
  while (!network_.empty() && count < max_messages) {
    Message m = std::move(network_.front());
    network_.pop_front();
    auto it = nodes_.find(m.to);
    if (it == nodes_.end() || !it->second.up || !nodes_.at(m.from).up) continue;
    if (cut_.count({m.from, m.to}) != 0) continue;
    if (drop_filter && drop_filter(m)) continue;
    ++count;
    delivered.push_back(m);
    EXPECT_TRUE(it->second.raft->step(std::move(m)).is_ok());
    process(it->first);
  }
  return count;
}

void TestCluster::tick_all(int ticks) {
  for (int t = 0; t < ticks; ++t) {
    for (auto& [id, n] : nodes_) {
      if (n.up) n.raft->tick();
    }
    stabilize();
  }
}

NodeId TestCluster::leader() const {
  NodeId found = kNoNode;
  Term best;
  for (const auto& [id, n] : nodes_) {
    if (n.up && n.raft->role() == Role::kLeader && n.raft->term() >= best) {
      found = id;
      best = n.raft->term();
    }
  }
  return found;
}

NodeId TestCluster::wait_for_leader(int max_ticks) {
  for (int t = 0; t < max_ticks; ++t) {
    stabilize();
    if (leader() != kNoNode) return leader();
    tick_all(1);
  }
  return leader();
}

void TestCluster::elect(NodeId id) {
  EXPECT_TRUE(raft(id).campaign().is_ok());
  stabilize();
}

LogIndex TestCluster::put(const std::string& key, const std::string& value) {
  NodeId l = leader();
  EXPECT_NE(l, kNoNode);
  auto index = raft(l).propose(encode_kv_command(KvCommand{KvOp::kPut, key, value, ""}));
  EXPECT_TRUE(index.is_ok()) << index.status();
  stabilize();
  return index.is_ok() ? *index : kNoIndex;
}

void TestCluster::cut(NodeId a, NodeId b) {
  cut_.insert({a, b});
  cut_.insert({b, a});
}

void TestCluster::cut_one_way(NodeId from, NodeId to) { cut_.insert({from, to}); }

void TestCluster::isolate(NodeId id) {
  for (const auto& [other, n] : nodes_) {
    if (other != id) cut(id, other);
  }
}

void TestCluster::crash(NodeId id) { nodes_.at(id).up = false; }

void TestCluster::restart(NodeId id) {
  TestNode& n = nodes_.at(id);
  // The state machine is volatile: rebuild it from the snapshot, then the
  // core hands the committed entries after it out again.
  const Snapshot snap = n.storage->snapshot().value();
  n.state = TestKvStateMachine();
  ASSERT_TRUE(n.state.restore(snap.data, snap.meta.index).is_ok());
  n.applied.clear();
  n.read_states.clear();
  n.raft = std::make_unique<Raft>(config_for(id), *n.storage, random_);
  n.up = true;
}

}  // namespace synod::consensus::testing
