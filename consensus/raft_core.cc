// Construction, roles, timers, the term rules every message goes through, and
// the Ready hand-off.
#include "consensus/raft_core.h"

#include <algorithm>
#include <limits>

#include "consensus/message_codec.h"

namespace synod::consensus {

RaftCore::RaftCore(const RaftConfig& config, const Storage& storage, Random& random,
                   LogIndex applied)
    : cfg_(config), storage_(storage), random_(random), log_(storage) {
  const HardState hs = storage.hard_state();
  term_ = hs.term;
  vote_ = hs.vote;
  if (applied > log_.applied()) log_.set_applied(std::min(applied, log_.committed()));
  load_configuration();
  become_follower(term_, kNoNode);
  last_hard_ = hard_state();
  last_soft_ = SoftState{role_, leader_};
}

void RaftCore::reset(Term term) {
  if (term != term_) {
    term_ = term;
    vote_ = kNoNode;
  }
  leader_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_timeout();
  votes_.clear();
  transferee_ = kNoNode;
  progress_.clear();
  broadcast_pending_ = false;
  clear_reads();
}

void RaftCore::reset_randomized_timeout() {
  // §5.2: "election timeouts are chosen randomly from a fixed interval" so
  // that usually a single server times out first and wins before the others.
  const auto base = static_cast<std::uint64_t>(cfg_.election_tick);
  randomized_timeout_ = static_cast<int>(random_.uniform(base, 2 * base - 1));
}

void RaftCore::become_follower(Term term, NodeId leader) {
  reset(term);
  role_ = Role::kFollower;
  leader_ = leader;
}

void RaftCore::become_pre_candidate() {
  // The pre-candidate keeps its term and vote: nothing durable changes until
  // a quorum said it could win (dissertation §9.6).
  votes_.clear();
  progress_.clear();
  clear_reads();
  role_ = Role::kPreCandidate;
  leader_ = kNoNode;
  reset_randomized_timeout();
}

void RaftCore::become_candidate() {
  reset(term_.next());
  vote_ = cfg_.id;
  role_ = Role::kCandidate;
}

void RaftCore::become_leader() {
  const Term term = term_;
  reset(term);
  role_ = Role::kLeader;
  leader_ = cfg_.id;
  rebuild_progress();
  // §8 / §5.4.2: a leader cannot know which earlier entries are committed
  // until it commits one of its own term, so it appends a no-op at once.
  // Membership changes and reads wait for it (see propose_conf_change and
  // read_only.cc): the single-server change fix and ReadIndex step 1.
  Entry noop{term_, log_.last_index().next(), EntryType::kNoop, {}};
  leader_start_index_ = noop.index;
  log_.append(std::move(noop));
  broadcast_append();
  // A single-voter cluster commits as soon as the no-op is durable.
  maybe_commit();
}

void RaftCore::tick() {
  if (role_ == Role::kLeader) {
    tick_heartbeat();
  } else {
    tick_election();
  }
}

void RaftCore::tick_election() {
  ++election_elapsed_;
  if (promotable() && election_elapsed_ >= randomized_timeout_) {
    election_elapsed_ = 0;
    campaign(cfg_.pre_vote, /*transfer=*/false);
  }
}

void RaftCore::tick_heartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= cfg_.election_tick) {
    election_elapsed_ = 0;
    if (cfg_.check_quorum) {
      // §6.2 / dissertation §3.6: a leader that has not heard from a quorum
      // in an election timeout steps down, so clients stuck with a
      // partitioned leader fail over and lease reads stay safe.
      std::size_t active = config_.is_voter(cfg_.id) ? 1 : 0;
      for (auto& [node, pr] : progress_) {
        if (config_.is_voter(node) && pr.recent_active) ++active;
        pr.recent_active = false;
      }
      if (active < config_.quorum()) {
        become_follower(term_, kNoNode);
        return;
      }
    }
    // A transfer that did not finish within an election timeout is dropped
    // so the leader accepts proposals again (dissertation §3.10).
    abort_transfer();
  }
  if (heartbeat_elapsed_ >= cfg_.heartbeat_tick) {
    heartbeat_elapsed_ = 0;
    broadcast_heartbeat();
  }
  // Retransmit snapshot chunks that got no answer (lost messages).
  const int resend_after = std::max(2, cfg_.election_tick / 2);
  for (auto& [node, pr] : progress_) {
    if (pr.state == ProgressState::kSnapshot && ++pr.snapshot_idle_ticks >= resend_after) {
      pr.snapshot_idle_ticks = 0;
      send_snapshot_chunk(node, pr);
    }
  }
}

bool RaftCore::in_leader_lease() const {
  // Dissertation §4.2.3: a server that heard from a current leader within
  // the minimum election timeout does not let a candidate disrupt it.
  return cfg_.check_quorum && leader_ != kNoNode && election_elapsed_ < cfg_.election_tick;
}

Status RaftCore::check_message(const Message& m) const {
  if (m.to != cfg_.id) return invalid_argument("raft: message for node " + m.to.to_string());
  if (m.from == kNoNode || m.from == cfg_.id) {
    return invalid_argument("raft: bad sender " + m.from.to_string());
  }
  if (m.type == MessageType::kAppend) {
    LogIndex expect = m.index.next();
    for (const Entry& e : m.entries) {
      if (e.index != expect || e.term > m.term) {
        return invalid_argument("raft: append entries not consecutive after prev index");
      }
      expect = expect.next();
    }
  }
  return Status::ok();
}

bool RaftCore::handle_term(Message& m) {
  const bool local = m.type == MessageType::kPropose || m.type == MessageType::kReadIndex ||
                     m.type == MessageType::kReadIndexResponse;
  if (local || m.term == term_) return true;
  const bool vote_request = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
  if (m.term > term_) {
    if (vote_request && m.context != kCampaignTransfer && in_leader_lease()) {
      return false;  // a disruptive server; ignore without adopting its term
    }
    if (m.type == MessageType::kPreVote) return true;  // never changes our term
    if (m.type == MessageType::kPreVoteResponse && !m.reject) return true;  // our future term
    // Figure 2, "Rules for All Servers": a higher term makes us a follower.
    const bool from_leader = m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat ||
                             m.type == MessageType::kSnapshot;
    become_follower(m.term, from_leader ? m.from : kNoNode);
    return true;
  }
  // m.term < term_: stale.
  if ((cfg_.check_quorum || cfg_.pre_vote) &&
      (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat)) {
    // A leader cut off by a partition never learns the new term from votes
    // (check-quorum/pre-vote keep them away), so tell it directly.
    Message reply{.type = MessageType::kAppendResponse, .to = m.from, .term = term_};
    send(std::move(reply));
  } else if (m.type == MessageType::kPreVote) {
    send(Message{
        .type = MessageType::kPreVoteResponse, .to = m.from, .term = term_, .reject = true});
  }
  return false;
}

Status RaftCore::step(Message&& m) {
  SYNOD_RETURN_IF_ERROR(check_message(m));
  if (!handle_term(m)) return Status::ok();
  switch (m.type) {
    case MessageType::kVote:
    case MessageType::kPreVote:
      handle_vote_request(m);
      return Status::ok();
    case MessageType::kVoteResponse:
    case MessageType::kPreVoteResponse:
      handle_vote_response(m);
      return Status::ok();
    default:
      break;
  }
  if (role_ == Role::kLeader) {
    step_leader(std::move(m));
  } else {
    step_follower(std::move(m));
  }
  return Status::ok();
}

void RaftCore::send(Message m) {
  m.from = cfg_.id;
  // The Ready contract: only what a leader sends may leave before this
  // node's pending writes are durable; everything else waits (raft.h).
  if (role_ == Role::kLeader &&
      (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat ||
       m.type == MessageType::kSnapshot || m.type == MessageType::kTimeoutNow ||
       m.type == MessageType::kReadIndexResponse)) {
    messages_.push_back(std::move(m));
  } else {
    messages_after_persist_.push_back(std::move(m));
  }
}

Status RaftCore::not_leader() const {
  return Status(StatusCode::kNotLeader, "not leader; leader=" + leader_.to_string());
}

Result<LogIndex> RaftCore::propose(std::vector<std::string>& data) {
  if (data.empty()) return invalid_argument("propose: no data");
  if (role_ != Role::kLeader) {
    if (leader_ == kNoNode || !cfg_.forward_proposals) return not_leader();
    Message m{.type = MessageType::kPropose, .to = leader_};
    m.entries.reserve(data.size());
    for (std::string& d : data)
      m.entries.push_back(Entry{Term(0), kNoIndex, EntryType::kNormal, std::move(d)});
    send(std::move(m));
    return kNoIndex;
  }
  if (transferee_ != kNoNode) {
    return unavailable("leadership transfer to " + transferee_.to_string() + " in progress");
  }
  append_entries_as_leader(data, EntryType::kNormal);
  return log_.last_index();
}

Status RaftCore::campaign_now() {
  if (role_ == Role::kLeader) return Status::ok();
  if (!promotable()) return failed_precondition("campaign: not a voter");
  campaign(cfg_.pre_vote, false);
  return Status::ok();
}

bool RaftCore::has_ready() const {
  return broadcast_pending_ || SoftState{role_, leader_} != last_soft_ ||
         hard_state() != last_hard_ || log_.has_snapshot_to_hand_out() ||
         log_.has_entries_to_hand_out() || !messages_.empty() || !messages_after_persist_.empty() ||
         (log_.has_committed_to_hand_out() && !log_.pending_snapshot_index()) ||
         !read_states_.empty();
}

Ready RaftCore::take_ready() {
  flush_broadcast();
  Ready rd;
  SoftState soft{role_, leader_};
  if (soft != last_soft_) rd.soft_state = last_soft_ = soft;
  HardState hard = hard_state();
  if (hard != last_hard_) rd.hard_state = last_hard_ = hard;
  if (log_.has_snapshot_to_hand_out()) rd.snapshot = log_.hand_out_snapshot();
  if (log_.has_entries_to_hand_out()) rd.entries = log_.hand_out_entries();
  // Entries after a received snapshot are applied only once the snapshot is
  // durable and restored (the state machine must not run ahead of it).
  if (!log_.pending_snapshot_index()) {
    rd.committed_entries = log_.hand_out_committed(cfg_.max_committed_bytes_per_ready);
  }
  rd.messages = std::move(messages_);
  rd.messages_after_persist = std::move(messages_after_persist_);
  rd.read_states = std::move(read_states_);
  messages_.clear();
  messages_after_persist_.clear();
  read_states_.clear();
  return rd;
}

void RaftCore::on_persisted(LogIndex index, Term term) {
  if (!log_.stable_to(index, term)) return;
  // The leader's own copy now counts toward a quorum (raft.h step 5).
  if (role_ == Role::kLeader && maybe_commit()) broadcast_append();
}

void RaftCore::on_snapshot_persisted(LogIndex index) { log_.snapshot_stable(index); }

bool RaftCore::should_snapshot(LogIndex applied) const {
  if (cfg_.snapshot_entries == 0) return false;
  const LogIndex snapshot = storage_.snapshot_meta().index;
  return applied > snapshot && applied - snapshot >= cfg_.snapshot_entries;
}

Result<SnapshotMeta> RaftCore::snapshot_meta(LogIndex applied) const {
  if (applied > log_.applied()) {
    return out_of_range("snapshot_meta: index " + applied.to_string() + " not applied yet");
  }
  auto term = log_.term(applied);
  if (!term) return out_of_range("snapshot_meta: index " + applied.to_string() + " compacted");
  return SnapshotMeta{applied, *term, encode_config(config_at(applied))};
}

std::vector<PeerStatus> RaftCore::peers() const {
  std::vector<PeerStatus> out;
  for (const auto& [node, pr] : progress_) {
    out.push_back(PeerStatus{node, config_.is_voter(node), pr.match, pr.next, pr.state,
                             pr.recent_active, pr.inflights.count()});
  }
  return out;
}

bool RaftCore::caught_up(NodeId node) const {
  auto it = progress_.find(node);
  if (role_ != Role::kLeader || it == progress_.end()) return false;
  return it->second.match + cfg_.catch_up_entries >= log_.last_index();
}

}  // namespace synod::consensus
