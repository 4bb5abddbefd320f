#include "node/http/consul.h"

#include <string>

namespace synod::node::http {

void set_consul_headers(HttpResponse& response, std::uint64_t index, const LeaderView& view) {
  response.set_header("X-Consul-Index", std::to_string(index == 0 ? 1 : index));
  response.set_header("X-Consul-KnownLeader", view.known_leader ? "true" : "false");
  response.set_header("X-Consul-LastContact", std::to_string(view.last_contact_ms));
}

}  // namespace synod::node::http
