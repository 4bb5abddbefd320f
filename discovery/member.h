// Member: one node as the gossip layer sees it (SWIM, Das et al. 2002;
// Lifeguard, Dadgar et al. 2018), and the events a change produces.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/clock.h"

namespace synod::discovery {

// alive -> suspect -> dead is failure detection; left is a graceful leave.
// A higher incarnation moves a member back to alive (refutation); a left
// member stays left unless it rejoins with a higher incarnation.
enum class MemberState : std::uint8_t { kAlive = 1, kSuspect = 2, kDead = 3, kLeft = 4 };

const char* member_state_name(MemberState state);
// Consul's /v1/agent/members Status: 1 alive, 2 leaving, 3 left, 4 failed.
// A suspect member is still reported alive (as Serf does).
int consul_status(MemberState state);

using Meta = std::map<std::string, std::string>;

// Well-known metadata keys (Consul's tag names where one exists).
inline constexpr const char* kMetaRole = "role";          // Raft role: leader|follower|learner|joining
inline constexpr const char* kMetaVersion = "build";      // synod version
inline constexpr const char* kMetaDatacenter = "dc";
inline constexpr const char* kMetaHttp = "http";          // HTTP API address
inline constexpr const char* kMetaPeer = "peer";          // peer (Raft) address
inline constexpr const char* kMetaLoad = "load";          // load figure of the node, 0..1
inline constexpr const char* kMetaInflight = "inflight";  // requests in flight
inline constexpr const char* kMetaModels = "models";      // served models, comma-separated

struct Member {
  std::string name;     // unique in the cluster (node.name)
  std::uint64_t id = 0; // Raft node id (node.id)
  std::string address;  // gossip address "host:port" (UDP)
  std::uint32_t incarnation = 0;
  MemberState state = MemberState::kAlive;
  Meta meta;
  MonoTime state_since{};  // local time of the last state change
};

struct MemberEvent {
  enum class Kind : std::uint8_t {
    kJoined,        // first heard of (old_state is meaningless)
    kStateChanged,  // old_state != new_state
    kUpdated,       // metadata or address changed, same state
    kReaped,        // dropped from the list (long dead or left, or forced)
  };
  Kind kind = Kind::kJoined;
  Member member;  // after the change
  MemberState old_state = MemberState::kAlive;
  MemberState new_state = MemberState::kAlive;
};

}  // namespace synod::discovery
