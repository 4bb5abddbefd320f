#include "tests/sim/random_run.h"

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "consensus/history/linearizability.h"
#include "tests/sim/clients.h"

namespace synod::consensus::sim {
namespace {

// The nemesis: every few hundred milliseconds, one fault (or a repair).
class Nemesis {
 public:
  // figure8: the Figure 8 nemesis instead of the general one (see act_figure8).
  Nemesis(Cluster& cluster, int max_nodes, bool figure8)
      : cluster_(cluster), max_nodes_(max_nodes), figure8_(figure8) {}

  void start(Micros until) {
    until_ = until;
    schedule_next();
  }
  [[nodiscard]] std::uint64_t actions() const { return actions_; }
  [[nodiscard]] std::uint64_t membership_changes() const { return membership_changes_; }
  [[nodiscard]] std::uint64_t transfers() const { return transfers_; }

  // Undoes every fault: heals the network, makes it reliable, restarts nodes.
  void heal_all() {
    isolated_.clear();
    cluster_.heal();
    cluster_.network() = NetworkOptions{};
    for (NodeId id : cluster_.all_nodes()) cluster_.restart(id);
    cluster_.trace("nemesis: heal all");
  }

 private:
  void schedule_next() {
    Random& rng = cluster_.random();
    const Micros gap = figure8_ ? rng.uniform(2 * kMillis, 60 * kMillis)
                                : rng.uniform(50 * kMillis, 400 * kMillis);
    cluster_.schedule(gap, [this] {
      if (cluster_.now() >= until_) return;
      if (figure8_) {
        act_figure8();
      } else {
        act();
      }
      schedule_next();
    });
  }

  std::vector<NodeId> up_nodes() const {
    std::vector<NodeId> up;
    for (NodeId id : cluster_.all_nodes()) {
      if (cluster_.is_up(id)) up.push_back(id);
    }
    return up;
  }

  template <typename T>
  T pick(const std::vector<T>& from) {
    return from[cluster_.random().uniform(0, from.size() - 1)];
  }

  void act() {
    ++actions_;
    Random& rng = cluster_.random();
    const std::vector<NodeId> up = up_nodes();
    const std::vector<NodeId> all = cluster_.all_nodes();
    switch (rng.uniform(0, 11)) {
      case 0:
        bounce(rng);
        break;
      case 1: {  // crash a node (maybe the leader), restart it later
        if (up.empty()) break;
        NodeId victim =
            rng.chance(0.4) && cluster_.leader() != kNoNode ? cluster_.leader() : pick(up);
        cluster_.crash(victim, rng.chance(0.5));
        cluster_.schedule(rng.uniform(10 * kMillis, 800 * kMillis),
                          [this, victim] { cluster_.restart(victim); });
        break;
      }
      case 2: {  // symmetric partition into two random sides
        std::vector<NodeId> a, b;
        for (NodeId id : all) (rng.chance(0.5) ? a : b).push_back(id);
        cluster_.partition({a, b});
        cluster_.trace("nemesis: partition " + std::to_string(a.size()) + "/" +
                       std::to_string(b.size()));
        break;
      }
      case 3: {  // isolate the leader
        NodeId leader = cluster_.leader();
        if (leader == kNoNode) break;
        cluster_.disconnect(leader);
        cluster_.trace("nemesis: isolate leader " + leader.to_string());
        break;
      }
      case 4: {  // one-way cuts
        for (int i = 0; i < 2; ++i) {
          NodeId from = pick(all), to = pick(all);
          if (from != to) cluster_.block(from, to);
        }
        cluster_.trace("nemesis: one-way cuts");
        break;
      }
      case 5:
      case 6:
        cluster_.heal();
        cluster_.trace("nemesis: heal network");
        break;
      case 7: {  // flaky network
        NetworkOptions& net = cluster_.network();
        net.drop = rng.chance(0.5) ? rng.uniform01() * 0.2 : 0.0;
        net.duplicate = rng.chance(0.5) ? rng.uniform01() * 0.1 : 0.0;
        net.long_delay = rng.chance(0.5) ? rng.uniform01() * 0.1 : 0.0;
        cluster_.trace("nemesis: flaky network");
        break;
      }
      case 8:
        cluster_.network() = NetworkOptions{};
        cluster_.trace("nemesis: reliable network");
        break;
      case 9:
      case 10:
        change_membership();
        break;
      default: {  // leadership transfer
        NodeId leader = cluster_.leader();
        if (leader == kNoNode) break;
        const ClusterConfig& config = cluster_.raft(leader)->config();
        if (config.voters.size() < 2) break;
        NodeId target = pick(config.voters);
        if (target == leader) break;
        Status s = cluster_.transfer_leadership(leader, target);
        if (s.is_ok()) ++transfers_;
        cluster_.trace("nemesis: transfer " + leader.to_string() + " -> " + target.to_string() +
                       " (" + s.to_string() + ")");
        break;
      }
    }
  }

  // Raft paper Figure 8: leaders are cut off (crashed or isolated) moments
  // after taking office, while their entries are half replicated, and come
  // back later; at least three of five nodes stay reachable.
  void act_figure8() {
    ++actions_;
    Random& rng = cluster_.random();
    const NodeId leader = cluster_.leader();
    if (leader != kNoNode && isolated_.count(leader) == 0 && rng.chance(0.7)) {
      if (rng.chance(0.5)) {
        cluster_.crash(leader, rng.chance(0.5));
      } else {
        cluster_.disconnect(leader);
        isolated_.insert(leader);
        cluster_.trace("nemesis: isolate leader " + leader.to_string());
      }
    }
    if (rng.chance(0.3)) bounce(rng);
    std::vector<NodeId> reachable, unreachable;
    for (NodeId id : cluster_.all_nodes()) {
      (cluster_.is_up(id) && isolated_.count(id) == 0 ? reachable : unreachable).push_back(id);
    }
    while (!unreachable.empty() && (reachable.size() < 3 || rng.chance(0.3))) {
      const std::size_t i = rng.uniform(0, unreachable.size() - 1);
      const NodeId back = unreachable[i];
      unreachable.erase(unreachable.begin() + static_cast<std::ptrdiff_t>(i));
      cluster_.restart(back);
      cluster_.connect(back);
      isolated_.erase(back);
      for (NodeId other : isolated_) cluster_.disconnect(other);
      reachable.push_back(back);
    }
  }

  // Crash a follower and restart it within milliseconds: a vote it granted
  // in the current term must survive (it was persisted before the grant left).
  void bounce(Random& rng) {
    std::vector<NodeId> followers;
    for (NodeId id : up_nodes()) {
      if (cluster_.raft(id)->role() != Role::kLeader && isolated_.count(id) == 0) {
        followers.push_back(id);
      }
    }
    if (followers.empty()) return;
    const NodeId victim = pick(followers);
    cluster_.crash(victim, rng.chance(0.5));
    cluster_.schedule(rng.uniform(0, 10 * kMillis), [this, victim] { cluster_.restart(victim); });
  }

  void change_membership() {
    NodeId leader = cluster_.leader();
    if (leader == kNoNode) return;
    Raft* raft = cluster_.raft(leader);
    const ClusterConfig config = raft->config();
    Random& rng = cluster_.random();
    ConfChange change;
    // Promote a caught-up learner first; otherwise add or remove.
    for (NodeId learner : config.learners) {
      if (raft->caught_up(learner)) {
        change = ConfChange{ConfChangeType::kAddVoter, learner, ""};
        propose(leader, change);
        return;
      }
    }
    const std::size_t members = config.voters.size() + config.learners.size();
    if (config.learners.empty() && members < static_cast<std::size_t>(max_nodes_) &&
        rng.chance(0.5)) {
      change = ConfChange{ConfChangeType::kAddLearner, cluster_.add_node(), ""};
      propose(leader, change);
      return;
    }
    if (config.voters.size() > 3) {
      NodeId victim = pick(config.voters);
      change = ConfChange{ConfChangeType::kRemoveNode, victim, ""};
      if (propose(leader, change)) {
        // Stop the removed node once the removal is in force.
        cluster_.schedule(rng.uniform(500 * kMillis, 1500 * kMillis), [this, victim] {
          NodeId now_leader = cluster_.leader();
          if (now_leader == kNoNode || now_leader == victim) return;
          if (!cluster_.raft(now_leader)->config().contains(victim)) cluster_.stop(victim);
        });
      }
    }
  }

  bool propose(NodeId leader, const ConfChange& change) {
    auto result = cluster_.propose_conf_change(leader, change);
    static const char* const kNames[] = {"add learner", "add voter", "remove", "demote"};
    cluster_.trace("nemesis: " + std::string(kNames[static_cast<int>(change.type)]) + " " +
                   change.node.to_string() + " via " + leader.to_string() + " (" +
                   (result.is_ok() ? std::string("ok") : result.status().to_string()) + ")");
    if (result.is_ok()) ++membership_changes_;
    return result.is_ok();
  }

  Cluster& cluster_;
  int max_nodes_;
  bool figure8_;
  std::set<NodeId> isolated_;  // figure-8 mode: nodes cut off on purpose
  Micros until_ = 0;
  std::uint64_t actions_ = 0;
  std::uint64_t membership_changes_ = 0;
  std::uint64_t transfers_ = 0;
};

}  // namespace

std::string replay_command(const RunOptions& options) {
  std::string cmd = "build/bench/sim_soak --seed " + std::to_string(options.seed);
  if (options.nodes != 0) cmd += " --nodes " + std::to_string(options.nodes);
  cmd += " --duration-ms " + std::to_string(options.duration / kMillis);
  return cmd;
}

RunResult run_random(const RunOptions& options) {
  // Run parameters come from their own generator so that they do not shift
  // when the simulation's use of randomness changes.
  SeededRandom setup(options.seed ^ 0x5eed5eed5eedULL);
  ClusterOptions cluster_options;
  cluster_options.seed = options.seed;
  static const int kSizes[] = {3, 3, 3, 5, 5, 7};
  cluster_options.nodes = options.nodes != 0 ? options.nodes : kSizes[setup.uniform(0, 5)];
  cluster_options.keep_committed_data = false;
  RaftConfig& raft = cluster_options.raft;
  raft.election_tick = 10;
  raft.heartbeat_tick = 1;
  raft.pre_vote = setup.chance(0.75);
  raft.check_quorum = setup.chance(0.75);
  raft.snapshot_entries = setup.uniform(10, 80);
  raft.snapshot_chunk_bytes = setup.chance(0.5) ? 64 : 4096;
  raft.max_append_bytes = setup.chance(0.5) ? 256 : 64 * 1024;
  raft.max_inflight_messages = static_cast<std::uint32_t>(setup.uniform(1, 64));
  raft.catch_up_entries = 20;
  cluster_options.max_fsync = setup.uniform(100, 5 * kMillis);
  // One run in four is a Figure 8 run: five nodes, entries replicated one per
  // message, slow links, and leaders cut off moments after they win. This is
  // where committing an old-term entry by counting replicas shows.
  const bool figure8 = setup.chance(0.25);
  if (figure8) {
    if (options.nodes == 0) cluster_options.nodes = 5;
    raft.max_append_bytes = 1;
    raft.max_inflight_messages = 1;
    cluster_options.network.min_latency = 1 * kMillis;
    cluster_options.network.max_latency = 8 * kMillis;
  }

  Cluster cluster(cluster_options);
  history::HistoryRecorder recorder;
  ClientOptions client_options;
  client_options.clients = static_cast<int>(setup.uniform(2, 5)) + (figure8 ? 3 : 0);
  client_options.keys = static_cast<int>(setup.uniform(1, 4));
  Clients clients(cluster, client_options, recorder);
  Nemesis nemesis(cluster, 7, figure8);

  RunResult result;
  result.nodes = cluster_options.nodes;
  auto finish = [&](std::string failure) {
    result.ok = failure.empty();
    result.trace_hash = cluster.trace_hash();
    result.events = cluster.events();
    result.operations = recorder.size();
    result.unknown = clients.stats().unknown;
    result.completed = clients.stats().ok;
    result.committed = cluster.committed().size();
    result.leaders = cluster.leader_terms();
    result.nemesis_actions = nemesis.actions();
    result.membership_changes = nemesis.membership_changes();
    result.transfers = nemesis.transfers();
    result.snapshot_messages = cluster.messages_of(MessageType::kSnapshot);
    if (!result.ok) {
      result.failure = failure + "\nreplay: " + replay_command(options) + "\n";
      if (options.trace_on_failure) result.failure += "recent events:\n" + cluster.recent_trace();
    }
    return result;
  };

  clients.start();
  nemesis.start(options.duration);
  cluster.run_for(options.duration);
  if (!cluster.ok()) return finish(cluster.violation());

  // Recovery: every fault healed, a leader must appear and clients finish.
  nemesis.heal_all();
  if (!cluster.run_until([&] { return cluster.leader() != kNoNode; }, 10 * kSecond)) {
    if (!cluster.ok()) return finish(cluster.violation());
    return finish("liveness: no leader 10 s after all faults healed");
  }
  cluster.run_for(500 * kMillis);
  clients.stop();
  cluster.run_until([&] { return clients.idle(); }, 3 * kSecond);
  if (!cluster.ok()) return finish(cluster.violation());

  const history::CheckResult check = history::check_linearizable(recorder.operations());
  if (check.verdict == history::Verdict::kNotLinearizable) {
    return finish("linearizability: history on key " + check.key + " is not linearizable\n" +
                  check.explanation);
  }
  if (check.verdict == history::Verdict::kInconclusive) {
    cluster.trace("linearizability check inconclusive on key " + check.key);
  }
  return finish("");
}

}  // namespace synod::consensus::sim
