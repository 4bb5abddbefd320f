#include "discovery/options.h"

namespace synod::discovery {

Options Options::from_config(const config::GossipSection& gossip, std::string name,
                             std::uint64_t id, std::string address) {
  Options o;
  o.name = std::move(name);
  o.id = id;
  o.address = std::move(address);
  o.probe_interval = gossip.probe_interval;
  o.probe_timeout = gossip.probe_timeout;
  o.indirect_checks = gossip.indirect_checks;
  o.suspicion_multiplier = gossip.suspicion_multiplier;
  o.gossip_interval = gossip.gossip_interval;
  o.gossip_nodes = gossip.gossip_nodes;
  return o;
}

}  // namespace synod::discovery
