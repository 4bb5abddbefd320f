// Membership changes and leadership transfer.
//
// synod uses single-server changes (dissertation §4.1), not joint consensus:
// any two configurations that differ by one voter have overlapping
// majorities, so no two leaders can be elected for the same term even while
// servers disagree about which of the two is current. A configuration takes
// effect as soon as its entry is in a server's log (committed or not), and
// is rolled back if that entry is truncated. Two rules keep it safe:
//  1. At most one change is uncommitted at a time (the next one must wait).
//  2. Ongaro's fix for the single-server bug (raft-dev, July 2015): a leader
//     proposes a change only after committing an entry of its own term
//     (the no-op of §8), so a change from a deposed leader's term that never
//     committed cannot combine with a new one into two disjoint majorities.
#include <algorithm>

#include "consensus/message_codec.h"
#include "consensus/raft_core.h"

namespace synod::consensus {
namespace {

// Returns the configuration after `change`, or an error if it is a no-op or
// nonsense (so the leader refuses it instead of logging it).
Result<ClusterConfig> apply_change(const ClusterConfig& config, const ConfChange& change) {
  ClusterConfig next = config;
  auto erase = [](std::vector<NodeId>& ids, NodeId id) {
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
  };
  auto insert = [](std::vector<NodeId>& ids, NodeId id) {
    ids.insert(std::upper_bound(ids.begin(), ids.end(), id), id);
  };
  const NodeId node = change.node;
  if (node == kNoNode) return invalid_argument("conf change: node id 0");
  switch (change.type) {
    case ConfChangeType::kAddLearner:
      if (config.contains(node)) return invalid_argument("conf change: node already a member");
      insert(next.learners, node);
      break;
    case ConfChangeType::kAddVoter:
      if (config.is_voter(node)) return invalid_argument("conf change: node already a voter");
      erase(next.learners, node);
      insert(next.voters, node);
      break;
    case ConfChangeType::kRemoveNode:
      if (!config.contains(node)) return invalid_argument("conf change: node not a member");
      erase(next.voters, node);
      erase(next.learners, node);
      break;
    case ConfChangeType::kDemoteToLearner:
      if (!config.is_voter(node)) return invalid_argument("conf change: node not a voter");
      erase(next.voters, node);
      insert(next.learners, node);
      break;
  }
  if (next.voters.empty()) return invalid_argument("conf change: would leave no voters");
  return next;
}

}  // namespace

void RaftCore::load_configuration() {
  // Start from the snapshot's configuration, then replay every conf-change
  // entry in the stored log (append-time semantics: uncommitted ones count).
  base_ = storage_.snapshot_meta();
  base_config_ = decode_config(base_.configuration).value_or(ClusterConfig{});
  config_entries_.clear();
  config_ = base_config_;
  // Entries at or before the snapshot (a storage may keep a trailing few)
  // are already reflected in its configuration.
  LogIndex next = std::max(storage_.first_index(), base_.index.next());
  const LogIndex end = storage_.last_index().next();
  while (next < end) {
    auto batch = storage_.entries(next, end, 4 << 20);
    if (!batch.is_ok() || batch->empty()) break;
    for (const Entry& e : *batch) {
      if (e.type == EntryType::kConfChange) apply_conf_entry(e);
    }
    next = batch->back().index.next();
  }
}

void RaftCore::apply_conf_entry(const Entry& entry) {
  auto change = decode_conf_change(entry.data);
  ClusterConfig next = config_;
  if (change.is_ok()) {
    // A change the leader validated cannot fail here; if it does (a
    // corrupted entry), the configuration stays as it was on every server
    // alike, because apply_change is deterministic.
    next = apply_change(config_, *change).value_or(config_);
  }
  config_entries_.emplace_back(entry.index, next);
  set_config(std::move(next));
}

void RaftCore::on_conf_entries_appended(const std::vector<Entry>& entries, LogIndex truncated_at) {
  if (truncated_at != kNoIndex) {
    // Roll back configurations whose entries were just discarded (§4.1:
    // "a log entry for a configuration change can be removed ... the server
    // must be prepared to fall back to the previous configuration").
    bool changed = false;
    while (!config_entries_.empty() && config_entries_.back().first >= truncated_at) {
      config_entries_.pop_back();
      changed = true;
    }
    if (changed) set_config(config_entries_.empty() ? base_config_ : config_entries_.back().second);
  }
  for (const Entry& e : entries) {
    if (e.index > last_config_index()) apply_conf_entry(e);
  }
}

LogIndex RaftCore::last_config_index() const {
  return config_entries_.empty() ? base_.index : config_entries_.back().first;
}

ClusterConfig RaftCore::config_at(LogIndex index) const {
  ClusterConfig result = base_config_;
  for (const auto& [at, config] : config_entries_) {
    if (at > index) break;
    result = config;
  }
  return result;
}

void RaftCore::set_config(ClusterConfig config) {
  config_ = std::move(config);
  if (role_ == Role::kLeader) {
    rebuild_progress();
    if (transferee_ != kNoNode && !config_.is_voter(transferee_)) abort_transfer();
  }
  if (role_ == Role::kCandidate || role_ == Role::kPreCandidate) {
    if (!promotable()) become_follower(term_, kNoNode);
  }
}

void RaftCore::rebuild_progress() {
  // Add newcomers (probing from our last index; they answer with a hint or
  // need a snapshot), drop members that left.
  for (auto it = progress_.begin(); it != progress_.end();) {
    it = config_.contains(it->first) ? std::next(it) : progress_.erase(it);
  }
  for (NodeId node : config_.members()) {
    if (node == cfg_.id || progress_.count(node) != 0) continue;
    Progress pr(log_.last_index().next(), cfg_.max_inflight_messages, cfg_.max_inflight_bytes);
    // Count newly elected leaders' peers as active so check-quorum does not
    // depose a leader before it had a chance to hear from anyone.
    pr.recent_active = true;
    progress_.emplace(node, std::move(pr));
  }
}

void RaftCore::maybe_step_down_after_removal() {
  // Dissertation §4.2.2: a leader removed from the configuration keeps
  // managing the cluster until the change is committed, without counting
  // itself, then steps down.
  if (role_ == Role::kLeader && !config_.is_voter(cfg_.id) &&
      log_.committed() >= last_config_index()) {
    // Tell the remaining members that the change committed before going
    // quiet, so they need not wait for the next leader to learn it.
    broadcast_heartbeat();
    become_follower(term_, kNoNode);
  }
}

Result<LogIndex> RaftCore::propose_conf_change(const ConfChange& change) {
  if (role_ != Role::kLeader) return not_leader();
  if (transferee_ != kNoNode) return unavailable("leadership transfer in progress");
  if (log_.committed() < leader_start_index_) {
    return failed_precondition("conf change: leader has not committed an entry of its term yet");
  }
  if (log_.committed() < last_config_index()) {
    return failed_precondition("conf change: another configuration change is not committed yet");
  }
  SYNOD_RETURN_IF_ERROR(apply_change(config_, change).status());
  std::vector<std::string> data{encode_conf_change(change)};
  const LogIndex index = log_.last_index().next();
  append_entries_as_leader(data, EntryType::kConfChange);
  auto entry = log_.slice(index, index.next(), 1 << 30);
  if (entry.is_ok() && !entry->empty()) apply_conf_entry(entry->front());
  // A leader that removed itself may now be the only... or no longer a
  // voter: commitment is recomputed under the new configuration.
  maybe_commit();
  return index;
}

Status RaftCore::transfer_leadership(NodeId target) {
  if (role_ != Role::kLeader) return not_leader();
  if (target == cfg_.id) return Status::ok();
  if (!config_.is_voter(target)) {
    return invalid_argument("transfer: node " + target.to_string() + " is not a voter");
  }
  transferee_ = target;
  election_elapsed_ = 0;  // the transfer times out after an election timeout
  Progress* pr = progress_of(target);
  if (pr == nullptr) return internal_error("transfer: no progress for voter");
  if (pr->match == log_.last_index()) {
    maybe_send_timeout_now(target, *pr);
  } else {
    // Dissertation §3.10 step 2: bring the target's log up to date first.
    send_append(target, *pr, true);
  }
  return Status::ok();
}

void RaftCore::maybe_send_timeout_now(NodeId to, const Progress& pr) {
  if (pr.match != log_.last_index()) return;
  send(Message{.type = MessageType::kTimeoutNow, .to = to, .term = term_});
}

}  // namespace synod::consensus
