#include "consensus/types.h"

#include "consensus/message.h"

namespace synod::consensus {

const char* role_name(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "unknown";
}

std::vector<NodeId> ClusterConfig::members() const {
  std::vector<NodeId> all = voters;
  all.insert(all.end(), learners.begin(), learners.end());
  return all;
}

const char* message_type_name(MessageType type) {
  switch (type) {
    case MessageType::kAppend:
      return "Append";
    case MessageType::kAppendResponse:
      return "AppendResponse";
    case MessageType::kVote:
      return "Vote";
    case MessageType::kVoteResponse:
      return "VoteResponse";
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResponse:
      return "PreVoteResponse";
    case MessageType::kHeartbeat:
      return "Heartbeat";
    case MessageType::kHeartbeatResponse:
      return "HeartbeatResponse";
    case MessageType::kSnapshot:
      return "Snapshot";
    case MessageType::kSnapshotResponse:
      return "SnapshotResponse";
    case MessageType::kTimeoutNow:
      return "TimeoutNow";
    case MessageType::kPropose:
      return "Propose";
    case MessageType::kReadIndex:
      return "ReadIndex";
    case MessageType::kReadIndexResponse:
      return "ReadIndexResponse";
  }
  return "Unknown";
}

std::size_t Message::byte_size() const {
  std::size_t size = 64 + context.size() + snapshot_data.size() + snapshot.configuration.size();
  for (const Entry& entry : entries) size += entry.byte_size();
  return size;
}

}  // namespace synod::consensus
