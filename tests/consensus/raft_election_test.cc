// Leader election (§5.2), pre-vote (dissertation §9.6) and check-quorum /
// leader lease (dissertation §6.2, §4.2.3).
#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace synod::consensus::testing {
namespace {

TEST(RaftElection, ThreeNodesElectExactlyOneLeader) {
  TestCluster c(3);
  NodeId l = c.wait_for_leader();
  ASSERT_NE(l, kNoNode);
  int leaders = 0;
  for (NodeId id : c.ids()) {
    if (c.raft(id).role() == Role::kLeader) ++leaders;
    EXPECT_EQ(c.raft(id).leader(), l);
    EXPECT_EQ(c.raft(id).term(), c.raft(l).term());
  }
  EXPECT_EQ(leaders, 1);
}

TEST(RaftElection, SingleNodeElectsItselfAndCommits) {
  TestCluster c(1);
  c.elect(N(1));
  EXPECT_EQ(c.raft(N(1)).role(), Role::kLeader);
  LogIndex idx = c.put("k", "v");
  EXPECT_EQ(c.raft(N(1)).commit_index(), idx);
  EXPECT_EQ(c.node(N(1)).state.get("k"), "v");
}

TEST(RaftElection, TimeoutsAreRandomizedFromInjectedRandom) {
  // Same seed: the same node wins in the same tick; the timeouts come only
  // from the injected Random.
  auto run = [](std::uint64_t seed) {
    RaftConfig cfg;
    cfg.pre_vote = false;
    TestCluster c(5, cfg, seed);
    int ticks = 0;
    while (c.leader() == kNoNode && ticks < 500) {
      c.tick_all(1);
      ++ticks;
    }
    return std::make_pair(c.leader(), ticks);
  };
  EXPECT_EQ(run(7), run(7));
  // Over many seeds, more than one node gets to win first.
  std::set<NodeId> winners;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) winners.insert(run(seed).first);
  EXPECT_GT(winners.size(), 1u);
}

TEST(RaftElection, NewLeaderAfterLeaderCrash) {
  TestCluster c(3);
  NodeId old = c.wait_for_leader();
  const Term old_term = c.raft(old).term();
  c.crash(old);
  c.tick_all(50);
  NodeId now = c.leader();
  ASSERT_NE(now, kNoNode);
  EXPECT_NE(now, old);
  EXPECT_GT(c.raft(now).term(), old_term);
}

TEST(RaftElection, CandidateWithStaleLogLoses) {
  TestCluster c(3);
  c.elect(N(1));
  c.isolate(N(3));
  c.put("a", "1");  // 3 misses it
  c.heal();
  // Node 3's log is behind: §5.4.1 says no voter may grant it a vote.
  RaftConfig cfg;
  ASSERT_TRUE(c.raft(N(3)).campaign().is_ok());
  c.stabilize();
  EXPECT_NE(c.raft(N(3)).role(), Role::kLeader);
}

TEST(RaftElection, PreVoteKeepsPartitionedNodeFromBumpingTerms) {
  TestCluster c(3);  // pre_vote on by default
  c.elect(N(1));
  const Term term = c.raft(N(1)).term();
  c.isolate(N(3));
  c.tick_all(100);  // node 3 times out again and again
  EXPECT_EQ(c.raft(N(3)).term(), term) << "pre-vote must not change the term";
  c.heal();
  c.tick_all(5);
  EXPECT_EQ(c.raft(N(1)).role(), Role::kLeader);
  EXPECT_EQ(c.raft(N(1)).term(), term) << "rejoining node disrupted the leader";
}

TEST(RaftElection, WithoutPreVotePartitionedNodeRaisesItsTerm) {
  RaftConfig cfg;
  cfg.pre_vote = false;
  cfg.check_quorum = false;
  TestCluster c(3, cfg);
  c.elect(N(1));
  const Term term = c.raft(N(1)).term();
  c.isolate(N(3));
  c.tick_all(100);
  EXPECT_GT(c.raft(N(3)).term(), term);  // the contrast to the test above
}

TEST(RaftElection, CheckQuorumLeaderStepsDownWithoutQuorum) {
  TestCluster c(3);
  c.elect(N(1));
  c.isolate(N(1));
  c.tick_all(2 * RaftConfig{}.election_tick + 1);
  EXPECT_NE(c.raft(N(1)).role(), Role::kLeader);
}

TEST(RaftElection, FollowersInLeaseIgnoreDisruptiveVoteRequests) {
  TestCluster c(3);
  c.elect(N(1));
  const Term term = c.raft(N(1)).term();
  // Node 3 forcibly asks for votes at a higher term (no pre-vote) while the
  // leader is alive: followers in lease ignore it and keep their term.
  Message vote{.type = MessageType::kVote,
               .from = N(3),
               .to = N(2),
               .term = term + 5,
               .log_term = c.raft(N(3)).hard_state().term,
               .index = c.raft(N(3)).last_index()};
  ASSERT_TRUE(c.raft(N(2)).step(vote).is_ok());
  EXPECT_EQ(c.raft(N(2)).term(), term);
  EXPECT_EQ(c.raft(N(2)).leader(), N(1));
}

TEST(RaftElection, VoteIsPersistedBeforeTheVoteRequestLeaves) {
  RaftConfig cfg;
  cfg.pre_vote = false;
  TestCluster c(3, cfg);
  ASSERT_TRUE(c.raft(N(1)).campaign().is_ok());
  Ready rd = c.raft(N(1)).take_ready();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->vote, N(1));
  EXPECT_TRUE(rd.messages.empty()) << "vote requests must wait for persistence";
  EXPECT_EQ(rd.messages_after_persist.size(), 2u);
}

TEST(RaftElection, VoterGrantsOneVotePerTerm) {
  RaftConfig cfg;
  cfg.pre_vote = false;
  cfg.check_quorum = false;
  TestCluster c(3, cfg);
  const Term t = c.raft(N(1)).term() + 1;
  Message a{.type = MessageType::kVote, .from = N(1), .to = N(3), .term = t};
  Message b{.type = MessageType::kVote, .from = N(2), .to = N(3), .term = t};
  a.index = b.index = c.raft(N(3)).last_index();
  a.log_term = b.log_term = Term(1);
  ASSERT_TRUE(c.raft(N(3)).step(a).is_ok());
  ASSERT_TRUE(c.raft(N(3)).step(b).is_ok());
  Ready rd = c.raft(N(3)).take_ready();
  ASSERT_EQ(rd.messages_after_persist.size(), 2u);
  EXPECT_FALSE(rd.messages_after_persist[0].reject);
  EXPECT_TRUE(rd.messages_after_persist[1].reject);
  EXPECT_EQ(rd.hard_state->vote, N(1));
}

}  // namespace
}  // namespace synod::consensus::testing
