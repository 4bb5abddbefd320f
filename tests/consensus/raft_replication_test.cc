// Log replication (§5.3): batching, pipelining, flow control, fast conflict
// backtracking, and the commitment rule of §5.4.2 (Figure 8).
#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace synod::consensus::testing {
namespace {

std::vector<std::string> payloads(int count, std::size_t size) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(std::string(size, static_cast<char>('a' + i % 26)));
  return out;
}

std::vector<Message> appends_to(const Ready& rd, NodeId to) {
  std::vector<Message> out;
  for (const Message& m : rd.messages) {
    if (m.type == MessageType::kAppend && m.to == to) out.push_back(m);
  }
  return out;
}

TEST(RaftReplication, EveryNodeAppliesTheSameEntries) {
  TestCluster c(3);
  c.elect(N(1));
  for (int i = 0; i < 20; ++i) c.put("k" + std::to_string(i), std::to_string(i));
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c.node(id).state.data(), c.node(N(1)).state.data()) << "node " << id;
    EXPECT_EQ(c.node(id).applied, c.node(N(1)).applied);
    EXPECT_EQ(c.node(id).state.get("k19"), "19");
  }
}

TEST(RaftReplication, LeaderSendsBeforeItsOwnWriteIsDurable) {
  TestCluster c(3);
  c.elect(N(1));
  ASSERT_TRUE(c.raft(N(1)).propose("x").is_ok());
  Ready rd = c.raft(N(1)).take_ready();
  EXPECT_EQ(rd.entries.size(), 1u);
  EXPECT_EQ(appends_to(rd, N(2)).size(), 1u) << "appends may leave before the fsync";
  // The leader's write is still pending; both followers' acks are a quorum.
  for (Message& m : rd.messages) ASSERT_TRUE(c.raft(m.to).step(m).is_ok());
  for (NodeId f : {N(2), N(3)}) {
    Ready frd = c.raft(f).take_ready();
    ASSERT_TRUE(c.node(f).storage->append(frd.entries).is_ok());
    c.raft(f).advance(frd);
    for (Message& m : frd.messages_after_persist) ASSERT_TRUE(c.raft(N(1)).step(m).is_ok());
  }
  EXPECT_EQ(c.raft(N(1)).commit_index(), rd.entries.back().index)
      << "both followers durable is a quorum without the leader's copy";
}

TEST(RaftReplication, LeaderCountsItselfOnlyOnceDurable) {
  TestCluster c(3);
  c.elect(N(1));
  c.isolate(N(3));
  ASSERT_TRUE(c.raft(N(1)).propose("x").is_ok());
  Ready rd = c.raft(N(1)).take_ready();
  const Entry last = rd.entries.back();
  for (Message& m : rd.messages) {
    if (m.to == N(2)) {
      ASSERT_TRUE(c.raft(N(2)).step(m).is_ok());
    }
  }
  Ready frd = c.raft(N(2)).take_ready();
  ASSERT_TRUE(c.node(N(2)).storage->append(frd.entries).is_ok());
  c.raft(N(2)).advance(frd);
  for (Message& m : frd.messages_after_persist) ASSERT_TRUE(c.raft(N(1)).step(m).is_ok());
  EXPECT_LT(c.raft(N(1)).commit_index(), last.index) << "leader's own copy is not durable yet";
  ASSERT_TRUE(c.node(N(1)).storage->append(rd.entries).is_ok());
  c.raft(N(1)).advance(rd);
  EXPECT_EQ(c.raft(N(1)).commit_index(), last.index);
}

TEST(RaftReplication, BatchesAreByteBoundedAndPipelined) {
  RaftConfig cfg;
  cfg.max_append_bytes = 1000;
  TestCluster c(3, cfg);
  c.elect(N(1));
  auto data = payloads(100, 100);  // 124 bytes each with overhead
  ASSERT_TRUE(c.raft(N(1)).propose_batch(data).is_ok());
  Ready rd = c.raft(N(1)).take_ready();
  auto msgs = appends_to(rd, N(2));
  ASSERT_GT(msgs.size(), 1u) << "several AppendEntries in flight at once (pipelining)";
  std::size_t total = 0;
  for (const Message& m : msgs) {
    std::size_t bytes = 0;
    for (const Entry& e : m.entries) bytes += e.byte_size();
    EXPECT_LE(bytes, cfg.max_append_bytes);
    EXPECT_GT(m.entries.size(), 1u) << "many entries per message";
    total += m.entries.size();
  }
  EXPECT_EQ(total, 100u);
  // Put the Ready back through the harness and make sure it all commits.
  ASSERT_TRUE(c.node(N(1)).storage->append(rd.entries).is_ok());
  c.raft(N(1)).advance(rd);
  for (Message& m : rd.messages) c.network().push_back(m);
  c.stabilize();
  EXPECT_EQ(c.raft(N(3)).commit_index(), c.raft(N(1)).last_index());
}

TEST(RaftReplication, InflightWindowLimitsMessagesAndBytes) {
  RaftConfig cfg;
  cfg.max_append_bytes = 200;
  cfg.max_inflight_messages = 4;
  TestCluster c(3, cfg);
  c.elect(N(1));
  auto data = payloads(50, 100);
  ASSERT_TRUE(c.raft(N(1)).propose_batch(data).is_ok());
  Ready rd = c.raft(N(1)).take_ready();
  EXPECT_EQ(appends_to(rd, N(2)).size(), 4u);

  RaftConfig by_bytes;
  by_bytes.max_append_bytes = 200;
  by_bytes.max_inflight_bytes = 500;
  TestCluster d(3, by_bytes);
  d.elect(N(1));
  auto more = payloads(50, 100);
  ASSERT_TRUE(d.raft(N(1)).propose_batch(more).is_ok());
  Ready rd2 = d.raft(N(1)).take_ready();
  std::size_t bytes = 0;
  auto msgs = appends_to(rd2, N(2));
  for (std::size_t i = 0; i + 1 < msgs.size(); ++i) {
    for (const Entry& e : msgs[i].entries) bytes += e.byte_size();
  }
  EXPECT_LT(bytes, by_bytes.max_inflight_bytes) << "window was full before the last message";
  EXPECT_LT(msgs.size(), 25u);
  // Acks open the window again and everything commits.
  ASSERT_TRUE(d.node(N(1)).storage->append(rd2.entries).is_ok());
  d.raft(N(1)).advance(rd2);
  for (Message& m : rd2.messages) d.network().push_back(m);
  d.stabilize();
  EXPECT_EQ(d.raft(N(2)).commit_index(), d.raft(N(1)).last_index());
}

TEST(RaftReplication, DivergentFollowerRepairedInAFewRoundTrips) {
  TestCluster c(3);
  c.elect(N(1));
  c.put("base", "1");
  // Node 1 keeps leading alone for a moment and appends 1,000 entries that
  // can never commit.
  c.isolate(N(1));
  auto lost = payloads(1000, 10);
  ASSERT_TRUE(c.raft(N(1)).propose_batch(lost).is_ok());
  c.stabilize();
  // Nodes 2 and 3 elect a new leader and commit 1,000 entries of their own.
  NodeId l = kNoNode;
  for (int i = 0; i < 200 && (l == kNoNode || l == N(1)); ++i) {
    c.tick_all(1);
    l = c.leader();
  }
  ASSERT_TRUE(l == N(2) || l == N(3));
  auto kept = payloads(1000, 10);
  ASSERT_TRUE(c.raft(l).propose_batch(kept).is_ok());
  c.stabilize();
  // Restart that leader so the next one starts with optimistic next indexes
  // (last index + 1) for everyone, node 1 included: the worst case for
  // probing a follower that diverged 1,000 entries back.
  c.crash(l);
  c.restart(l);
  for (int i = 0; i < 200 && (c.leader() == kNoNode || c.leader() == N(1)); ++i) c.tick_all(1);
  l = c.leader();
  ASSERT_TRUE(l == N(2) || l == N(3));
  ASSERT_GE(c.raft(l).last_index(), c.raft(N(1)).last_index());
  // Heal and count the rejected AppendEntries node 1 sends while catching up.
  c.heal();
  c.delivered.clear();
  c.tick_all(3);
  int rejections = 0;
  for (const Message& m : c.delivered) {
    if (m.type == MessageType::kAppendResponse && m.from == N(1) && m.reject) ++rejections;
  }
  EXPECT_LE(rejections, 3) << "conflict hints must skip whole terms";
  EXPECT_EQ(c.raft(N(1)).commit_index(), c.raft(l).commit_index());
  EXPECT_EQ(c.node(N(1)).state.data(), c.node(l).state.data());
  std::cout << "divergent follower repaired with " << rejections << " rejected round trips\n";
}

TEST(RaftReplication, Figure8OldTermEntryNotCommittedByCounting) {
  RaftConfig cfg;
  cfg.pre_vote = false;
  cfg.check_quorum = false;
  cfg.max_append_bytes = 1;  // one entry per AppendEntries
  TestCluster c(5, cfg);
  c.elect(N(1));
  c.put("a", "1");
  const LogIndex k = c.raft(N(1)).last_index().next();
  // (a) S1 (term 2) replicates entry k to S2 only.
  for (int i : {3, 4, 5}) c.cut(N(1), N(i));
  ASSERT_TRUE(c.raft(N(1)).propose(encode_kv_command({KvOp::kPut, "a", "old", ""})).is_ok());
  c.stabilize();
  const Term old_term = c.raft(N(1)).term();
  // (b) S1 goes away; S5 wins the next term with S3, S4 and writes its own
  // entry k locally only.
  c.crash(N(1));
  c.heal();
  c.drop_filter = [](const Message& m) { return m.from == N(5) && m.type == MessageType::kAppend; };
  c.elect(N(5));
  ASSERT_EQ(c.raft(N(5)).role(), Role::kLeader);
  c.crash(N(5));
  // (c) S1 comes back, wins a new term and replicates entry k (old term) to
  // S4; its new-term no-op reaches S3 but not S2 or S4 (dropped only where it
  // would be accepted, so rejected probes still get answers). The leader
  // then knows k is on S1, S3, S4: a majority, counted but not committable.
  c.restart(N(1));
  c.drop_filter = [&](const Message& m) {
    if (m.from != N(1) || m.type != MessageType::kAppend) return false;
    if (m.to != N(2) && m.to != N(4)) return false;
    if (c.node(m.to).storage->last_index() < k) return false;
    for (const Entry& e : m.entries) {
      if (e.term > old_term) return true;
    }
    return false;
  };
  for (int i = 0; i < 3 && c.raft(N(1)).role() != Role::kLeader; ++i) c.elect(N(1));
  ASSERT_EQ(c.raft(N(1)).role(), Role::kLeader);
  c.stabilize();
  int holders = 0;
  for (NodeId id : c.ids()) {
    auto t = c.node(id).storage->term(k);
    if (t.is_ok() && *t == old_term) ++holders;
  }
  ASSERT_GE(holders, 3) << "entry k from term " << old_term << " is on a majority";
  EXPECT_LT(c.raft(N(1)).commit_index(), k) << "Figure 8: must not commit an old-term entry";
  // Once a current-term entry reaches a majority, k commits with it.
  c.drop_filter = nullptr;
  c.tick_all(3);
  EXPECT_GT(c.raft(N(1)).commit_index(), k);
  EXPECT_EQ(c.node(N(1)).state.get("a"), "old");
}

TEST(RaftReplication, CommittedEntriesArriveInBoundedReadys) {
  RaftConfig cfg;
  cfg.max_committed_bytes_per_ready = 300;  // about 3 entries of 100 bytes
  TestCluster c(1, cfg);
  c.elect(N(1));
  c.stabilize();
  auto data = payloads(20, 100);
  ASSERT_TRUE(c.raft(N(1)).propose_batch(data).is_ok());
  Ready rd = c.raft(N(1)).take_ready();
  ASSERT_TRUE(c.node(N(1)).storage->append(rd.entries).is_ok());
  c.raft(N(1)).advance(rd);
  int readys = 0;
  std::size_t applied = 0;
  while (c.raft(N(1)).has_ready()) {
    Ready next = c.raft(N(1)).take_ready();
    EXPECT_LE(next.committed_entries.size(), 3u);
    applied += next.committed_entries.size();
    ++readys;
  }
  EXPECT_EQ(applied, 20u);
  EXPECT_GE(readys, 7);
}

TEST(RaftReplication, FollowerProposalIsForwardedToLeader) {
  TestCluster c(3);
  c.elect(N(1));
  auto idx = c.raft(N(2)).propose(encode_kv_command({KvOp::kPut, "fw", "yes", ""}));
  ASSERT_TRUE(idx.is_ok());
  EXPECT_EQ(*idx, kNoIndex);
  c.stabilize();
  EXPECT_EQ(c.node(N(3)).state.get("fw"), "yes");
}

TEST(RaftReplication, ProposalFailsFastWithLeaderIdWhenNotForwarding) {
  RaftConfig cfg;
  cfg.forward_proposals = false;
  TestCluster c(3, cfg);
  auto none = c.raft(N(2)).propose("x");
  ASSERT_FALSE(none.is_ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotLeader);
  EXPECT_NE(none.status().message().find("leader=0"), std::string::npos);
  c.elect(N(1));
  auto known = c.raft(N(2)).propose("x");
  ASSERT_FALSE(known.is_ok());
  EXPECT_NE(known.status().message().find("leader=1"), std::string::npos);
}

TEST(RaftReplication, LostMessagesAreRecoveredByHeartbeats) {
  TestCluster c(3);
  c.elect(N(1));
  int dropped = 0;
  c.drop_filter = [&](const Message& m) {
    if (m.type == MessageType::kAppend && m.to == N(3) && !m.entries.empty() && dropped < 3) {
      ++dropped;
      return true;
    }
    return false;
  };
  for (int i = 0; i < 5; ++i) c.put("k" + std::to_string(i), "v");
  c.tick_all(5);
  EXPECT_EQ(dropped, 3);
  EXPECT_EQ(c.raft(N(3)).commit_index(), c.raft(N(1)).commit_index());
  EXPECT_EQ(c.node(N(3)).state.get("k4"), "v");
}

TEST(RaftReplication, RestartResumesFromPersistedState) {
  TestCluster c(3);
  c.elect(N(1));
  for (int i = 0; i < 10; ++i) c.put("k" + std::to_string(i), "v" + std::to_string(i));
  const HardState before = c.raft(N(2)).hard_state();
  c.crash(N(2));
  c.restart(N(2));
  EXPECT_EQ(c.raft(N(2)).hard_state(), before);
  EXPECT_EQ(c.raft(N(2)).term(), before.term);
  c.stabilize();
  c.tick_all(2);
  EXPECT_EQ(c.node(N(2)).state.get("k9"), "v9") << "committed entries re-applied after restart";
  c.put("after", "restart");
  EXPECT_EQ(c.node(N(2)).state.get("after"), "restart");
  // All nodes down and back: state and leadership recover.
  for (NodeId id : c.ids()) {
    c.crash(id);
    c.restart(id);
  }
  ASSERT_NE(c.wait_for_leader(), kNoNode);
  c.put("x", "y");
  for (NodeId id : c.ids()) EXPECT_EQ(c.node(id).state.get("k3"), "v3");
}

}  // namespace
}  // namespace synod::consensus::testing
