// Leader election (§5.2) with the pre-vote phase (dissertation §9.6).
#include <algorithm>

#include "consensus/raft_core.h"

namespace synod::consensus {

void RaftCore::campaign(bool pre_vote, bool transfer) {
  if (pre_vote) {
    become_pre_candidate();
  } else {
    become_candidate();
  }
  // Our own vote. For a real election it is part of the hard state, which
  // the Ready contract makes durable before the requests below leave.
  votes_[cfg_.id] = true;
  if (count_votes(true) >= config_.quorum()) {
    // A single-voter cluster wins at once.
    if (pre_vote) {
      campaign(false, transfer);
    } else {
      become_leader();
    }
    return;
  }
  const MessageType type = pre_vote ? MessageType::kPreVote : MessageType::kVote;
  // A pre-vote asks "would you vote for me in the next term?" without
  // anybody (us included) moving to that term yet.
  const Term term = pre_vote ? term_.next() : term_;
  for (NodeId voter : config_.voters) {
    if (voter == cfg_.id) continue;
    Message m{.type = type,
              .to = voter,
              .term = term,
              .log_term = log_.last_term(),
              .index = log_.last_index()};
    if (transfer) m.context = kCampaignTransfer;
    send(std::move(m));
  }
}

void RaftCore::handle_vote_request(const Message& m) {
  const bool pre = m.type == MessageType::kPreVote;
  // §5.2: at most one vote per term, first come first served (a repeated
  // request from the same candidate gets the same answer). A pre-vote for a
  // later term is not a vote and binds nothing.
  const bool can_vote =
      vote_ == m.from || (vote_ == kNoNode && leader_ == kNoNode) || (pre && m.term > term_);
  // §5.4.1 election restriction: only for a log at least as up-to-date.
  const bool grant = can_vote && log_.is_up_to_date(m.index, m.log_term);
  Message reply{.type = pre ? MessageType::kPreVoteResponse : MessageType::kVoteResponse,
                .to = m.from,
                .term = grant && pre ? m.term : term_,
                .reject = !grant};
  if (grant && !pre) {
    vote_ = m.from;
    // Figure 2: granting a vote resets the election timer.
    election_elapsed_ = 0;
  }
  send(std::move(reply));
}

std::size_t RaftCore::count_votes(bool granted) const {
  std::size_t n = 0;
  for (const auto& [node, vote] : votes_) {
    if (vote == granted && config_.is_voter(node)) ++n;
  }
  return n;
}

void RaftCore::handle_vote_response(const Message& m) {
  const bool pre = m.type == MessageType::kPreVoteResponse;
  if ((pre && role_ != Role::kPreCandidate) || (!pre && role_ != Role::kCandidate)) return;
  votes_.emplace(m.from, !m.reject);  // first answer counts
  if (count_votes(true) >= config_.quorum()) {
    if (pre) {
      campaign(false, false);
    } else {
      become_leader();
    }
  } else if (count_votes(false) >= config_.quorum()) {
    // Lost: wait for the next timeout as a follower.
    become_follower(term_, kNoNode);
  }
}

}  // namespace synod::consensus
