// Small value types of the Raft core's public surface: roles, cluster
// configurations, membership changes, snapshots and read states.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/raft_types.h"

namespace synod::consensus {

inline constexpr LogIndex kNoIndex{0};

// The three roles of Raft §5.1, plus the pre-candidate of the pre-vote phase
// (Ongaro's dissertation §9.6).
enum class Role : std::uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* role_name(Role role);

// The cluster membership. Voters count toward quorums (elections and
// commitment); learners receive the log but never vote (dissertation §4.2.1).
struct ClusterConfig {
  std::vector<NodeId> voters;    // sorted, unique
  std::vector<NodeId> learners;  // sorted, unique, disjoint from voters

  [[nodiscard]] bool is_voter(NodeId id) const {
    return std::binary_search(voters.begin(), voters.end(), id);
  }
  [[nodiscard]] bool is_learner(NodeId id) const {
    return std::binary_search(learners.begin(), learners.end(), id);
  }
  [[nodiscard]] bool contains(NodeId id) const { return is_voter(id) || is_learner(id); }
  // Every member, voters first.
  [[nodiscard]] std::vector<NodeId> members() const;
  [[nodiscard]] std::size_t quorum() const { return voters.size() / 2 + 1; }
  bool operator==(const ClusterConfig&) const = default;
};

// One single-server membership change (dissertation §4.1; see docs/raft.md for
// why single-server changes and not joint consensus).
enum class ConfChangeType : std::uint8_t {
  kAddLearner = 0,      // add a non-voting member that receives the log
  kAddVoter = 1,        // add a voter, or promote an existing learner to voter
  kRemoveNode = 2,      // remove a voter or learner (may be the leader itself)
  kDemoteToLearner = 3  // turn a voter into a learner
};
struct ConfChange {
  ConfChangeType type = ConfChangeType::kAddLearner;
  NodeId node;
  std::string context;  // opaque to the core (e.g. the node's address)
  bool operator==(const ConfChange&) const = default;
};

// A state-machine snapshot: the bytes produced by StateMachine::snapshot()
// plus the log position and configuration it covers. meta.configuration holds
// encode_config(ClusterConfig) (consensus/message_codec.h).
struct Snapshot {
  SnapshotMeta meta;
  std::string data;
  [[nodiscard]] bool empty() const { return meta.index == kNoIndex; }
};

// A linearizable read that became safe (ReadIndex, Raft dissertation §6.4):
// once the local state machine has applied `index`, a read issued with
// `context` may be served from it.
struct ReadState {
  LogIndex index;
  std::string context;
  bool operator==(const ReadState&) const = default;
};

// Volatile state worth reporting when it changes (metrics, HTTP status).
struct SoftState {
  Role role = Role::kFollower;
  NodeId leader = kNoNode;
  bool operator==(const SoftState&) const = default;
};

}  // namespace synod::consensus
