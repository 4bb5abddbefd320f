// Consul's response conventions shared by every /v1 read endpoint.
#pragma once

#include <cstdint>

#include "node/http/cluster_info.h"
#include "node/http/http_message.h"

namespace synod::node::http {

// Sets X-Consul-Index (the resource index the read reflects; Consul never
// sends 0, so 0 becomes 1), X-Consul-KnownLeader and X-Consul-LastContact.
void set_consul_headers(HttpResponse& response, std::uint64_t index, const LeaderView& view);

}  // namespace synod::node::http
