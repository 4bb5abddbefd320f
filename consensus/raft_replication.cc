// Log replication (§5.3), commitment (§5.4.2) and snapshot transfer (§7):
// the leader side first, then the follower side.
#include <algorithm>

#include "consensus/message_codec.h"
#include "consensus/raft_core.h"

namespace synod::consensus {

// ----------------------------------------------------------------- leader --

void RaftCore::append_entries_as_leader(std::vector<std::string>& data, EntryType type) {
  LogIndex index = log_.last_index();
  for (std::string& d : data) {
    index = index.next();
    log_.append(Entry{term_, index, type, std::move(d)});
  }
  broadcast_append();
  // A single-voter leader commits once its own write is durable; with more
  // voters the followers' answers drive maybe_commit().
}

void RaftCore::broadcast_append() {
  // Deferred to take_ready(): every proposal between two Readys then travels
  // in one AppendEntries per follower (batching).
  broadcast_pending_ = true;
}

void RaftCore::flush_broadcast() {
  if (!broadcast_pending_) return;
  broadcast_pending_ = false;
  if (role_ != Role::kLeader) return;
  for (auto& [node, pr] : progress_) {
    // The first message goes even if empty so followers learn the commit
    // index; in replicate state keep filling the window (pipelining).
    bool sent = send_append(node, pr, /*send_if_empty=*/true);
    while (sent && pr.state == ProgressState::kReplicate && pr.next <= log_.last_index()) {
      sent = send_append(node, pr, false);
    }
  }
}

Progress* RaftCore::progress_of(NodeId node) {
  auto it = progress_.find(node);
  return it == progress_.end() ? nullptr : &it->second;
}

bool RaftCore::send_append(NodeId to, Progress& pr, bool send_if_empty) {
  if (pr.paused()) return false;
  const LogIndex prev = pr.next.prev();
  const std::optional<Term> prev_term = log_.term(prev);
  Result<std::vector<Entry>> entries =
      log_.slice(pr.next, log_.last_index().next(), cfg_.max_append_bytes);
  if (!prev_term || !entries.is_ok()) {
    // What the follower needs was compacted away: §7 InstallSnapshot.
    send_snapshot(to, pr);
    return false;
  }
  if (entries->empty() && !send_if_empty) return false;
  Message m{.type = MessageType::kAppend,
            .to = to,
            .term = term_,
            .log_term = *prev_term,
            .index = prev,
            .entries = std::move(entries).value(),
            .commit = log_.committed()};
  std::uint64_t bytes = 0;
  for (const Entry& e : m.entries) bytes += e.byte_size();
  const LogIndex last = m.entries.empty() ? prev : m.entries.back().index;
  pr.sent(last, bytes, !m.entries.empty());
  send(std::move(m));
  return true;
}

void RaftCore::send_snapshot(NodeId to, Progress& pr) {
  auto snapshot = storage_.snapshot();
  if (!snapshot.is_ok() || snapshot->empty()) return;  // storage not ready: retry later
  pr.become_snapshot(std::make_shared<const Snapshot>(std::move(snapshot).value()));
  send_snapshot_chunk(to, pr);
}

void RaftCore::send_snapshot_chunk(NodeId to, Progress& pr) {
  // Bounded chunks (§7's "offset"/"done" fields) so a large snapshot never
  // becomes one huge frame and a lost chunk costs one resend.
  const Snapshot& snap = *pr.snapshot;
  const std::uint64_t offset = std::min<std::uint64_t>(pr.snapshot_acked, snap.data.size());
  const std::uint64_t chunk = std::max<std::uint64_t>(cfg_.snapshot_chunk_bytes, 1);
  Message m{.type = MessageType::kSnapshot,
            .to = to,
            .term = term_,
            .snapshot = snap.meta,
            .snapshot_offset = offset};
  m.snapshot_data = snap.data.substr(offset, chunk);
  m.snapshot_done = offset + m.snapshot_data.size() >= snap.data.size();
  send(std::move(m));
}

void RaftCore::send_heartbeat(NodeId to, const Progress& pr) {
  // Never claim a commit index past what the follower is known to hold: it
  // may have a divergent suffix it has not yet been told to discard.
  Message m{.type = MessageType::kHeartbeat,
            .to = to,
            .term = term_,
            .commit = std::min(pr.match, log_.committed())};
  if (read_round_in_flight_ != 0) m.context = std::to_string(read_round_in_flight_);
  send(std::move(m));
}

void RaftCore::broadcast_heartbeat() {
  for (const auto& [node, pr] : progress_) send_heartbeat(node, pr);
}

bool RaftCore::maybe_commit() {
  // §5.4.2 / Figure 8: the commit index moves to N only if a majority of
  // voters hold N AND entry N has the current term; earlier entries are then
  // committed indirectly by the Log Matching Property.
  std::vector<LogIndex> matches;
  matches.reserve(config_.voters.size());
  for (NodeId voter : config_.voters) {
    if (voter == cfg_.id) {
      matches.push_back(self_match());
    } else if (const Progress* pr = progress_of(voter)) {
      matches.push_back(pr->match);
    } else {
      matches.push_back(kNoIndex);
    }
  }
  if (matches.empty()) return false;
  std::sort(matches.begin(), matches.end(), std::greater<>());
  const LogIndex candidate = matches[config_.quorum() - 1];
  if (candidate <= log_.committed() || log_.term(candidate) != term_) return false;
  log_.commit_to(candidate);
  promote_waiting_reads();
  maybe_step_down_after_removal();
  return true;
}

void RaftCore::step_leader(Message&& m) {
  switch (m.type) {
    case MessageType::kAppendResponse:
      handle_append_response(m);
      return;
    case MessageType::kHeartbeatResponse:
      handle_heartbeat_response(m);
      return;
    case MessageType::kSnapshotResponse:
      handle_snapshot_response(m);
      return;
    case MessageType::kPropose: {
      // A proposal forwarded by a follower (never re-forwarded, so two nodes
      // that each believe the other leads cannot bounce it forever).
      if (transferee_ != kNoNode || m.entries.empty()) return;
      std::vector<std::string> data;
      data.reserve(m.entries.size());
      for (Entry& e : m.entries) data.push_back(std::move(e.data));
      append_entries_as_leader(data, EntryType::kNormal);
      return;
    }
    case MessageType::kReadIndex:
      handle_read_request(m.from, std::move(m.context));
      return;
    default:
      return;  // e.g. a kAppend from the same term cannot happen (§5.2)
  }
}

void RaftCore::handle_append_response(const Message& m) {
  Progress* pr = progress_of(m.from);
  if (pr == nullptr) return;
  pr->recent_active = true;
  if (m.reject) {
    // Fast backtracking (§5.3, "the protocol can be optimized"): the
    // follower named the last index whose term is <= the term we sent;
    // skip back over our own entries with a larger term too, so each round
    // trip crosses one whole term of divergence instead of one entry.
    LogIndex next_probe = std::min(m.hint_index, log_.last_index());
    if (m.hint_term > Term(0))
      next_probe = log_.find_conflict_by_term(m.hint_index, m.hint_term).first;
    if (pr->decrease_to(m.index, next_probe)) {
      if (pr->state == ProgressState::kReplicate) pr->become_probe();
      send_append(m.from, *pr, true);
    }
    return;
  }
  if (m.index > log_.last_index()) return;  // acknowledges entries we never sent
  const bool was_paused = pr->paused();
  if (!pr->update(m.index)) {
    if (was_paused && !pr->paused()) send_append(m.from, *pr, false);
    return;
  }
  switch (pr->state) {
    case ProgressState::kProbe:
      pr->become_replicate();
      break;
    case ProgressState::kSnapshot:
      if (pr->match >= pr->snapshot->meta.index) pr->become_probe();
      break;
    case ProgressState::kReplicate:
      pr->inflights.free_to(m.index);
      break;
  }
  if (maybe_commit()) {
    broadcast_append();  // tell everyone the new commit index
  }
  // Keep the pipeline full.
  while (pr->next <= log_.last_index() && send_append(m.from, *pr, false)) {
  }
  if (m.from == transferee_) maybe_send_timeout_now(m.from, *pr);
}

void RaftCore::handle_heartbeat_response(const Message& m) {
  Progress* pr = progress_of(m.from);
  if (pr == nullptr) return;
  pr->recent_active = true;
  if (pr->state == ProgressState::kProbe) pr->probe_sent = false;  // retry a lost probe
  // A full window that gets no acks means messages were lost: fall back to
  // probing from the last confirmed match.
  if (pr->state == ProgressState::kReplicate && pr->inflights.full()) pr->become_probe();
  if (pr->match < log_.last_index()) send_append(m.from, *pr, true);
  if (!m.context.empty()) handle_read_ack(m.from, m.context);
}

void RaftCore::handle_snapshot_response(const Message& m) {
  Progress* pr = progress_of(m.from);
  if (pr == nullptr) return;
  pr->recent_active = true;
  if (pr->state != ProgressState::kSnapshot || pr->snapshot->meta.index != m.index) {
    // An answer for an older transfer; if it says installed, take the match.
    if (m.snapshot_done && !m.reject && pr->update(m.index) && pr->state == ProgressState::kProbe) {
      send_append(m.from, *pr, true);
    }
    return;
  }
  pr->snapshot_idle_ticks = 0;
  if (m.reject) {
    pr->snapshot_acked = 0;  // the follower lost the partial transfer: restart
    send_snapshot_chunk(m.from, *pr);
    return;
  }
  if (m.snapshot_done) {
    pr->update(m.index);
    pr->become_probe();
    send_append(m.from, *pr, true);
    return;
  }
  if (m.snapshot_offset > pr->snapshot_acked) {
    pr->snapshot_acked = m.snapshot_offset;
    send_snapshot_chunk(m.from, *pr);
  }
}

// --------------------------------------------------------------- follower --

void RaftCore::step_follower(Message&& m) {
  switch (m.type) {
    case MessageType::kAppend:
    case MessageType::kHeartbeat:
    case MessageType::kSnapshot:
      // A candidate hearing from a leader of its term steps down (§5.2).
      if (role_ != Role::kFollower) become_follower(term_, m.from);
      election_elapsed_ = 0;
      leader_ = m.from;
      if (m.type == MessageType::kAppend) {
        handle_append(std::move(m));
      } else if (m.type == MessageType::kHeartbeat) {
        handle_heartbeat(m);
      } else {
        handle_snapshot(std::move(m));
      }
      return;
    case MessageType::kTimeoutNow:
      // Dissertation §3.10: the leader picked us; campaign at once, skipping
      // pre-vote and the lease check (the old leader asked for it).
      if (promotable()) campaign(false, /*transfer=*/true);
      return;
    case MessageType::kPropose:
      return;  // we are not the leader; see step_leader for why no re-forward
    case MessageType::kReadIndex:
      return;
    case MessageType::kReadIndexResponse:
      if (!m.reject) read_states_.push_back(ReadState{m.index, std::move(m.context)});
      return;
    default:
      return;
  }
}

void RaftCore::handle_append(Message&& m) {
  Message reply{.type = MessageType::kAppendResponse, .to = m.from, .term = term_};
  if (m.index < log_.committed()) {
    // Everything up to our commit index is already settled (Leader
    // Completeness); just report where we are.
    reply.index = log_.committed();
    send(std::move(reply));
    return;
  }
  if (!log_.matches(m.index, m.log_term)) {
    // §5.3 consistency check failed. The hint lets the leader skip a whole
    // term per round trip: our last index whose term is <= the leader's
    // prevLogTerm.
    auto [hint_index, hint_term] =
        log_.find_conflict_by_term(std::min(m.index, log_.last_index()), m.log_term);
    reply.index = m.index;
    reply.reject = true;
    reply.hint_index = hint_index;
    reply.hint_term = hint_term;
    send(std::move(reply));
    return;
  }
  const LogIndex last_new = m.index + m.entries.size();
  std::vector<Entry> conf_entries;
  for (const Entry& e : m.entries) {
    if (e.type == EntryType::kConfChange) conf_entries.push_back(e);
  }
  const LogIndex truncated = log_.merge(std::move(m.entries));
  on_conf_entries_appended(conf_entries, truncated);
  // Figure 2: commitIndex = min(leaderCommit, index of last new entry).
  log_.commit_to(std::min(m.commit, last_new));
  reply.index = last_new;
  send(std::move(reply));
}

void RaftCore::handle_heartbeat(const Message& m) {
  log_.commit_to(m.commit);
  send(Message{
      .type = MessageType::kHeartbeatResponse, .to = m.from, .term = term_, .context = m.context});
}

void RaftCore::handle_snapshot(Message&& m) {
  Message reply{.type = MessageType::kSnapshotResponse,
                .to = m.from,
                .term = term_,
                .index = m.snapshot.index};
  const SnapshotMeta& meta = m.snapshot;
  if (meta.index <= log_.committed() || log_.matches(meta.index, meta.term)) {
    // We already hold everything the snapshot covers (a late duplicate, or
    // our log agrees at its last entry, §7): no need to install it.
    log_.commit_to(meta.index);
    incoming_snapshot_.reset();
    reply.index = std::max(meta.index, log_.committed());
    reply.snapshot_done = true;
    send(std::move(reply));
    return;
  }
  if (m.snapshot_offset == 0) incoming_snapshot_ = Snapshot{meta, {}};
  if (!incoming_snapshot_ || incoming_snapshot_->meta != meta ||
      m.snapshot_offset > incoming_snapshot_->data.size()) {
    incoming_snapshot_.reset();
    reply.reject = true;  // restart the transfer from offset 0
    send(std::move(reply));
    return;
  }
  std::string& data = incoming_snapshot_->data;
  if (m.snapshot_offset == data.size()) {
    data.append(m.snapshot_data);
  }  // else: a duplicate of a chunk we hold; just report our position
  if (m.snapshot_done && m.snapshot_offset + m.snapshot_data.size() == data.size()) {
    auto config = decode_config(meta.configuration);
    if (!config.is_ok()) {
      incoming_snapshot_.reset();
      reply.reject = true;
      send(std::move(reply));
      return;
    }
    Snapshot snapshot = std::move(*incoming_snapshot_);
    incoming_snapshot_.reset();
    base_ = snapshot.meta;
    base_config_ = *config;
    config_entries_.clear();
    set_config(*config);
    log_.restore(std::move(snapshot));
    reply.snapshot_done = true;
    reply.snapshot_offset = m.snapshot_offset + m.snapshot_data.size();
  } else {
    reply.snapshot_offset = data.size();
  }
  send(std::move(reply));
}

}  // namespace synod::consensus
