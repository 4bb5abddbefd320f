// RaftCore: the implementation behind consensus::Raft (internal header).
// Split over several files by concern:
//   raft_core.cc        construction, roles, timers, term rules, Ready
//   raft_election.cc    campaigns, pre-vote, vote handling (§5.2, §9.6)
//   raft_replication.cc AppendEntries both ways, commitment, snapshots (§5.3, §5.4, §7)
//   raft_membership.cc  single-server changes, leadership transfer (§4, §3.10)
//   read_only.cc        ReadIndex and lease reads (dissertation §6.4)
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "consensus/progress.h"
#include "consensus/raft.h"
#include "consensus/raft_log.h"

namespace synod::consensus {

class RaftCore {
 public:
  RaftCore(const RaftConfig& config, const Storage& storage, Random& random, LogIndex applied);

  Status step(Message&& message);
  void tick();
  Result<LogIndex> propose(std::vector<std::string>& data);
  Result<LogIndex> propose_conf_change(const ConfChange& change);
  Status read_index(std::string context);
  Status transfer_leadership(NodeId target);
  Status campaign_now();

  [[nodiscard]] bool has_ready() const;
  Ready take_ready();
  void on_persisted(LogIndex index, Term term);
  void on_snapshot_persisted(LogIndex index);

  [[nodiscard]] bool should_snapshot(LogIndex applied) const;
  [[nodiscard]] Result<SnapshotMeta> snapshot_meta(LogIndex applied) const;

  [[nodiscard]] NodeId id() const { return cfg_.id; }
  [[nodiscard]] Role role() const { return role_; }
  [[nodiscard]] NodeId leader() const { return leader_; }
  [[nodiscard]] Term term() const { return term_; }
  [[nodiscard]] HardState hard_state() const { return {term_, vote_, log_.committed()}; }
  [[nodiscard]] const RaftLog& log() const { return log_; }
  [[nodiscard]] const ClusterConfig& config() const { return config_; }
  [[nodiscard]] std::vector<PeerStatus> peers() const;
  [[nodiscard]] bool caught_up(NodeId node) const;
  [[nodiscard]] NodeId transfer_target() const { return transferee_; }

 private:
  // --- roles and timers (raft_core.cc) ---
  void reset(Term term);
  void become_follower(Term term, NodeId leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset_randomized_timeout();
  void tick_election();
  void tick_heartbeat();
  [[nodiscard]] bool promotable() const { return config_.is_voter(cfg_.id); }
  [[nodiscard]] bool in_leader_lease() const;
  Status check_message(const Message& message) const;
  bool handle_term(Message& message);  // false: drop the message
  void send(Message message);
  [[nodiscard]] Status not_leader() const;

  // --- elections (raft_election.cc) ---
  void campaign(bool pre_vote, bool transfer);
  void handle_vote_request(const Message& message);
  void handle_vote_response(const Message& message);
  [[nodiscard]] std::size_t count_votes(bool granted) const;

  // --- replication (raft_replication.cc) ---
  void step_leader(Message&& message);
  void step_follower(Message&& message);
  void append_entries_as_leader(std::vector<std::string>& data, EntryType type);
  void broadcast_append();
  void flush_broadcast();
  bool send_append(NodeId to, Progress& progress, bool send_if_empty);
  void send_snapshot(NodeId to, Progress& progress);
  void send_snapshot_chunk(NodeId to, Progress& progress);
  void broadcast_heartbeat();
  void send_heartbeat(NodeId to, const Progress& progress);
  bool maybe_commit();
  void handle_append(Message&& message);
  void handle_heartbeat(const Message& message);
  void handle_snapshot(Message&& message);
  void handle_append_response(const Message& message);
  void handle_heartbeat_response(const Message& message);
  void handle_snapshot_response(const Message& message);
  Progress* progress_of(NodeId node);
  [[nodiscard]] LogIndex self_match() const { return log_.stable_index(); }

  // --- membership and transfer (raft_membership.cc) ---
  void load_configuration();
  void on_conf_entries_appended(const std::vector<Entry>& entries, LogIndex truncated_at);
  void apply_conf_entry(const Entry& entry);
  void set_config(ClusterConfig config);
  void rebuild_progress();
  [[nodiscard]] LogIndex last_config_index() const;
  [[nodiscard]] ClusterConfig config_at(LogIndex index) const;
  void maybe_step_down_after_removal();
  void maybe_send_timeout_now(NodeId to, const Progress& progress);
  void abort_transfer() { transferee_ = kNoNode; }

  // --- reads (read_only.cc) ---
  void handle_read_request(NodeId from, std::string context);
  void start_read_round();
  void handle_read_ack(NodeId from, const std::string& context);
  void release_reads(std::uint64_t round);
  void answer_read(NodeId from, LogIndex index, std::string context);
  void promote_waiting_reads();
  void clear_reads();

  RaftConfig cfg_;
  const Storage& storage_;
  Random& random_;
  RaftLog log_;

  Term term_;
  NodeId vote_;
  NodeId leader_;
  Role role_ = Role::kFollower;

  // Membership (single-server changes, append-time semantics, dissertation
  // §4.1): config_ is the latest configuration in the log, committed or not.
  ClusterConfig config_;
  SnapshotMeta base_;  // configuration as of the snapshot the log starts at
  ClusterConfig base_config_;
  std::vector<std::pair<LogIndex, ClusterConfig>> config_entries_;  // after base_

  std::map<NodeId, Progress> progress_;  // leader only: every member but self
  std::map<NodeId, bool> votes_;
  LogIndex leader_start_index_;  // the leader's no-op entry (§8)
  bool broadcast_pending_ = false;

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_timeout_ = 0;
  NodeId transferee_;

  // A snapshot being received in chunks from the leader.
  std::optional<Snapshot> incoming_snapshot_;

  // ReadIndex state (leader).
  struct PendingRead {
    NodeId from;
    std::string context;
    LogIndex index;
    std::uint64_t round = 0;  // 0: waiting for the next heartbeat round
  };
  std::deque<PendingRead> reads_waiting_commit_;
  std::deque<PendingRead> reads_;
  std::uint64_t next_read_round_ = 1;
  std::uint64_t read_round_in_flight_ = 0;
  std::map<NodeId, bool> read_acks_;

  std::vector<Message> messages_;
  std::vector<Message> messages_after_persist_;
  std::vector<ReadState> read_states_;
  SoftState last_soft_;
  HardState last_hard_;
};

}  // namespace synod::consensus
