// Raft: the pure consensus core (DESIGN.md, "The consensus core is pure").
//
// It does no I/O, owns no thread, reads no clock (time is the number of
// tick() calls) and draws randomness only from the injected Random, so the
// simulator can replay any run from a seed. It is driven by step(), tick(),
// propose(), read_index(), transfer_leadership() and propose_conf_change(),
// and drained through Ready.
//
// ---------------------------------------------------------------------------
// THE READY CONTRACT (what the node loop / simulator must do)
//
// Loop: while (raft.has_ready()) { Ready rd = raft.take_ready(); handle(rd); }
// Readys must be handled in the order they were taken. For each one:
//
//  1. rd.messages may be sent at once, before anything is persisted. The core
//     only puts messages here that a leader sends (AppendEntries, heartbeats,
//     snapshots, TimeoutNow, read-index replies): they depend on nothing but
//     the leader's term, which was durable before it could win its election.
//     This is what lets the leader replicate while its own fsync runs
//     (LogCabin, etcd; Raft dissertation §10.2.1).
//  2. Persist, in this order: rd.snapshot (if set: store it and restore the
//     state machine from it), rd.entries (append; entries.front().index may
//     be <= the stored last index, in which case the stored suffix from that
//     index on is discarded first), rd.hard_state (if set). All three must be
//     durable (fsynced) before step 3.
//  3. Send rd.messages_after_persist. These (vote requests and grants, append
//     and snapshot acknowledgements, ...) promise the receiver that the term,
//     vote or entries they mention are durable here (Figure 2 "Persistent
//     state ... updated on stable storage before responding to RPCs").
//  4. Apply rd.committed_entries to the state machine in order (only after
//     this Ready's and every earlier Ready's persistence completed). Serve
//     reads in rd.read_states once the state machine applied their index.
//  5. Call raft.advance(rd) (or on_persisted() with the last durable entry),
//     after which the storage view must contain what was persisted. The
//     leader counts its OWN log toward commitment only from this point: its
//     match index advances when its write is durable, not when it is issued.
//
// take_ready() may be called again before the previous Ready was advanced
// (pipelined persistence); each Ready carries only what is new since the last
// one. Nothing in a Ready is ever handed out twice.
// ---------------------------------------------------------------------------
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/raft_types.h"
#include "common/random.h"
#include "common/status.h"
#include "consensus/message.h"
#include "consensus/storage.h"
#include "consensus/types.h"

namespace synod::consensus {

struct RaftConfig {
  NodeId id;
  // Election timeout is drawn uniformly from [election_tick, 2*election_tick)
  // on every reset (§5.2: randomized timeouts make split votes rare).
  int election_tick = 10;
  // A leader sends heartbeats every heartbeat_tick ticks (< election_tick).
  int heartbeat_tick = 1;
  // Run a pre-vote round before a real election (dissertation §9.6), so a
  // partitioned node rejoining does not bump everyone's term.
  bool pre_vote = true;
  // Leader steps down if it did not hear from a quorum within an election
  // timeout; voters that heard from a leader within the minimum election
  // timeout refuse (pre-)votes (dissertation §6.2 / §4.2.3).
  bool check_quorum = true;
  // Serve ReadIndex from the leader lease without a heartbeat round (needs
  // check_quorum and bounded clock drift; dissertation §6.4.1). Off = safe.
  bool lease_read = false;
  // A follower-side propose() is forwarded to the leader as a kPropose
  // message; when false, or with no known leader, it fails with NotLeader.
  bool forward_proposals = true;
  // Upper bound on the bytes of entries in one AppendEntries.
  std::uint64_t max_append_bytes = 1 << 20;
  // Flow control per follower in replicate state (§10.2.1 pipelining).
  std::uint32_t max_inflight_messages = 256;
  std::uint64_t max_inflight_bytes = 0;  // 0 = unlimited
  // Upper bound on the bytes of committed_entries in one Ready (the rest
  // follows in the next Ready), so a restart over a long log or a follower
  // catching up never materialises the whole log at once.
  std::uint64_t max_committed_bytes_per_ready = 64 << 20;
  // InstallSnapshot chunk size (§7).
  std::uint64_t snapshot_chunk_bytes = 1 << 20;
  // should_snapshot() becomes true once this many applied entries are in the
  // log after the last snapshot (0 = never).
  std::uint64_t snapshot_entries = 10000;
  // A learner is promoted by the node only once its match index is within
  // this many entries of the leader's last index (see caught_up()).
  std::uint64_t catch_up_entries = 1000;
};

// Replication state of one follower as the leader sees it (etcd's Progress).
enum class ProgressState : std::uint8_t {
  kProbe,      // one AppendEntries at a time until the match point is found
  kReplicate,  // pipelining optimistically, bounded by the in-flight window
  kSnapshot,   // an InstallSnapshot transfer is under way
};
const char* progress_state_name(ProgressState state);

struct PeerStatus {
  NodeId id;
  bool voter = false;
  LogIndex match;
  LogIndex next;
  ProgressState state = ProgressState::kProbe;
  bool recent_active = false;
  std::uint32_t inflight_messages = 0;
};

struct Ready {
  std::optional<SoftState> soft_state;          // set when role or leader changed
  std::optional<HardState> hard_state;          // persist (step 2) when set
  std::optional<Snapshot> snapshot;             // persist + restore (step 2) when set
  std::vector<Entry> entries;                   // append (step 2)
  std::vector<Message> messages;                // send now (step 1)
  std::vector<Message> messages_after_persist;  // send after step 2 (step 3)
  // apply (step 4). Includes kNoop and kConfChange entries: the core has
  // already switched to a conf change's configuration when it was appended;
  // the node only updates what it keeps beside (peer addresses from
  // decode_conf_change(entry.data).context).
  std::vector<Entry> committed_entries;
  std::vector<ReadState> read_states;  // serve (step 4)
  [[nodiscard]] bool empty() const;
};

class Raft {
 public:
  // Restores from storage: hard state, snapshot configuration, and the
  // configuration changes in every stored entry after the snapshot
  // (committed or not: a configuration counts once appended, see
  // docs/raft.md). `applied` is the
  // index the state machine has already applied (0 = the snapshot index);
  // committed entries after it are handed out again in Ready.
  // `storage` and `random` must outlive the Raft.
  Raft(const RaftConfig& config, const Storage& storage, Random& random,
       LogIndex applied = kNoIndex);
  ~Raft();
  Raft(const Raft&) = delete;
  Raft& operator=(const Raft&) = delete;

  // Feeds one message from a peer. A message from an older term is ignored
  // (OK); a malformed one (e.g. wrong recipient) gives InvalidArgument.
  Status step(const Message& message);
  Status step(Message&& message);
  // Advances logical time by one tick (election and heartbeat timers).
  void tick();

  // Appends a client command. Leader: returns its log index. Follower with a
  // known leader and forward_proposals: forwards it and returns kNoIndex.
  // Otherwise NotLeader; the message is "leader=<id>" (0 = unknown).
  Result<LogIndex> propose(std::string data);
  // Appends many commands at once (one batch, one Ready); returns the index
  // of the last one. Leader only (NotLeader otherwise). `data` is moved from.
  Result<LogIndex> propose_batch(std::vector<std::string>& data);
  // Proposes a membership change (single-server, see docs/raft.md). Leader
  // only. FailedPrecondition while another change is uncommitted or before
  // the leader committed an entry of its own term (Ongaro's fix for the
  // single-server change bug); InvalidArgument for a nonsense change.
  Result<LogIndex> propose_conf_change(const ConfChange& change);
  // Requests a linearizable read point (dissertation §6.4). The ReadState
  // with this context appears in a later Ready once safe. NotLeader if there
  // is no known leader. A new leader queues reads until it has committed an
  // entry of its term. Reads pending when leadership is lost are dropped
  // (the caller times out and retries), as are follower requests the leader
  // never answers.
  Status read_index(std::string context);
  // Leader: catches `target` up then sends TimeoutNow (§3.10). New proposals
  // are refused (Unavailable) until the transfer ends or times out after an
  // election timeout.
  Status transfer_leadership(NodeId target);
  // Starts an election now (tests, and a node bootstrapping alone).
  Status campaign();

  // --- Ready ---
  [[nodiscard]] bool has_ready() const;
  Ready take_ready();
  // The whole Ready is durable and in storage (step 5 of the contract).
  void advance(const Ready& ready);
  // Finer grained: the log is durable up to (index, term) (ignored if the
  // entry at index now has another term).
  void on_persisted(LogIndex index, Term term);
  // A received snapshot with this index is durable and restored.
  void on_snapshot_persisted(LogIndex index);

  // --- snapshots / compaction ---
  // True once the applied log after the last snapshot holds at least
  // config.snapshot_entries entries: take StateMachine::snapshot() and
  // store it with snapshot_meta(applied) (MemoryStorage::create_snapshot).
  [[nodiscard]] bool should_snapshot(LogIndex applied) const;
  // Meta for a snapshot of the state machine at `applied` (<= the last index
  // handed out in committed_entries): its term and the config at that point.
  [[nodiscard]] Result<SnapshotMeta> snapshot_meta(LogIndex applied) const;

  // --- observation ---
  [[nodiscard]] NodeId id() const;
  [[nodiscard]] Role role() const;
  [[nodiscard]] NodeId leader() const;
  [[nodiscard]] Term term() const;
  [[nodiscard]] HardState hard_state() const;
  [[nodiscard]] LogIndex commit_index() const;
  [[nodiscard]] LogIndex applied_index() const;  // last handed out committed
  [[nodiscard]] LogIndex last_index() const;
  [[nodiscard]] const ClusterConfig& config() const;
  // Leader only (empty otherwise): replication state of every other member.
  [[nodiscard]] std::vector<PeerStatus> peers() const;
  // Leader only: is `node`'s log within config.catch_up_entries of ours?
  [[nodiscard]] bool caught_up(NodeId node) const;
  // Leadership transfer target in progress (kNoNode if none).
  [[nodiscard]] NodeId transfer_target() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace synod::consensus
