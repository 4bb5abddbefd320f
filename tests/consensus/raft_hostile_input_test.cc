// A peer can send anything: random messages must never crash a core or make
// it hand out entries out of order (the harness checks applied indexes).
#include <gtest/gtest.h>

#include "tests/consensus/test_cluster.h"

namespace synod::consensus::testing {
namespace {

Message random_message(Random& r, NodeId to, Term around, LogIndex last) {
  auto small = [&](std::uint64_t base) { return base + r.uniform(0, 4) - 2; };
  Message m;
  m.type = static_cast<MessageType>(r.uniform(0, 13));
  m.from = NodeId(r.uniform(1, 5));
  if (m.from == to) m.from = NodeId(to.value() % 3 + 1);
  m.to = to;
  m.term = Term(small(around.value() + 2));
  m.log_term = Term(small(around.value() + 2));
  m.index = LogIndex(r.chance(0.1) ? r.next_u64() : small(last.value() + 2));
  m.commit = LogIndex(r.chance(0.1) ? r.next_u64() : small(last.value() + 2));
  m.reject = r.chance(0.5);
  m.hint_index = LogIndex(r.chance(0.2) ? r.next_u64() : small(last.value() + 2));
  m.hint_term = Term(small(around.value() + 2));
  m.context = r.chance(0.5) ? std::to_string(r.uniform(0, 3)) : "";
  m.snapshot = SnapshotMeta{LogIndex(small(last.value() + 2)), Term(small(around.value() + 2)),
                            r.chance(0.5) ? std::string("\xff\x01", 2) : std::string()};
  m.snapshot_offset = r.chance(0.5) ? 0 : r.uniform(0, 100);
  m.snapshot_data = "";  // a valid (empty) KV snapshot: the harness restores it
  m.snapshot_done = r.chance(0.5);
  const auto n = r.uniform(0, 3);
  for (std::uint64_t i = 0; i < n; ++i) {
    m.entries.push_back(Entry{Term(small(around.value() + 2)), m.index + (i + 1),
                              static_cast<EntryType>(r.uniform(0, 2)), "e"});
  }
  return m;
}

TEST(RaftHostileInput, RandomMessagesNeverCrash) {
  SeededRandom r(99);
  for (int round = 0; round < 20; ++round) {
    TestCluster c(3, {}, round + 1);
    c.elect(N(1));
    c.put("k", "v");
    for (int i = 0; i < 300; ++i) {
      const NodeId to = N(r.uniform(1, 3));
      Message m = random_message(r, to, c.raft(to).term(), c.raft(to).last_index());
      (void)c.raft(to).step(std::move(m));
      c.process(to);
      if (i % 10 == 0) c.tick_all(1);
    }
    // Raft does not tolerate Byzantine peers, so liveness is not promised
    // here; but the cores keep running and keep applying in order.
    c.tick_all(20);
    for (NodeId id : c.ids()) {
      EXPECT_LE(c.raft(id).commit_index(), c.raft(id).last_index());
      EXPECT_LE(c.raft(id).applied_index(), c.raft(id).commit_index());
    }
  }
}

}  // namespace
}  // namespace synod::consensus::testing
