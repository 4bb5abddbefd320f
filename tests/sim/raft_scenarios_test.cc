// The MIT 6.5840 Raft lab scenarios (3A-3D), adapted to this core and run in
// the simulator. Every scenario also runs the cluster's invariant checks
// (election safety, log matching, leader completeness, state-machine safety)
// after every event; LabHarness's destructor fails the test on a violation.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "consensus/history/linearizability.h"
#include "tests/sim/clients.h"
#include "tests/sim/lab_harness.h"

namespace synod::consensus::sim {
namespace {

std::string v(int i) { return "v" + std::to_string(i); }

// --- 3A: leader election ---------------------------------------------------

TEST(RaftLab, InitialElection) {
  LabHarness lab(3);
  lab.check_one_leader();
  lab.sleep(50 * kMillis);
  const Term term1 = lab.check_terms();
  EXPECT_GE(term1.value(), 1u);
  lab.sleep(2 * kSecond);  // no failures: the term must not change
  EXPECT_EQ(lab.check_terms(), term1);
  lab.check_one_leader();
}

TEST(RaftLab, ReElection) {
  LabHarness lab(3);
  const NodeId leader1 = lab.check_one_leader();
  lab.disconnect(leader1);
  lab.check_one_leader();
  lab.connect(leader1);  // the old leader rejoining must not disturb
  const NodeId leader2 = lab.check_one_leader();
  lab.disconnect(leader2);
  lab.disconnect(lab.id(lab.index_of(leader2) + 1));
  lab.sleep(2 * kSecond);
  lab.check_no_leader();  // no quorum, no leader
  lab.connect(lab.id(lab.index_of(leader2) + 1));
  lab.check_one_leader();
  lab.connect(leader2);
  lab.check_one_leader();
}

TEST(RaftLab, ManyElections) {
  LabHarness lab(7, 3);
  lab.check_one_leader();
  Random& rng = lab.cluster().random();
  for (int iteration = 0; iteration < 10; ++iteration) {
    const NodeId a = lab.id(static_cast<int>(rng.uniform(0, 6)));
    const NodeId b = lab.id(static_cast<int>(rng.uniform(0, 6)));
    const NodeId c = lab.id(static_cast<int>(rng.uniform(0, 6)));
    lab.disconnect(a);
    lab.disconnect(b);
    lab.disconnect(c);
    lab.check_one_leader();  // at least 4 of 7 connected
    lab.connect(a);
    lab.connect(b);
    lab.connect(c);
  }
  lab.check_one_leader();
}

// --- 3B: log agreement -------------------------------------------------------

TEST(RaftLab, BasicAgree) {
  LabHarness lab(3);
  LogIndex last = kNoIndex;
  for (int i = 1; i <= 3; ++i) {
    const LogIndex index = lab.one(v(i * 100), 3, false);
    EXPECT_GT(index, last);
    EXPECT_EQ(lab.n_committed(index), 3);
    last = index;
  }
}

TEST(RaftLab, FollowerFailure) {
  LabHarness lab(3);
  lab.one(v(101), 3, false);
  const NodeId leader1 = lab.check_one_leader();
  lab.disconnect(lab.id(lab.index_of(leader1) + 1));
  lab.one(v(102), 2, false);  // the remaining two agree
  lab.sleep(1 * kSecond);
  lab.one(v(103), 2, false);
  const NodeId leader2 = lab.check_one_leader();
  lab.disconnect(lab.id(lab.index_of(leader2) + 1));
  lab.disconnect(lab.id(lab.index_of(leader2) + 2));
  const auto s = lab.start(leader2, v(104));
  ASSERT_TRUE(s.is_leader);
  lab.sleep(2 * kSecond);
  EXPECT_EQ(lab.n_committed(s.index), 0) << "committed without a majority";
}

TEST(RaftLab, LeaderFailure) {
  LabHarness lab(3);
  lab.one(v(101), 3, false);
  const NodeId leader1 = lab.check_one_leader();
  lab.disconnect(leader1);
  lab.one(v(102), 2, false);
  lab.sleep(1 * kSecond);
  lab.one(v(103), 2, false);
  const NodeId leader2 = lab.check_one_leader();
  lab.disconnect(leader2);
  std::vector<LogIndex> started;
  for (int i = 0; i < 3; ++i) {
    const auto s = lab.start(lab.id(i), v(104));
    if (s.is_leader) started.push_back(s.index);
  }
  lab.sleep(2 * kSecond);
  for (LogIndex index : started) EXPECT_EQ(lab.n_committed(index), 0);
}

TEST(RaftLab, FailAgree) {
  LabHarness lab(3);
  lab.one(v(101), 3, false);
  const NodeId leader = lab.check_one_leader();
  const NodeId follower = lab.id(lab.index_of(leader) + 1);
  lab.disconnect(follower);
  lab.one(v(102), 2, false);
  lab.one(v(103), 2, false);
  lab.sleep(1 * kSecond);
  lab.one(v(104), 2, false);
  lab.connect(follower);  // it catches up
  lab.one(v(106), 3, true);
  lab.sleep(1 * kSecond);
  lab.one(v(107), 3, true);
}

TEST(RaftLab, FailNoAgree) {
  LabHarness lab(5);
  lab.one(v(10), 5, false);
  const NodeId leader = lab.check_one_leader();
  for (int k = 1; k <= 3; ++k) lab.disconnect(lab.id(lab.index_of(leader) + k));
  const auto s = lab.start(leader, v(20));
  ASSERT_TRUE(s.is_leader);
  lab.sleep(2 * kSecond);
  EXPECT_EQ(lab.n_committed(s.index), 0) << "committed without a majority";
  for (int k = 1; k <= 3; ++k) lab.connect(lab.id(lab.index_of(leader) + k));
  const NodeId leader2 = lab.check_one_leader();
  const auto s2 = lab.start(leader2, v(30));
  ASSERT_TRUE(s2.is_leader);
  lab.one(v(1000), 5, true);
}

TEST(RaftLab, ConcurrentStarts) {
  LabHarness lab(3);
  lab.one(v(1), 3, false);
  const NodeId leader = lab.check_one_leader();
  std::vector<std::pair<LogIndex, std::string>> started;
  for (int i = 0; i < 5; ++i) {
    const auto s = lab.start(leader, v(100 + i));
    ASSERT_TRUE(s.is_leader);
    started.push_back({s.index, v(100 + i)});
  }
  for (const auto& [index, value] : started) {
    ASSERT_TRUE(lab.wait_committed(index, 3));
    std::string committed;
    lab.n_committed(index, &committed);
    EXPECT_EQ(committed, value);
  }
}

TEST(RaftLab, Rejoin) {
  LabHarness lab(3);
  lab.one(v(101), 3, true);
  const NodeId leader1 = lab.check_one_leader();
  lab.disconnect(leader1);
  // The cut-off leader accepts entries it can never commit.
  lab.start(leader1, v(102));
  lab.start(leader1, v(103));
  lab.start(leader1, v(104));
  lab.one(v(103), 2, true);
  const NodeId leader2 = lab.check_one_leader();
  lab.disconnect(leader2);
  lab.connect(leader1);  // its uncommitted entries must be overwritten
  lab.one(v(104), 2, true);
  lab.connect(leader2);
  lab.one(v(105), 3, true);
}

TEST(RaftLab, Backup) {
  LabHarness lab(5, 7);
  Random& rng = lab.cluster().random();
  auto random_value = [&] { return "r" + std::to_string(rng.next_u64() % 1000000); };
  lab.one(random_value(), 5, true);
  const NodeId leader1 = lab.check_one_leader();
  const int l1 = lab.index_of(leader1);
  for (int k = 2; k <= 4; ++k) lab.disconnect(lab.id(l1 + k));
  for (int i = 0; i < 50; ++i) lab.start(leader1, random_value());  // never committed
  lab.sleep(500 * kMillis);
  lab.disconnect(leader1);
  lab.disconnect(lab.id(l1 + 1));
  for (int k = 2; k <= 4; ++k) lab.connect(lab.id(l1 + k));
  for (int i = 0; i < 50; ++i) lab.one(random_value(), 3, true);
  const NodeId leader2 = lab.check_one_leader();
  NodeId other = lab.id(l1 + 2);
  if (other == leader2) other = lab.id(l1 + 3);
  lab.disconnect(other);
  for (int i = 0; i < 50; ++i) lab.start(leader2, random_value());  // never committed
  lab.sleep(500 * kMillis);
  for (int i = 0; i < 5; ++i) lab.disconnect(lab.id(i));
  lab.connect(leader1);
  lab.connect(lab.id(l1 + 1));
  lab.connect(other);
  // Repairing logs that diverge by 50 entries takes a handful of rejected
  // AppendEntries per follower thanks to the conflict hint, not ~50.
  const std::uint64_t rejects_before = lab.cluster().append_rejections();
  for (int i = 0; i < 50; ++i) lab.one(random_value(), 3, true);
  for (int i = 0; i < 5; ++i) lab.connect(lab.id(i));
  lab.one(random_value(), 5, true);
  const std::uint64_t rejects = lab.cluster().append_rejections() - rejects_before;
  std::printf("Backup: %llu rejected AppendEntries while repairing 4 followers\n",
              static_cast<unsigned long long>(rejects));
  EXPECT_LE(rejects, 4u * 8) << "log repair is not using the conflict hint";
}

TEST(RaftLab, Count) {
  LabHarness lab(3);
  lab.check_one_leader();
  const std::uint64_t election = lab.rpc_total();
  // Pre-vote + vote to two peers, answers, then heartbeats while waiting.
  EXPECT_GT(election, 0u);
  lab.sleep(0);
  std::uint64_t votes = lab.cluster().messages_of(MessageType::kVote) +
                        lab.cluster().messages_of(MessageType::kPreVote);
  EXPECT_LE(votes, 12u) << "too many vote requests for one election";

  // Agreement: a bounded number of messages per committed command.
  lab.one(v(1), 3, false);
  const Term term = lab.check_terms();
  const std::uint64_t appends_before = lab.cluster().messages_of(MessageType::kAppend) +
                                       lab.cluster().messages_of(MessageType::kAppendResponse);
  const NodeId leader = lab.check_one_leader();
  const std::uint64_t total_before = lab.rpc_total();
  const int iterations = 10;
  for (int i = 0; i < iterations; ++i) {
    const auto s = lab.start(leader, v(100 + i));
    ASSERT_TRUE(s.is_leader);
    ASSERT_TRUE(lab.wait_committed(s.index, 3));
  }
  ASSERT_EQ(lab.check_terms(), term) << "term changed during agreement";
  const std::uint64_t appends = lab.cluster().messages_of(MessageType::kAppend) +
                                lab.cluster().messages_of(MessageType::kAppendResponse) -
                                appends_before;
  // Each agreement: one AppendEntries to each of 2 followers and their
  // answers, plus one commit-carrying round: at most 8 per command.
  EXPECT_LE(appends, static_cast<std::uint64_t>(8 * iterations + 8)) << appends;
  EXPECT_GT(lab.rpc_total(), total_before);

  // Idle: only heartbeats (every 30 ms to 2 followers, plus replies).
  const std::uint64_t idle_before = lab.rpc_total();
  lab.sleep(1 * kSecond);
  const std::uint64_t idle = lab.rpc_total() - idle_before;
  EXPECT_LE(idle, 3u * 2 * 2 * 34) << idle << " messages in one idle second";
  EXPECT_GE(idle, 2u * 10) << "leader must keep sending heartbeats";
}

// --- 3C: persistence -------------------------------------------------------

TEST(RaftLab, Persist1) {
  LabHarness lab(3);
  lab.one(v(11), 3, true);
  for (int i = 0; i < 3; ++i) lab.crash(lab.id(i));
  for (int i = 0; i < 3; ++i) lab.restart(lab.id(i));
  lab.one(v(12), 3, true);
  const NodeId leader1 = lab.check_one_leader();
  lab.crash(leader1);
  lab.restart(leader1);
  lab.one(v(13), 3, true);
  const NodeId leader2 = lab.check_one_leader();
  lab.crash(leader2);
  lab.one(v(14), 2, true);
  lab.restart(leader2);
  const LogIndex index = lab.one(v(15), 3, true);
  EXPECT_TRUE(lab.wait_committed(index, 3));
}

TEST(RaftLab, Persist2) {
  LabHarness lab(5, 11);
  int value = 1;
  for (int iteration = 0; iteration < 5; ++iteration) {
    lab.one(v(10 + value++), 5, true);
    const int l1 = lab.index_of(lab.check_one_leader());
    lab.disconnect(lab.id(l1 + 1));
    lab.disconnect(lab.id(l1 + 2));
    lab.one(v(10 + value++), 3, true);
    lab.crash(lab.id(l1));
    lab.crash(lab.id(l1 + 3));
    lab.crash(lab.id(l1 + 4));
    lab.connect(lab.id(l1 + 1));
    lab.connect(lab.id(l1 + 2));
    lab.restart(lab.id(l1 + 3));
    lab.one(v(10 + value++), 3, true);
    lab.restart(lab.id(l1 + 4));
    lab.restart(lab.id(l1));
  }
  lab.one(v(1000), 5, true);
}

TEST(RaftLab, Persist3) {
  LabHarness lab(3);
  lab.one(v(101), 3, true);
  const int leader = lab.index_of(lab.check_one_leader());
  lab.disconnect(lab.id(leader + 2));
  lab.one(v(102), 2, true);
  lab.crash(lab.id(leader));
  lab.crash(lab.id(leader + 1));
  lab.connect(lab.id(leader + 2));
  lab.restart(lab.id(leader));
  lab.one(v(103), 2, true);
  lab.restart(lab.id(leader + 1));
  lab.one(v(104), 3, true);
}

// A vote survives a crash (Figure 2: votedFor is persistent state). A and V
// elect A while B is cut off; V crashes right after voting and restarts; B
// then campaigns in the same term. V must refuse: a second grant in one term
// is caught by the one-vote-per-term check (and could elect two leaders).
TEST(RaftLab, PersistVote) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    LabHarness lab(3, 600 + seed);
    Cluster& cluster = lab.cluster();
    lab.one(v(1), 3, true);
    const NodeId b = lab.check_one_leader();
    const NodeId p = lab.id(lab.index_of(b) + 1), q = lab.id(lab.index_of(b) + 2);
    cluster.partition({{p, q}, {b}});
    NodeId a = kNoNode;
    ASSERT_TRUE(cluster.run_until(
        [&] {
          for (NodeId id : {p, q}) {
            if (cluster.raft(id)->role() == Role::kLeader) a = id;
          }
          return a != kNoNode;
        },
        5 * kSecond));
    const NodeId voter = a == p ? q : p;
    cluster.partition({{a}, {voter}, {b}});  // the voter never sees a's no-op
    cluster.run_for(20 * kMillis);           // its vote is durable by now
    cluster.crash(voter);
    cluster.restart(voter);
    cluster.partition({{voter, b}, {a}});
    cluster.run_until([&] { return !cluster.ok(); }, 3 * kSecond);
    ASSERT_TRUE(cluster.ok()) << cluster.violation();
    cluster.heal();
    lab.one(v(2), 3, true);
  }
}

// Figure 8 of the Raft paper: leaders crash right after appending, so old
// entries must never be committed by counting replicas.
void figure8(bool unreliable, std::uint64_t seed) {
  LabHarness lab(5, seed, 0, unreliable);
  Random& rng = lab.cluster().random();
  lab.one(v(rng.uniform(0, 9999)), 1, true);
  int up = 5;
  for (int iteration = 0; iteration < 300; ++iteration) {
    if (unreliable && iteration == 100) lab.set_long_reordering(true);
    NodeId leader = kNoNode;
    for (int i = 0; i < 5; ++i) {
      const bool reachable =
          unreliable ? lab.is_connected(lab.id(i)) : lab.cluster().is_up(lab.id(i));
      if (reachable && lab.start(lab.id(i), v(static_cast<int>(rng.uniform(0, 9999)))).is_leader) {
        leader = lab.id(i);
      }
    }
    lab.sleep(rng.chance(0.1) ? rng.uniform(0, 500 * kMillis) : rng.uniform(0, 13 * kMillis));
    if (leader != kNoNode && (!unreliable || rng.chance(0.5))) {
      if (unreliable) {
        lab.disconnect(leader);
      } else {
        lab.crash(leader);
      }
      --up;
    }
    if (up < 3) {
      const NodeId s = lab.id(static_cast<int>(rng.uniform(0, 4)));
      const bool down = unreliable ? !lab.is_connected(s) : !lab.cluster().is_up(s);
      if (down) {
        if (unreliable) {
          lab.connect(s);
        } else {
          lab.restart(s);
        }
        ++up;
      }
    }
    ASSERT_TRUE(lab.cluster().ok()) << lab.cluster().violation();
  }
  lab.set_unreliable(false);
  lab.set_long_reordering(false);
  lab.cluster().network().long_delay = 0;
  for (int i = 0; i < 5; ++i) {
    lab.restart(lab.id(i));
    lab.connect(lab.id(i));
  }
  lab.one(v(rng.uniform(0, 9999)), 5, true);
}

TEST(RaftLab, Figure8) { figure8(false, 21); }

// The exact sequence of the Raft paper's Figure 8, forced with partitions:
// S1 (leader of term t1) replicates X only to S2; S3..S5 elect L2 which
// appends N2 at X's index and is cut off at once; S1 or S2 then leads a later
// term and replicates X to S3 one entry per message. A leader that committed
// X by counting replicas (X is not of its term) would let L2 win afterwards
// and erase it: the leader-completeness check fires when L2 takes office.
// A correct leader commits X only together with its own term's entry, and
// then L2 cannot win.
TEST(RaftLab, Figure8Paper) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    ClusterOptions options = lab_options(5, 500 + seed, 0);
    options.raft.pre_vote = false;
    options.raft.check_quorum = false;
    options.raft.max_append_bytes = 1;  // one entry per AppendEntries
    options.raft.max_inflight_messages = 1;
    LabHarness lab(options);
    Cluster& cluster = lab.cluster();
    auto leader_among = [&](const std::vector<NodeId>& ids) {
      for (NodeId id : ids) {
        if (Raft* r = cluster.raft(id); r != nullptr && r->role() == Role::kLeader) return id;
      }
      return kNoNode;
    };
    lab.one(v(1), 5, true);
    const NodeId s1 = lab.check_one_leader();
    const int l = lab.index_of(s1);
    const NodeId s2 = lab.id(l + 1), s3 = lab.id(l + 2), s4 = lab.id(l + 3), s5 = lab.id(l + 4);

    cluster.partition({{s1, s2}, {s3, s4, s5}});
    const auto x = lab.start(s1, v(2));
    ASSERT_TRUE(x.is_leader);
    ASSERT_TRUE(
        cluster.run_until([&] { return cluster.disk(s2).last_index() >= x.index; }, 1 * kSecond));
    cluster.partition({{s1}, {s2}, {s3, s4, s5}});
    ASSERT_TRUE(cluster.run_until(
        [&] {
          return leader_among({s3, s4, s5}) != kNoNode;
        },
        5 * kSecond));
    const NodeId l2 = leader_among({s3, s4, s5});
    // Cut L2 off at once: its no-op at X's index stays its own.
    std::vector<NodeId> rest;
    for (NodeId id : {s3, s4, s5}) {
      if (id != l2) rest.push_back(id);
    }
    cluster.partition({{s1, s2, rest[0], rest[1]}, {l2}});
    NodeId w = kNoNode;
    const bool committed = cluster.run_until(
        [&] {
          w = leader_among({s1, s2});
          return w != kNoNode && cluster.raft(w)->commit_index() >= x.index;
        },
        10 * kSecond);
    ASSERT_TRUE(committed) << "S1/S2 never committed X";
    // Cut off both holders of X the moment X counts as committed.
    cluster.partition({{l2, rest[0], rest[1]}, {s1}, {s2}});
    cluster.run_until([&] { return !cluster.ok(); }, 3 * kSecond);
    ASSERT_TRUE(cluster.ok()) << cluster.violation();
    cluster.heal();
    lab.one(v(3), 5, true);
  }
}

TEST(RaftLab, UnreliableAgree) {
  LabHarness lab(5, 5, 0, true);
  for (int iteration = 1; iteration < 50; ++iteration) {
    for (int j = 0; j < 4; ++j) {
      for (int i = 0; i < 5; ++i) lab.start(lab.id(i), v(100 * iteration + j));
    }
    lab.one(v(iteration), 1, true);
  }
  lab.set_unreliable(false);
  lab.one(v(100), 5, true);
}

TEST(RaftLab, Figure8Unreliable) { figure8(true, 22); }

// Churn: clients write and read through the cluster while nodes crash,
// restart, disconnect and reconnect; the history must be linearizable.
void churn(bool unreliable, std::uint64_t seed) {
  LabHarness lab(5, seed, 0, unreliable);
  history::HistoryRecorder recorder;
  ClientOptions options;
  options.clients = 3;
  Clients clients(lab.cluster(), options, recorder);
  clients.start();
  Random& rng = lab.cluster().random();
  for (int iteration = 0; iteration < 20; ++iteration) {
    const NodeId a = lab.id(static_cast<int>(rng.uniform(0, 4)));
    if (rng.chance(0.2)) lab.disconnect(a);
    const NodeId b = lab.id(static_cast<int>(rng.uniform(0, 4)));
    if (rng.chance(0.5) && !lab.cluster().is_up(b)) lab.restart(b);
    const NodeId c = lab.id(static_cast<int>(rng.uniform(0, 4)));
    if (rng.chance(0.5)) lab.connect(c);
    const NodeId d = lab.id(static_cast<int>(rng.uniform(0, 4)));
    if (rng.chance(0.2)) lab.crash(d);
    int up = 0;
    for (int i = 0; i < 5; ++i) up += lab.cluster().is_up(lab.id(i)) ? 1 : 0;
    if (up < 3) lab.restart(lab.id(static_cast<int>(rng.uniform(0, 4))));
    lab.sleep(rng.uniform(0, 700 * kMillis));
  }
  lab.set_unreliable(false);
  for (int i = 0; i < 5; ++i) {
    lab.restart(lab.id(i));
    lab.connect(lab.id(i));
  }
  lab.sleep(1 * kSecond);
  clients.stop();
  lab.cluster().run_until([&] { return clients.idle(); }, 5 * kSecond);
  EXPECT_GT(clients.stats().ok, 20u) << "clients made too little progress";
  const auto check = history::check_linearizable(recorder.operations());
  EXPECT_EQ(check.verdict, history::Verdict::kLinearizable) << check.explanation;
  lab.one(v(1), 5, true);
}

TEST(RaftLab, ReliableChurn) { churn(false, 31); }
TEST(RaftLab, UnreliableChurn) { churn(true, 32); }

// --- 3D: snapshots -----------------------------------------------------------

constexpr std::uint64_t kSnapshotEvery = 9;

// The lab's snapcommon: a follower falls behind (disconnected or crashed)
// while the others commit enough to compact past it; it must catch up,
// typically through InstallSnapshot.
void snapshot_common(bool disconnect, bool unreliable, bool crash, std::uint64_t seed) {
  LabHarness lab(3, seed, kSnapshotEvery, unreliable);
  Random& rng = lab.cluster().random();
  lab.one(v(1), 3, true);
  NodeId leader = lab.check_one_leader();
  for (int iteration = 0; iteration < 10; ++iteration) {
    NodeId victim = lab.id(lab.index_of(leader) + 1);
    NodeId sender = leader;
    if (iteration % 3 == 1) std::swap(victim, sender);
    if (disconnect) lab.disconnect(victim);
    if (crash) lab.crash(victim);
    // Enough to trigger a snapshot and compaction on the others.
    const int count = static_cast<int>(kSnapshotEvery) + 2;
    for (int i = 0; i < count; ++i) lab.start(sender, v(static_cast<int>(rng.uniform(0, 9999))));
    lab.one(v(static_cast<int>(rng.uniform(0, 9999))), 2, true);
    if (disconnect) lab.connect(victim);
    if (crash) lab.restart(victim);
    lab.one(v(static_cast<int>(rng.uniform(0, 9999))), 3, true);
    leader = lab.check_one_leader();
  }
  if (!unreliable) {
    EXPECT_GT(lab.cluster().messages_of(MessageType::kSnapshot), 0u)
        << "no InstallSnapshot was needed";
  }
  for (NodeId id : lab.cluster().all_nodes()) {
    EXPECT_GT(lab.cluster().disk(id).first_index().value(), 1u)
        << "node " << id << " never compacted";
  }
}

TEST(RaftLab, SnapshotBasic) {
  LabHarness lab(3, 41, kSnapshotEvery);
  LogIndex last = kNoIndex;
  for (int i = 0; i < 40; ++i) last = lab.one(v(i), 3, true);
  EXPECT_GT(last.value(), 40u);
  for (NodeId id : lab.cluster().all_nodes()) {
    const MemoryStorage& disk = lab.cluster().disk(id);
    EXPECT_GT(disk.first_index().value(), 10u) << "node " << id << " log not compacted";
    EXPECT_LE(disk.size(), 2 * kSnapshotEvery + 5) << "node " << id << " log grows unbounded";
  }
}

TEST(RaftLab, SnapshotInstall) { snapshot_common(true, false, false, 42); }
TEST(RaftLab, SnapshotInstallUnreliable) { snapshot_common(true, true, false, 43); }
TEST(RaftLab, SnapshotInstallCrash) { snapshot_common(false, false, true, 44); }

TEST(RaftLab, SnapshotAllCrash) {
  LabHarness lab(3, 45, kSnapshotEvery);
  lab.one(v(1), 3, true);
  LogIndex before = kNoIndex;
  for (int iteration = 0; iteration < 5; ++iteration) {
    for (int i = 0; i < static_cast<int>(kSnapshotEvery) + 2; ++i) lab.one(v(100 + i), 3, true);
    before = lab.one(v(200 + iteration), 3, true);
    for (int i = 0; i < 3; ++i) lab.crash(lab.id(i));
    for (int i = 0; i < 3; ++i) lab.restart(lab.id(i));
    const LogIndex after = lab.one(v(300 + iteration), 3, true);
    EXPECT_GT(after, before) << "log went backwards across a full crash";
  }
}

TEST(RaftLab, SnapshotInit) {
  LabHarness lab(3, 46, kSnapshotEvery);
  lab.one(v(1), 3, true);
  for (int i = 0; i < static_cast<int>(kSnapshotEvery) + 2; ++i) lab.one(v(10 + i), 3, true);
  for (int i = 0; i < 3; ++i) lab.crash(lab.id(i));
  for (int i = 0; i < 3; ++i) lab.restart(lab.id(i));  // restored from the snapshot
  lab.one(v(50), 3, true);
  for (int i = 0; i < 3; ++i) lab.crash(lab.id(i));
  for (int i = 0; i < 3; ++i) lab.restart(lab.id(i));
  lab.one(v(51), 3, true);
  for (int i = 0; i < 3; ++i) {
    const SimKv* kv = lab.cluster().kv(lab.id(i));
    ASSERT_NE(kv, nullptr);
    EXPECT_TRUE(lab.wait_committed(lab.cluster().committed().rbegin()->first == 0
                                       ? LogIndex(1)
                                       : LogIndex(lab.cluster().committed().rbegin()->first),
                                   3));
  }
}

}  // namespace
}  // namespace synod::consensus::sim
