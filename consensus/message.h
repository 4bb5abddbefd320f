// The messages Raft peers exchange. One flat struct for every type (as in
// etcd-raft's raftpb.Message): the core, the simulator and the wire codec
// (consensus/message_codec.h) all move the same value, and a field is simply
// left at its default where a type does not use it. Which fields each type
// uses is listed next to the enum.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/raft_types.h"
#include "consensus/types.h"

namespace synod::consensus {

enum class MessageType : std::uint8_t {
  // Leader -> follower, Raft §5.3. index/log_term = the entry before
  // `entries` (prevLogIndex/prevLogTerm), entries, commit.
  kAppend = 0,
  // Follower -> leader. Success: index = last index now matching the leader.
  // reject: index = the rejected prevLogIndex, hint_index/hint_term = the
  // conflict hint (§5.3's "optimization", see progress.cc), commit unused.
  kAppendResponse = 1,
  // Candidate -> all voters, §5.2/§5.4.1. index/log_term = candidate's last
  // log index/term; context == kCampaignTransfer when forced by TimeoutNow.
  kVote = 2,
  // reject = vote refused. term = the voter's term.
  kVoteResponse = 3,
  // Pre-vote (dissertation §9.6): same fields as kVote, but term is the term
  // the candidate WOULD use (current + 1); nobody changes term or vote.
  kPreVote = 4,
  kPreVoteResponse = 5,
  // Leader -> follower: keeps followers from campaigning and confirms
  // leadership for ReadIndex. commit = min(leader commit, follower match);
  // context = the read-index round it confirms (may be empty).
  kHeartbeat = 6,
  // context echoed back.
  kHeartbeatResponse = 7,
  // Leader -> follower, §7: one chunk of a snapshot. snapshot = meta,
  // snapshot_offset = byte offset of snapshot_data within the whole, and
  // snapshot_done on the last chunk.
  kSnapshot = 8,
  // Follower -> leader. Accepted chunk: index = snapshot index,
  // snapshot_offset = bytes received so far; reject = the follower could not
  // use the chunk (leader falls back to probing, restarting the transfer).
  kSnapshotResponse = 9,
  // Leader -> transfer target (dissertation §3.10): campaign now.
  kTimeoutNow = 10,
  // Follower -> leader: forwarded client proposal, entries hold the data
  // (term/index 0; the leader assigns them).
  kPropose = 11,
  // Follower -> leader: ReadIndex request. context = the caller's read ctx.
  kReadIndex = 12,
  // Leader -> follower: index = read index for context; reject = leader could
  // not serve it (e.g. not yet committed an entry in its term).
  kReadIndexResponse = 13,
};
const char* message_type_name(MessageType type);

// Context value marking a vote forced by leadership transfer, which must
// bypass the leader-lease check of §6 (dissertation §3.10 / §4.2.3).
inline constexpr const char* kCampaignTransfer = "transfer";

struct Message {
  MessageType type = MessageType::kAppend;
  NodeId from;
  NodeId to;
  Term term;  // sender's current term (0 for kPropose/kReadIndex: "local")

  Term log_term;
  LogIndex index;
  std::vector<Entry> entries;
  LogIndex commit;

  bool reject = false;
  LogIndex hint_index;
  Term hint_term;

  std::string context;

  SnapshotMeta snapshot;
  std::uint64_t snapshot_offset = 0;
  std::string snapshot_data;
  bool snapshot_done = false;

  // Approximate encoded size, for byte-bounded flow control.
  [[nodiscard]] std::size_t byte_size() const;
  bool operator==(const Message&) const = default;
};

}  // namespace synod::consensus
