#include "node/http/status_handlers.h"

#include <nlohmann/json.hpp>

#include "common/metrics.h"
#include "node/http/consul.h"
#include "node/http/query.h"

namespace synod::node::http {
namespace {

using nlohmann::json;

// "127.0.0.1:8301" -> ("127.0.0.1", 8301); port 0 when absent or bad.
std::pair<std::string, int> split_host_port(const std::string& address) {
  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) return {address, 0};
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto port = parse_u64(std::string_view(address).substr(colon + 1));
  return {host, port && *port < 65536 ? static_cast<int>(*port) : 0};
}

std::string raft_state_name(const std::string& role) {
  if (role == "leader") return "Leader";
  if (role == "candidate") return "Candidate";
  return "Follower";
}

json agent_self_json(const AgentInfo& info) {
  auto [gossip_host, gossip_port] = split_host_port(info.gossip_address);
  auto [peer_host, peer_port] = split_host_port(info.peer_address);
  json meta = json::object();
  for (const auto& [k, v] : info.meta) meta[k] = v;
  return json{{"Config",
               {{"Datacenter", info.datacenter},
                {"PrimaryDatacenter", info.datacenter},
                {"NodeName", info.node_name},
                {"NodeID", info.node_id},
                {"Revision", info.revision},
                {"Server", true},
                {"Version", info.version}}},
              {"Coord", nullptr},
              {"Member",
               {{"Name", info.node_name},
                {"Addr", gossip_host},
                {"Port", gossip_port},
                {"Tags",
                 {{"dc", info.datacenter},
                  {"id", info.node_id},
                  {"role", "consul"},
                  {"port", std::to_string(peer_port)},
                  {"vsn", "2"},
                  {"build", info.version}}},
                {"Status", 1},
                {"ProtocolMin", 1},
                {"ProtocolMax", 5},
                {"ProtocolCur", 2},
                {"DelegateMin", 2},
                {"DelegateMax", 5},
                {"DelegateCur", 4}}},
              {"Stats",
               {{"raft",
                 {{"state", raft_state_name(info.role)},
                  {"term", std::to_string(info.term)},
                  {"commit_index", std::to_string(info.commit_index)},
                  {"applied_index", std::to_string(info.applied_index)},
                  {"last_log_index", std::to_string(info.last_log_index)}}}}},
              {"Meta", meta},
              {"Synod",
               {{"Role", info.role},
                {"Leader", info.leader_address},
                {"Term", info.term},
                {"CommitIndex", info.commit_index},
                {"AppliedIndex", info.applied_index},
                {"LastLogIndex", info.last_log_index},
                {"PeerAddress", info.peer_address},
                {"HTTPAddress", info.http_address},
                {"GossipAddress", info.gossip_address},
                {"PeerHost", peer_host}}}};
}

// Answers a Status-returning operation: 200 with `ok_body`, or the error.
std::function<void(Status)> status_reply(Responder respond, json ok_body) {
  return [respond = std::move(respond), ok_body = std::move(ok_body)](Status status) {
    if (!status.is_ok()) return respond(HttpResponse::from_status(status));
    if (ok_body.is_null()) return respond(HttpResponse::text("", 200, "application/json"));
    respond(HttpResponse::json(ok_body));
  };
}

}  // namespace

void register_status_routes(Router& router, ClusterInfo& cluster) {
  router.add("GET", "/v1/status/leader", [&cluster](HttpRequest, Responder respond) {
    respond(HttpResponse::json(json(cluster.leader_address())));
  });

  router.add("GET", "/v1/status/peers", [&cluster](HttpRequest, Responder respond) {
    respond(HttpResponse::json(json(cluster.peers())));
  });

  router.add("GET", "/v1/operator/raft/configuration", [&cluster](HttpRequest, Responder respond) {
    RaftConfiguration config = cluster.raft_configuration();
    json servers = json::array();
    for (const auto& s : config.servers) {
      servers.push_back({{"ID", s.id},
                         {"Node", s.node},
                         {"Address", s.address},
                         {"Leader", s.leader},
                         {"Voter", s.voter},
                         {"ProtocolVersion", s.protocol_version}});
    }
    auto reply = HttpResponse::json(json{{"Servers", servers}, {"Index", config.index}});
    set_consul_headers(reply, config.index, cluster.leader_view());
    respond(std::move(reply));
  });

  router.add("DELETE", "/v1/operator/raft/peer", [&cluster](HttpRequest req, Responder respond) {
    auto id = req.query_value("id");
    auto address = req.query_value("address");
    if ((!id || id->empty()) && (!address || address->empty())) {
      return respond(HttpResponse::error(400,
                                         "Must specify either ?id with the server's ID or ?address "
                                         "with IP:port of peer to remove"));
    }
    if (!id || id->empty()) {
      for (const auto& s : cluster.raft_configuration().servers) {
        if (s.address == *address) id = s.id;
      }
      if (!id || id->empty()) {
        return respond(HttpResponse::error(
            404, "address \"" + *address + "\" was not found in the Raft configuration"));
      }
    }
    cluster.remove_peer(*id, status_reply(std::move(respond), nullptr));
  });

  router.add(
      {"POST", "PUT"}, "/v1/operator/raft/transfer-leader",
      [&cluster](HttpRequest req, Responder respond) {
        std::optional<std::string> id = req.query_value("id");
        if (id && id->empty()) id.reset();
        cluster.transfer_leader(id, status_reply(std::move(respond), json{{"Success", true}}));
      });

  router.add("GET", "/v1/agent/self", [&cluster](HttpRequest, Responder respond) {
    respond(HttpResponse::json(agent_self_json(cluster.agent_info())));
  });

  router.add("GET", "/v1/synod/health", [&cluster](HttpRequest, Responder respond) {
    HealthReport health = cluster.health();
    AgentInfo info = cluster.agent_info();
    json body{{"Healthy", health.healthy},
              {"Status", health.status},
              {"Problems", health.problems},
              {"Node", info.node_name},
              {"Role", info.role},
              {"Leader", info.leader_address},
              {"Term", info.term},
              {"CommitIndex", info.commit_index},
              {"AppliedIndex", info.applied_index}};
    respond(HttpResponse::json(body, health.healthy ? 200 : 503));
  });
}

void register_metrics_route(Router& router) {
  router.add("GET", "/metrics", [](HttpRequest, Responder respond) {
    respond(HttpResponse::text(metrics::Registry::global().render(), 200,
                               "text/plain; version=0.0.4; charset=utf-8"));
  });
}

}  // namespace synod::node::http
