#include "tests/sim/lab_harness.h"

#include <map>

namespace synod::consensus::sim {

ClusterOptions lab_options(int nodes, std::uint64_t seed, std::uint64_t snapshot_entries) {
  ClusterOptions options;
  options.seed = seed;
  options.nodes = nodes;
  options.raft.election_tick = 10;
  options.raft.heartbeat_tick = 3;
  options.raft.snapshot_entries = snapshot_entries;
  options.raft.snapshot_chunk_bytes = 128;
  return options;
}

LabHarness::LabHarness(int nodes, std::uint64_t seed, std::uint64_t snapshot_entries,
                       bool unreliable)
    : n_(nodes), cluster_(lab_options(nodes, seed, snapshot_entries)) {
  set_unreliable(unreliable);
}

LabHarness::LabHarness(const ClusterOptions& options) : n_(options.nodes), cluster_(options) {}

LabHarness::~LabHarness() {
  EXPECT_TRUE(cluster_.ok()) << cluster_.violation() << "\nrecent events:\n"
                             << cluster_.recent_trace();
}

void LabHarness::disconnect(NodeId id) {
  disconnected_.insert(id);
  cluster_.disconnect(id);
}

void LabHarness::connect(NodeId id) {
  disconnected_.erase(id);
  cluster_.connect(id);
  // connect() restores every link of id, including to nodes still cut off.
  for (NodeId other : disconnected_) cluster_.disconnect(other);
}

void LabHarness::crash(NodeId id) { cluster_.crash(id, false); }
void LabHarness::restart(NodeId id) { cluster_.restart(id); }

void LabHarness::set_unreliable(bool unreliable) {
  NetworkOptions& net = cluster_.network();
  net.drop = unreliable ? 0.1 : 0.0;
  net.long_delay = unreliable ? 0.1 : 0.0;
  net.max_long_delay = 27 * kMillis;
}

void LabHarness::set_long_reordering(bool on) {
  NetworkOptions& net = cluster_.network();
  net.long_delay = on ? 0.2 : net.long_delay;
  net.max_long_delay = on ? 2 * kSecond : 27 * kMillis;
}

NodeId LabHarness::check_one_leader() {
  for (int iteration = 0; iteration < 10; ++iteration) {
    sleep(cluster_.random().uniform(450 * kMillis, 550 * kMillis));
    std::map<std::uint64_t, std::vector<NodeId>> leaders;
    for (NodeId id : cluster_.all_nodes()) {
      Raft* raft = cluster_.raft(id);
      if (raft != nullptr && is_connected(id) && raft->role() == Role::kLeader) {
        leaders[raft->term().value()].push_back(id);
      }
    }
    for (const auto& [term, ids] : leaders) {
      EXPECT_EQ(ids.size(), 1u) << "term " << term << " has " << ids.size() << " leaders";
    }
    if (!leaders.empty()) return leaders.rbegin()->second.front();
  }
  ADD_FAILURE() << "expected one leader, got none";
  return kNoNode;
}

void LabHarness::check_no_leader() {
  for (NodeId id : cluster_.all_nodes()) {
    Raft* raft = cluster_.raft(id);
    if (raft != nullptr && is_connected(id)) {
      EXPECT_NE(raft->role(), Role::kLeader) << "node " << id << " is leader but should not be";
    }
  }
}

Term LabHarness::check_terms() {
  std::optional<Term> term;
  for (NodeId id : cluster_.all_nodes()) {
    Raft* raft = cluster_.raft(id);
    if (raft == nullptr || !is_connected(id)) continue;
    if (!term) term = raft->term();
    EXPECT_EQ(*term, raft->term()) << "servers disagree on term";
  }
  return term.value_or(Term(0));
}

LabHarness::Start LabHarness::start(NodeId id, const std::string& value) {
  Start result;
  Raft* raft = cluster_.raft(id);
  if (raft == nullptr || raft->role() != Role::kLeader) return result;
  KvCommand command{KvOp::kPut, "lab", value, ""};
  auto index = cluster_.propose(id, encode_tagged(next_tag_++, command));
  if (!index.is_ok() || *index == kNoIndex) return result;
  result.index = *index;
  result.term = raft->term();
  result.is_leader = true;
  return result;
}

int LabHarness::n_committed(LogIndex index, std::string* value) const {
  auto data = cluster_.committed_data(index);
  if (value != nullptr) {
    value->clear();
    if (data && data->size() > 8) {
      auto command = decode_kv_command(std::string_view(*data).substr(8));
      if (command.is_ok()) *value = command->value;
    }
  }
  return cluster_.applied_count(index);
}

bool LabHarness::wait_committed(LogIndex index, int expected, Micros limit) {
  return cluster_.run_until([&] { return n_committed(index) >= expected; }, limit);
}

LogIndex LabHarness::one(const std::string& value, int expected, bool retry) {
  const Micros deadline = cluster_.now() + 10 * kSecond;
  int starting = 0;
  while (cluster_.now() < deadline && cluster_.ok()) {
    LogIndex index = kNoIndex;
    for (int i = 0; i < n_; ++i) {
      starting = (starting + 1) % n_;
      if (!is_connected(id(starting))) continue;
      Start s = start(id(starting), value);
      if (s.is_leader) {
        index = s.index;
        break;
      }
    }
    if (index != kNoIndex) {
      const Micros until = cluster_.now() + 2 * kSecond;
      while (cluster_.now() < until && cluster_.ok()) {
        std::string committed;
        const int count = n_committed(index, &committed);
        if (count > 0 && count >= expected && committed == value) return index;
        sleep(20 * kMillis);
      }
      if (!retry) {
        ADD_FAILURE() << "one(" << value << ") failed to reach agreement";
        return kNoIndex;
      }
    } else {
      sleep(50 * kMillis);
    }
  }
  ADD_FAILURE() << "one(" << value << ") failed to reach agreement";
  return kNoIndex;
}

}  // namespace synod::consensus::sim
