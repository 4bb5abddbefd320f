// RaftNode: drives the pure Raft core (consensus/raft.h) on the node's event
// loop: ticks, peer messages, proposals and reads in; Readys out to the
// transport, the storage thread and the state machine.
//
// THE ORDERING RULE (DESIGN.md; the Ready contract in consensus/raft.h):
// term, vote and log entries are durable before any message that depends on
// them leaves this node. In code: Ready::messages (leader AppendEntries and
// heartbeats, which depend only on the already-durable term) are sent at
// once, so the leader replicates while its own fsync runs;
// Ready::messages_after_persist (votes, acknowledgements) are sent only from
// on_persisted(), which the storage thread triggers after the group commit
// that covers their Ready. Committed entries are applied there too, never
// before their Ready (and every earlier one) is durable.
//
// Threading: every method runs on the loop thread (the io_context given to
// the constructor). The storage thread only posts completions back.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/asio.h"
#include "common/random.h"
#include "common/status.h"
#include "config/node_config.h"
#include "consensus/memory_storage.h"
#include "consensus/raft.h"
#include "consensus/state/apply_result.h"
#include "consensus/state/state_store.h"
#include "node/discovery/server_health.h"
#include "node/storage_worker.h"
#include "node/transport/peer_transport.h"
#include "persistence/backend.h"

namespace synod::node {

namespace proto_ns = ::synod::proto;

class RaftNode {
 public:
  using ApplyCallback = std::function<void(Result<consensus::state::ApplyResult>)>;
  using ChangeCallback = std::function<void(const consensus::state::ChangeSet&, LogIndex)>;

  RaftNode(asio::io_context& io, const config::NodeConfig& config,
           persistence::StorageBackend& backend,
           std::shared_ptr<transport::PeerTransport> transport);
  ~RaftNode();

  // Loads hard state, snapshot, log and applied state from the backend.
  // Corruption is returned (the caller stops the process).
  Status recover();
  // Starts ticking; bootstraps a new cluster from the seeds if there is no
  // stored state. Call after the transport is listening.
  void start();
  // Stops timers and fails every waiting request with Unavailable.
  void stop();

  // --- client operations (loop thread) ---
  // Proposes a command; at a follower it is forwarded to the leader. The
  // callback gets the result once the entry is applied here (leader) or at
  // the leader (forwarded).
  void propose(proto_ns::Command command, ApplyCallback done);
  // Completes once this node's state machine reflects every write that was
  // committed before the call (ReadIndex, Raft dissertation §6.4).
  void read_barrier(std::function<void(Status)> done);
  // Leadership transfer to `target`, or to the most caught-up voter.
  void transfer_leadership(std::optional<NodeId> target, std::function<void(Status)> done);
  // Removes a member (forwarded to the leader if needed).
  void remove_member(NodeId node, std::function<void(Status)> done);
  // Graceful stop: a leader hands leadership to a caught-up voter first
  // (bounded by `timeout`). `done` runs when that is over.
  void prepare_shutdown(Duration timeout, std::function<void()> done);

  // Called after every applied batch with the records it changed.
  void set_change_callback(ChangeCallback callback) { on_change_ = std::move(callback); }
  // Called with every normal entry right after it is applied (the shared
  // zstd dictionary samples the log through it).
  void set_entry_observer(std::function<void(const Entry&)> observer) {
    on_entry_ = std::move(observer);
  }
  // Gossip's view of the servers (node/discovery): the leader removes failed
  // and departed servers and promotes only live learners (voter rules in
  // raft_node_membership.cc). Unset: no cleanup, promotion by catch-up only.
  void set_server_health(ServerHealthSource source) { server_health_ = std::move(source); }

  // --- observation (loop thread) ---
  [[nodiscard]] const consensus::state::StateStore& state() const { return state_; }
  [[nodiscard]] consensus::Role role() const;
  [[nodiscard]] bool is_leader() const;
  [[nodiscard]] NodeId leader() const;
  [[nodiscard]] Term term() const;
  [[nodiscard]] LogIndex commit_index() const;
  [[nodiscard]] LogIndex applied_index() const;
  [[nodiscard]] LogIndex last_index() const;
  [[nodiscard]] consensus::ClusterConfig membership() const;
  // Peer address of a member ("" if unknown).
  [[nodiscard]] std::string address_of(NodeId node) const;
  // Milliseconds since this node last heard from a leader (0 on the leader).
  [[nodiscard]] std::uint64_t last_contact_ms() const;
  [[nodiscard]] bool bootstrapped() const { return raft_ != nullptr; }

 private:
  struct PendingProposal {
    Term term;
    ApplyCallback done;
  };
  struct InflightReady {
    consensus::Ready ready;
    bool persisted = false;
  };

  void create_raft(LogIndex applied);
  Status restore_state(ByteView data, LogIndex index);
  void try_bootstrap();
  void try_join();
  void on_join(std::string_view payload, transport::PeerTransport::Responder reply);
  void promote_caught_up_learners();
  bool remove_departed_servers();
  bool demote_for_odd_voters(bool over_limit);
  void forward_admin(std::uint8_t op, NodeId node, std::function<void(Status)> done);
  void on_admin(std::string_view payload, transport::PeerTransport::Responder reply);
  void bootstrap_with(const std::vector<NodeId>& voters);
  void schedule_tick();
  void schedule_ready();
  void drain_ready();
  void on_persisted();
  void apply_committed(std::vector<Entry>& entries);
  void handle_read_states(std::vector<consensus::ReadState>& states);
  void flush_reads();
  void maybe_snapshot();
  void send_messages(std::vector<consensus::Message>& messages);
  void on_raft_message(NodeId from, std::string_view payload);
  void on_forward(NodeId from, std::string_view payload, transport::PeerTransport::Responder reply);
  void propose_local(Bytes data, ApplyCallback done);
  void fail_pending(const Status& status);
  void fail_forwarded(const Status& status);
  void connect_seeds();
  void resolve_seed(const std::string& seed, std::function<void(Result<NodeId>)> done);

  asio::io_context& io_;
  const config::NodeConfig& config_;
  persistence::StorageBackend& backend_;
  std::shared_ptr<transport::PeerTransport> transport_;
  SystemRandom random_;
  std::unique_ptr<StorageWorker> worker_;
  consensus::MemoryStorage storage_;
  consensus::state::StateStore state_;
  std::unique_ptr<consensus::Raft> raft_;
  consensus::RaftConfig raft_config_;
  asio::steady_timer tick_timer_;
  asio::steady_timer bootstrap_timer_;
  Duration tick_interval_;
  bool ready_scheduled_ = false;
  bool stopped_ = false;
  bool needs_bootstrap_ = false;
  bool join_in_flight_ = false;
  std::uint64_t ticks_ = 0;

  std::deque<std::shared_ptr<InflightReady>> inflight_;
  std::map<LogIndex, PendingProposal> pending_;
  std::uint64_t next_read_id_ = 1;
  std::uint64_t next_forward_id_ = 1;
  std::unordered_map<std::uint64_t, ApplyCallback> forwarded_;
  struct PendingRead {
    std::function<void(Status)> done;
    MonoTime deadline;
  };
  std::unordered_map<std::string, PendingRead> reads_by_context_;
  std::multimap<LogIndex, std::function<void(Status)>> reads_waiting_apply_;
  std::map<NodeId, std::string> addresses_;  // peer addresses learned from seeds/config
  std::vector<std::string> unresolved_seeds_;
  MonoTime last_leader_contact_;
  NodeId last_leader_;
  ChangeCallback on_change_;
  std::function<void(const Entry&)> on_entry_;
  ServerHealthSource server_health_;
};

}  // namespace synod::node
