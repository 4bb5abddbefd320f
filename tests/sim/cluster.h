// Cluster: N copies of the real Raft core in virtual time, driven by one
// seeded random generator, with a faulty network, simulated disks whose
// fsyncs take time (and whose unsynced tail a crash loses), and invariant
// checks after every event. See docs/simulation.md.
//
// Everything is single-threaded and deterministic: the same options (seed
// included) and the same calls give the same event trace bit for bit, which
// trace_hash() summarises.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/random.h"
#include "consensus/memory_storage.h"
#include "consensus/message.h"
#include "consensus/raft.h"
#include "tests/sim/sim_kv.h"

namespace synod::consensus::sim {

// Virtual time in microseconds.
using Micros = std::uint64_t;
inline constexpr Micros kMillis = 1000;
inline constexpr Micros kSecond = 1000 * kMillis;

struct NetworkOptions {
  Micros min_latency = 200;
  Micros max_latency = 2 * kMillis;
  double drop = 0.0;        // probability a message is lost
  double duplicate = 0.0;   // probability a message is delivered twice
  double long_delay = 0.0;  // probability of a delay up to max_long_delay (reorders)
  Micros max_long_delay = 200 * kMillis;
};

struct ClusterOptions {
  std::uint64_t seed = 1;
  int nodes = 3;
  RaftConfig raft;  // template; id is set per node
  Micros tick_interval = 10 * kMillis;
  Micros min_fsync = 100;
  Micros max_fsync = 3 * kMillis;
  NetworkOptions network;
  // Keep a copy of every committed entry's data (scenario tests read it).
  bool keep_committed_data = true;
};

// What the invariant checker remembers about one committed log position.
struct CommittedEntry {
  Term term;
  std::uint64_t hash = 0;
  std::string data;  // only with keep_committed_data
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // --- time ---
  [[nodiscard]] Micros now() const { return now_; }
  // Processes events up to now() + duration (stops early on a violation).
  void run_for(Micros duration);
  // Runs until `done()` holds (checked after every event) or `limit` passes.
  bool run_until(const std::function<bool()>& done, Micros limit);
  // Runs `action` at now() + delay (clients and nemeses use this).
  void schedule(Micros delay, std::function<void()> action);
  Random& random() { return random_; }

  // --- nodes ---
  // Every node ever created, in id order (founding members are 1..nodes).
  [[nodiscard]] std::vector<NodeId> all_nodes() const;
  [[nodiscard]] bool is_up(NodeId id) const;
  [[nodiscard]] Raft* raft(NodeId id);  // nullptr while down
  [[nodiscard]] const SimKv* kv(NodeId id) const;
  [[nodiscard]] const MemoryStorage& disk(NodeId id) const;
  // Crash: the process dies; fsyncs in flight are lost, except that with
  // `partial_flush` a random prefix of them reached the disk anyway.
  void crash(NodeId id, bool partial_flush = false);
  // Starts a crashed node again from what its disk holds.
  void restart(NodeId id);
  // Creates and starts a node with an empty disk (to be added as a learner).
  NodeId add_node();
  // Stops a node for good (removed from the cluster).
  void stop(NodeId id);

  // --- network ---
  NetworkOptions& network() { return options_.network; }
  void disconnect(NodeId id);          // cut every link to and from id
  void connect(NodeId id);             // restore them (other cuts stay)
  void block(NodeId from, NodeId to);  // one-way cut
  // Only nodes in the same group can talk; nodes in no group are isolated.
  void partition(const std::vector<std::vector<NodeId>>& groups);
  void heal();  // restore every link
  [[nodiscard]] bool connected(NodeId from, NodeId to) const;
  [[nodiscard]] std::uint64_t messages_sent() const { return messages_sent_; }
  [[nodiscard]] std::uint64_t message_bytes() const { return message_bytes_; }
  // AppendEntries rejections (log mismatch) sent so far.
  [[nodiscard]] std::uint64_t append_rejections() const { return append_rejections_; }
  [[nodiscard]] std::uint64_t messages_of(MessageType type) const {
    return messages_by_type_[static_cast<std::size_t>(type)];
  }

  // --- clients ---
  // Proposes on `id` (which must be up); drains its Ready afterwards.
  Result<LogIndex> propose(NodeId id, std::string data);
  Status read_index(NodeId id, std::string context);
  Result<LogIndex> propose_conf_change(NodeId id, const ConfChange& change);
  Status transfer_leadership(NodeId id, NodeId target);
  // Called whenever a node applies a committed entry (result = SimKv result).
  std::function<void(NodeId, const Entry&, const std::string&)> on_apply;
  // Called when a ReadIndex read is safe to serve on a node (its state
  // machine has applied the read index).
  std::function<void(NodeId, const std::string& context)> on_read;

  // --- observation ---
  // A leader among the up nodes with the highest term (kNoNode if none).
  [[nodiscard]] NodeId leader() const;
  [[nodiscard]] std::vector<NodeId> leaders() const;  // every up node that is leader
  [[nodiscard]] const std::map<std::uint64_t, CommittedEntry>& committed() const {
    return committed_;
  }
  // How many nodes have applied `index` (counting crashed nodes by what they
  // had applied before crashing), and the committed data there.
  [[nodiscard]] int applied_count(LogIndex index) const;
  [[nodiscard]] std::optional<std::string> committed_data(LogIndex index) const;
  [[nodiscard]] LogIndex max_applied(NodeId id) const;

  // --- checks ---
  [[nodiscard]] bool ok() const { return violation_.empty(); }
  [[nodiscard]] const std::string& violation() const { return violation_; }
  // Records a violation found outside (e.g. by the linearizability check).
  void fail(std::string what);
  [[nodiscard]] std::uint64_t trace_hash() const { return trace_hash_; }
  [[nodiscard]] std::uint64_t events() const { return events_; }
  // How many terms had a leader.
  [[nodiscard]] std::uint64_t leader_terms() const { return leader_of_term_.size(); }
  // The last events, for a failure report.
  [[nodiscard]] std::string recent_trace() const;
  // Appends a line to the trace (and its hash).
  void trace(const std::string& line);

 private:
  struct Node;
  struct Event;
  struct EventOrder {
    bool operator()(const Event& a, const Event& b) const;
  };

  Node& node(NodeId id);
  const Node& node(NodeId id) const;
  void start(Node& n);
  void push(Event event);
  void step_event();
  void send(const Message& message);
  void deliver(const Message& message);
  void tick(NodeId id, std::uint64_t incarnation);
  void drain(Node& n);
  void persist_done(NodeId id, std::uint64_t incarnation);
  void finish_ready(Node& n, Ready& ready);
  void write_to_disk(Node& n, const Ready& ready);
  void apply_committed(Node& n, const Ready& ready);
  void serve_reads(Node& n);
  void mirror_ready(Node& n, const Ready& ready);
  void rebuild_mirror(Node& n);
  void check_node(Node& n);
  void check_leader_completeness(Node& n);
  void record_committed(NodeId id, LogIndex index, Term term, std::uint64_t hash,
                        const std::string* data, const char* how);

  ClusterOptions options_;
  SeededRandom random_;
  Micros now_ = 0;
  std::uint64_t next_seq_ = 0;
  std::vector<Event> queue_;  // a heap ordered by EventOrder
  std::map<NodeId, std::unique_ptr<Node>> nodes_;
  std::set<std::pair<NodeId, NodeId>> blocked_;
  std::uint64_t messages_sent_ = 0;
  std::uint64_t message_bytes_ = 0;
  std::uint64_t messages_by_type_[32] = {};
  std::uint64_t append_rejections_ = 0;

  // Invariant state.
  std::map<std::uint64_t, NodeId> leader_of_term_;                   // election safety
  std::map<std::pair<std::uint64_t, std::uint64_t>, NodeId> votes_;  // (voter, term) -> candidate
  // (index, term) -> (entry hash, term of the entry before): log matching.
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::pair<std::uint64_t, std::uint64_t>>
      entries_seen_;
  std::map<std::uint64_t, CommittedEntry> committed_;  // state-machine safety
  std::string violation_;

  std::uint64_t trace_hash_ = 1469598103934665603ULL;
  std::uint64_t events_ = 0;
  std::deque<std::string> recent_;
};

// FNV-1a of the bytes (entry fingerprints and the trace hash).
[[nodiscard]] std::uint64_t fingerprint(std::string_view bytes,
                                        std::uint64_t seed = 1469598103934665603ULL);

}  // namespace synod::consensus::sim
