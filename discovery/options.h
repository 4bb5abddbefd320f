// Options of the gossip core. from_config() maps the gossip.* keys; the rest
// are protocol constants with LAN defaults (docs/discovery.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/clock.h"
#include "config/node_config.h"
#include "discovery/member.h"

namespace synod::discovery {

struct Options {
  std::string name;     // this member's unique name
  std::uint64_t id = 0; // this member's node id
  std::string address;  // this member's gossip address as others reach it
  Meta meta;            // initial metadata

  Duration probe_interval = std::chrono::milliseconds(200);
  Duration probe_timeout = std::chrono::milliseconds(100);
  std::uint32_t indirect_checks = 3;
  // Suspicion timeout: min = multiplier * max(1, log10(n)) * probe_interval,
  // max = suspicion_max_multiplier * min (Lifeguard shrinks from max to min).
  std::uint32_t suspicion_multiplier = 4;
  std::uint32_t suspicion_max_multiplier = 3;
  Duration gossip_interval = std::chrono::milliseconds(100);
  std::uint32_t gossip_nodes = 3;
  std::uint32_t retransmit_multiplier = 4;
  // Lifeguard local health: timeouts are scaled by (score + 1), score < this.
  std::uint32_t awareness_max = 8;
  std::size_t max_packet_bytes = 1400;  // piggybacking stops here (UDP on a LAN)
  Duration gossip_to_dead = std::chrono::seconds(30);  // keep telling the dead, so they refute
  Duration reap_after = std::chrono::hours(24);        // dead/left members then leave the list

  static Options from_config(const config::GossipSection& gossip, std::string name,
                             std::uint64_t id, std::string address);
};

}  // namespace synod::discovery
