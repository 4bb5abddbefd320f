// Snapshots and log compaction (§7), membership changes (dissertation §4)
// and leadership transfer (dissertation §3.10).
#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace synod::consensus::testing {
namespace {

TEST(RaftSnapshot, LogIsCompactedAtConfiguredSize) {
  RaftConfig cfg;
  cfg.snapshot_entries = 20;
  TestCluster c(3, cfg);
  c.elect(N(1));
  for (int i = 0; i < 50; ++i) c.put("k" + std::to_string(i), "v");
  for (NodeId id : c.ids()) {
    EXPECT_GT(c.node(id).storage->snapshot_meta().index, LogIndex(20)) << id;
    EXPECT_LT(c.node(id).storage->size(), 2 * cfg.snapshot_entries) << id;
  }
}

TEST(RaftSnapshot, LaggingFollowerGetsChunkedSnapshotAndResumes) {
  RaftConfig cfg;
  cfg.snapshot_entries = 10;
  cfg.snapshot_chunk_bytes = 64;
  TestCluster c(3, cfg);
  c.elect(N(1));
  c.isolate(N(3));
  for (int i = 0; i < 40; ++i) c.put("key" + std::to_string(i), std::string(20, 'x'));
  ASSERT_GT(c.node(N(1)).storage->first_index(), c.raft(N(3)).last_index().next())
      << "node 3 is behind the compacted prefix";
  c.heal();
  c.delivered.clear();
  c.tick_all(3);
  int chunks = 0;
  for (const Message& m : c.delivered) {
    if (m.type == MessageType::kSnapshot && m.to == N(3)) {
      ++chunks;
      EXPECT_LE(m.snapshot_data.size(), cfg.snapshot_chunk_bytes);
    }
  }
  EXPECT_GT(chunks, 3) << "the snapshot travels in several bounded chunks";
  EXPECT_EQ(c.node(N(3)).state.data(), c.node(N(1)).state.data());
  c.put("after", "snapshot");
  EXPECT_EQ(c.node(N(3)).state.get("after"), "snapshot") << "replication resumes after install";
}

TEST(RaftSnapshot, TrailingEntriesSpareSlightlyLaggingFollowerASnapshot) {
  TestCluster c(3);
  c.elect(N(1));
  c.isolate(N(3));
  for (int i = 0; i < 10; ++i) c.put("k" + std::to_string(i), "v");
  // Node 1 snapshots at its applied index but keeps 20 entries behind it.
  TestNode& n1 = c.node(N(1));
  auto meta = c.raft(N(1)).snapshot_meta(n1.state.applied_index());
  ASSERT_TRUE(meta.is_ok());
  ASSERT_TRUE(n1.storage->create_snapshot(*meta, n1.state.snapshot(), 20).is_ok());
  ASSERT_LE(n1.storage->first_index(), c.raft(N(3)).last_index());
  c.heal();
  c.delivered.clear();
  c.tick_all(3);
  for (const Message& m : c.delivered) EXPECT_NE(m.type, MessageType::kSnapshot);
  EXPECT_EQ(c.node(N(3)).state.get("k9"), "v");
  c.crash(N(1));
  c.restart(N(1));
  EXPECT_EQ(c.node(N(1)).state.get("k9"), "v");
}

TEST(RaftSnapshot, LostChunksAreResent) {
  RaftConfig cfg;
  cfg.snapshot_entries = 10;
  cfg.snapshot_chunk_bytes = 50;
  TestCluster c(3, cfg);
  c.elect(N(1));
  c.isolate(N(3));
  for (int i = 0; i < 30; ++i) c.put("key" + std::to_string(i), "value");
  c.heal();
  int n = 0;
  c.drop_filter = [&](const Message& m) {
    return m.type == MessageType::kSnapshot && m.to == N(3) && (n++ % 3) == 1;
  };
  c.tick_all(60);
  EXPECT_EQ(c.node(N(3)).state.data(), c.node(N(1)).state.data());
}

TEST(RaftSnapshot, RestartFromSnapshotAndLog) {
  RaftConfig cfg;
  cfg.snapshot_entries = 10;
  TestCluster c(3, cfg);
  c.elect(N(1));
  for (int i = 0; i < 25; ++i) c.put("k" + std::to_string(i), std::to_string(i));
  c.crash(N(2));
  c.restart(N(2));
  EXPECT_EQ(c.node(N(2)).state.get("k5"), "5") << "restored from the snapshot";
  c.stabilize();
  c.tick_all(2);
  EXPECT_EQ(c.node(N(2)).state.get("k24"), "24") << "log after the snapshot re-applied";
}

TEST(RaftMembership, AddLearnerPromoteAndReplicate) {
  TestCluster c(3, {}, 1, /*extra=*/1);
  c.elect(N(1));
  c.put("before", "join");
  ASSERT_TRUE(
      c.raft(N(1)).propose_conf_change({ConfChangeType::kAddLearner, N(4), "addr"}).is_ok());
  c.stabilize();
  c.tick_all(2);
  EXPECT_TRUE(c.raft(N(1)).config().is_learner(N(4)));
  EXPECT_TRUE(c.raft(N(4)).config().is_learner(N(4))) << "the learner learned the membership";
  EXPECT_EQ(c.node(N(4)).state.get("before"), "join");
  EXPECT_EQ(c.raft(N(1)).config().quorum(), 2u) << "a learner does not count";
  ASSERT_TRUE(c.raft(N(1)).caught_up(N(4)));
  ASSERT_TRUE(c.raft(N(1)).propose_conf_change({ConfChangeType::kAddVoter, N(4), ""}).is_ok());
  c.stabilize();
  for (NodeId id : c.ids()) EXPECT_TRUE(c.raft(id).config().is_voter(N(4))) << id;
  // With 4 voters, a quorum is 3: two nodes down stops progress.
  c.crash(N(2));
  c.crash(N(3));
  const LogIndex commit = c.raft(N(1)).commit_index();
  ASSERT_TRUE(c.raft(N(1)).propose("x").is_ok());
  c.stabilize();
  EXPECT_EQ(c.raft(N(1)).commit_index(), commit);
}

TEST(RaftMembership, OneChangeAtATimeAndOnlyAfterOwnTermCommit) {
  TestCluster c(3, {}, 1, 2);
  ASSERT_TRUE(c.raft(N(1)).campaign().is_ok());
  // Elected, but the no-op of its term is not committed yet.
  for (int i = 0; i < 4 && c.raft(N(1)).role() != Role::kLeader; ++i) {
    while (!c.network().empty()) {
      Message m = c.network().front();
      c.network().pop_front();
      if (m.type == MessageType::kAppend) continue;  // hold back replication
      ASSERT_TRUE(c.raft(m.to).step(m).is_ok());
      c.process(m.to);
    }
    c.process_all();
  }
  ASSERT_EQ(c.raft(N(1)).role(), Role::kLeader);
  auto early = c.raft(N(1)).propose_conf_change({ConfChangeType::kAddLearner, N(4), ""});
  ASSERT_FALSE(early.is_ok());
  EXPECT_EQ(early.status().code(), StatusCode::kFailedPrecondition);
  c.network().clear();
  c.tick_all(2);
  ASSERT_TRUE(c.raft(N(1)).propose_conf_change({ConfChangeType::kAddLearner, N(4), ""}).is_ok());
  auto second = c.raft(N(1)).propose_conf_change({ConfChangeType::kAddLearner, N(5), ""});
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  c.stabilize();
  EXPECT_TRUE(c.raft(N(1)).propose_conf_change({ConfChangeType::kAddLearner, N(5), ""}).is_ok());
  auto bad = c.raft(N(1)).propose_conf_change({ConfChangeType::kRemoveNode, N(9), ""});
  EXPECT_FALSE(bad.is_ok());
}

TEST(RaftMembership, RemoveFollower) {
  TestCluster c(3);
  c.elect(N(1));
  ASSERT_TRUE(c.raft(N(1)).propose_conf_change({ConfChangeType::kRemoveNode, N(3), ""}).is_ok());
  c.stabilize();
  EXPECT_FALSE(c.raft(N(1)).config().contains(N(3)));
  c.crash(N(3));
  c.put("two", "voters");  // quorum is now 2 of {1, 2}
  EXPECT_EQ(c.node(N(2)).state.get("two"), "voters");
  c.tick_all(50);  // the removed node must not disturb anyone
  EXPECT_EQ(c.raft(N(1)).role(), Role::kLeader);
}

TEST(RaftMembership, RemovedLeaderStepsDownAfterCommit) {
  TestCluster c(3);
  c.elect(N(1));
  auto idx = c.raft(N(1)).propose_conf_change({ConfChangeType::kRemoveNode, N(1), ""});
  ASSERT_TRUE(idx.is_ok());
  EXPECT_EQ(c.raft(N(1)).role(), Role::kLeader) << "keeps leading until the change commits";
  c.stabilize();
  EXPECT_NE(c.raft(N(1)).role(), Role::kLeader);
  EXPECT_GE(c.raft(N(2)).commit_index(), *idx);
  c.tick_all(50);
  NodeId l = c.leader();
  ASSERT_TRUE(l == N(2) || l == N(3));
  c.put("without", "one");
  EXPECT_EQ(c.node(N(3)).state.get("without"), "one");
}

TEST(RaftMembership, UncommittedChangeRolledBackWhenTruncated) {
  TestCluster c(3, {}, 1, 1);
  c.elect(N(1));
  c.isolate(N(1));
  ASSERT_TRUE(c.raft(N(1)).propose_conf_change({ConfChangeType::kAddLearner, N(4), ""}).is_ok());
  EXPECT_TRUE(c.raft(N(1)).config().is_learner(N(4))) << "takes effect when appended (§4.1)";
  c.tick_all(60);  // 2 and 3 elect a new leader and commit their own entries
  NodeId l = c.leader();
  ASSERT_TRUE(l == N(2) || l == N(3));
  c.put("other", "branch");
  c.heal();
  c.tick_all(5);
  EXPECT_FALSE(c.raft(N(1)).config().contains(N(4))) << "rolled back with the truncated entry";
  EXPECT_EQ(c.node(N(1)).state.get("other"), "branch");
}

TEST(RaftMembership, RestartRecoversConfigurationFromLog) {
  TestCluster c(3, {}, 1, 1);
  c.elect(N(1));
  ASSERT_TRUE(c.raft(N(1)).propose_conf_change({ConfChangeType::kAddLearner, N(4), ""}).is_ok());
  c.stabilize();
  ASSERT_TRUE(c.raft(N(1)).propose_conf_change({ConfChangeType::kAddVoter, N(4), ""}).is_ok());
  c.stabilize();
  c.crash(N(2));
  c.restart(N(2));
  EXPECT_TRUE(c.raft(N(2)).config().is_voter(N(4)));
  EXPECT_EQ(c.raft(N(2)).config().voters.size(), 4u);
}

TEST(RaftTransfer, TransferCatchesTargetUpThenTimeoutNow) {
  TestCluster c(3);
  c.elect(N(1));
  c.isolate(N(3));
  for (int i = 0; i < 5; ++i) c.put("k" + std::to_string(i), "v");
  c.heal();
  ASSERT_TRUE(c.raft(N(1)).transfer_leadership(N(3)).is_ok());
  EXPECT_EQ(c.raft(N(1)).propose("refused").status().code(), StatusCode::kUnavailable);
  c.stabilize();
  EXPECT_EQ(c.leader(), N(3));
  EXPECT_EQ(c.raft(N(1)).leader(), N(3));
  bool timeout_now_after_catch_up = false;
  for (const Message& m : c.delivered) {
    if (m.type == MessageType::kTimeoutNow) timeout_now_after_catch_up = true;
  }
  EXPECT_TRUE(timeout_now_after_catch_up);
  c.put("new", "leader");
  EXPECT_EQ(c.node(N(1)).state.get("new"), "leader");
}

TEST(RaftTransfer, TransferToUnreachableNodeTimesOut) {
  TestCluster c(3);
  c.elect(N(1));
  c.isolate(N(3));
  ASSERT_TRUE(c.raft(N(1)).transfer_leadership(N(3)).is_ok());
  c.isolate(N(3));
  c.tick_all(RaftConfig{}.election_tick + 1);
  EXPECT_EQ(c.raft(N(1)).transfer_target(), kNoNode);
  EXPECT_TRUE(c.raft(N(1)).propose("ok again").is_ok());
}

}  // namespace
}  // namespace synod::consensus::testing
