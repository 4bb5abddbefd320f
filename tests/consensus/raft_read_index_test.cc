// Linearizable reads through ReadIndex and the lease (dissertation §6.4).
#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace synod::consensus::testing {
namespace {

int heartbeats_sent(const TestCluster& c, NodeId from) {
  int n = 0;
  for (const Message& m : c.delivered) n += (m.type == MessageType::kHeartbeat && m.from == from);
  return n;
}

TEST(RaftReadIndex, LeaderReadConfirmedByHeartbeatRound) {
  TestCluster c(3);
  c.elect(N(1));
  const LogIndex idx = c.put("k", "v");
  c.delivered.clear();
  ASSERT_TRUE(c.raft(N(1)).read_index("r1").is_ok());
  c.process(N(1));
  EXPECT_TRUE(c.node(N(1)).read_states.empty()) << "not safe before a quorum confirmed";
  c.stabilize();
  ASSERT_EQ(c.node(N(1)).read_states.size(), 1u);
  EXPECT_EQ(c.node(N(1)).read_states[0], (ReadState{idx, "r1"}));
  EXPECT_EQ(heartbeats_sent(c, N(1)), 2);
}

TEST(RaftReadIndex, ConcurrentReadsShareHeartbeatRounds) {
  TestCluster c(3);
  c.elect(N(1));
  c.put("k", "v");
  c.delivered.clear();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(c.raft(N(1)).read_index("r" + std::to_string(i)).is_ok());
  c.stabilize();
  EXPECT_EQ(c.node(N(1)).read_states.size(), 100u);
  EXPECT_LE(heartbeats_sent(c, N(1)), 4) << "100 reads, at most two rounds of heartbeats";
}

TEST(RaftReadIndex, PartitionedLeaderServesNoReads) {
  TestCluster c(3);
  c.elect(N(1));
  c.put("k", "v");
  c.isolate(N(1));
  ASSERT_TRUE(c.raft(N(1)).read_index("stale?").is_ok());
  c.stabilize();
  c.tick_all(5);
  EXPECT_TRUE(c.node(N(1)).read_states.empty());
}

TEST(RaftReadIndex, FollowerReadAsksTheLeader) {
  TestCluster c(3);
  c.elect(N(1));
  const LogIndex idx = c.put("k", "v");
  ASSERT_TRUE(c.raft(N(2)).read_index("from-follower").is_ok());
  c.stabilize();
  ASSERT_EQ(c.node(N(2)).read_states.size(), 1u);
  EXPECT_EQ(c.node(N(2)).read_states[0].index, idx);
  EXPECT_GE(c.node(N(2)).state.applied_index(), idx);
}

TEST(RaftReadIndex, FollowerWithoutLeaderFailsFast) {
  TestCluster c(3);
  auto s = c.raft(N(2)).read_index("x");
  EXPECT_EQ(s.code(), StatusCode::kNotLeader);
}

TEST(RaftReadIndex, NewLeaderWaitsForItsOwnCommit) {
  TestCluster c(3);
  ASSERT_TRUE(c.raft(N(1)).campaign().is_ok());
  // Deliver votes but no appends until the leader asks for a read.
  for (int i = 0; i < 6 && c.raft(N(1)).role() != Role::kLeader; ++i) {
    c.process_all();
    std::deque<Message> held;
    while (!c.network().empty()) {
      Message m = c.network().front();
      c.network().pop_front();
      if (m.type == MessageType::kAppend) {
        held.push_back(m);
        continue;
      }
      ASSERT_TRUE(c.raft(m.to).step(m).is_ok());
      c.process(m.to);
    }
    for (Message& m : held) c.network().push_back(m);
  }
  ASSERT_EQ(c.raft(N(1)).role(), Role::kLeader);
  ASSERT_TRUE(c.raft(N(1)).read_index("early").is_ok());
  c.process(N(1));
  EXPECT_TRUE(c.node(N(1)).read_states.empty());
  c.stabilize();
  ASSERT_EQ(c.node(N(1)).read_states.size(), 1u);
  EXPECT_GE(c.node(N(1)).read_states[0].index, c.raft(N(1)).commit_index());
}

TEST(RaftReadIndex, LeaseReadAnswersWithoutHeartbeatRound) {
  RaftConfig cfg;
  cfg.lease_read = true;
  TestCluster c(3, cfg);
  c.elect(N(1));
  const LogIndex idx = c.put("k", "v");
  c.delivered.clear();
  ASSERT_TRUE(c.raft(N(1)).read_index("lease").is_ok());
  c.process(N(1));
  ASSERT_EQ(c.node(N(1)).read_states.size(), 1u);
  EXPECT_EQ(c.node(N(1)).read_states[0].index, idx);
  EXPECT_EQ(heartbeats_sent(c, N(1)), 0);
}

}  // namespace
}  // namespace synod::consensus::testing
