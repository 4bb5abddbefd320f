// Linearizable reads without log writes (dissertation §6.4, "ReadIndex"):
//  1. The leader must have committed an entry of its term (its no-op), or
//     it cannot know the latest commit index; reads wait for that.
//  2. It records its commit index as the read index.
//  3. It confirms it is still leader with a heartbeat round acknowledged by
//     a quorum. Reads arriving while a round is in flight join the NEXT
//     round, so one round serves any number of concurrent reads (batching).
//  4. The read is served once the state machine applied the read index.
// With lease_read (§6.4.1) step 3 is skipped: check-quorum guarantees the
// leader steps down within an election timeout of losing its quorum, and
// voters in lease refuse to elect anyone else meanwhile; this trusts clocks
// to run at similar rates, which is why it is off by default.
#include <string>

#include "consensus/raft_core.h"

namespace synod::consensus {

Status RaftCore::read_index(std::string context) {
  if (role_ == Role::kLeader) {
    handle_read_request(cfg_.id, std::move(context));
    return Status::ok();
  }
  if (leader_ == kNoNode) return not_leader();
  // Dissertation §6.4: a follower asks the leader for a read index, then
  // waits until it applied that far itself.
  send(Message{.type = MessageType::kReadIndex, .to = leader_, .context = std::move(context)});
  return Status::ok();
}

void RaftCore::handle_read_request(NodeId from, std::string context) {
  PendingRead read{from, std::move(context), kNoIndex, 0};
  if (log_.committed() < leader_start_index_) {
    reads_waiting_commit_.push_back(std::move(read));
    return;
  }
  read.index = log_.committed();
  if (cfg_.lease_read && cfg_.check_quorum) {
    answer_read(read.from, read.index, std::move(read.context));
    return;
  }
  reads_.push_back(std::move(read));
  if (read_round_in_flight_ == 0) start_read_round();
}

void RaftCore::promote_waiting_reads() {
  if (reads_waiting_commit_.empty() || log_.committed() < leader_start_index_) return;
  std::deque<PendingRead> waiting = std::move(reads_waiting_commit_);
  reads_waiting_commit_.clear();
  for (PendingRead& read : waiting) handle_read_request(read.from, std::move(read.context));
}

void RaftCore::start_read_round() {
  read_round_in_flight_ = next_read_round_++;
  for (PendingRead& read : reads_) {
    if (read.round == 0) read.round = read_round_in_flight_;
  }
  read_acks_.clear();
  read_acks_[cfg_.id] = true;
  // A cluster where we are the only voter needs no confirmation.
  handle_read_ack(cfg_.id, std::to_string(read_round_in_flight_));
  if (read_round_in_flight_ != 0) broadcast_heartbeat();
}

void RaftCore::handle_read_ack(NodeId from, const std::string& context) {
  if (read_round_in_flight_ == 0 || context != std::to_string(read_round_in_flight_)) return;
  read_acks_[from] = true;
  std::size_t acks = 0;
  for (const auto& [node, acked] : read_acks_) {
    if (acked && config_.is_voter(node)) ++acks;
  }
  if (acks < config_.quorum()) return;
  const std::uint64_t round = read_round_in_flight_;
  read_round_in_flight_ = 0;
  release_reads(round);
  bool more = false;
  for (const PendingRead& read : reads_) more = more || read.round == 0;
  if (more) start_read_round();
}

void RaftCore::release_reads(std::uint64_t round) {
  while (!reads_.empty() && reads_.front().round != 0 && reads_.front().round <= round) {
    PendingRead read = std::move(reads_.front());
    reads_.pop_front();
    answer_read(read.from, read.index, std::move(read.context));
  }
}

void RaftCore::answer_read(NodeId from, LogIndex index, std::string context) {
  if (from == cfg_.id) {
    read_states_.push_back(ReadState{index, std::move(context)});
  } else {
    send(Message{.type = MessageType::kReadIndexResponse,
                 .to = from,
                 .index = index,
                 .context = std::move(context)});
  }
}

void RaftCore::clear_reads() {
  // Reads pending at a leader that lost its role are dropped: the caller
  // times out and retries (it cannot tell whether leadership was lost).
  reads_waiting_commit_.clear();
  reads_.clear();
  read_round_in_flight_ = 0;
  read_acks_.clear();
}

}  // namespace synod::consensus
