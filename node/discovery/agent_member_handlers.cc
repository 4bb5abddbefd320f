#include "node/discovery/agent_member_handlers.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "discovery/messages.h"
#include "node/transport/peer_transport.h"

namespace synod::node {
namespace {

namespace gossip = synod::discovery;
using nlohmann::json;

}  // namespace

json member_json(const gossip::Member& member, bool leaving_self) {
  std::string addr = member.address;
  int port = 0;
  if (auto hp = transport::split_host_port(member.address); hp.is_ok()) {
    addr = hp->first;
    try {
      port = std::stoi(hp->second);
    } catch (...) {
      port = 0;
    }
  }
  json tags = json::object();
  for (const auto& [key, value] : member.meta) tags[key] = value;
  tags["id"] = std::to_string(member.id);
  tags["vsn"] = std::to_string(gossip::kProtocolVersion);
  tags["vsn_min"] = std::to_string(gossip::kProtocolMin);
  tags["vsn_max"] = std::to_string(gossip::kProtocolMax);
  // Consul: 2 "leaving" while this agent is on its way out.
  const int status = leaving_self ? 2 : gossip::consul_status(member.state);
  return json{{"Name", member.name},
              {"Addr", addr},
              {"Port", port},
              {"Tags", tags},
              {"Status", status},
              {"State", gossip::member_state_name(member.state)},
              {"Incarnation", member.incarnation},
              {"ProtocolMin", gossip::kProtocolMin},
              {"ProtocolMax", gossip::kProtocolMax},
              {"ProtocolCur", gossip::kProtocolVersion},
              {"DelegateMin", gossip::kProtocolMin},
              {"DelegateMax", gossip::kProtocolMax},
              {"DelegateCur", gossip::kProtocolVersion}};
}

LeaveAction make_leave_action(asio::io_context& io, DiscoveryService& discovery,
                              std::function<void(std::function<void(Status)>)> remove_self,
                              std::function<void()> stop_node) {
  return [&io, &discovery, remove_self = std::move(remove_self),
          stop_node = std::move(stop_node)](std::function<void(Status)> done) {
    // Whichever comes first: the removal committed, or 5 s passed.
    auto finished = std::make_shared<bool>(false);
    auto timer = std::make_shared<asio::steady_timer>(io);
    auto then_gossip = [&discovery, stop_node, done, finished, timer](Status removed) {
      if (*finished) return;
      *finished = true;
      timer->cancel();
      if (!removed.is_ok()) {
        spdlog::warn("leave: removing this node from the Raft configuration: {}",
                     removed.to_string());
      }
      discovery.leave([stop_node, done] {
        done(Status::ok());
        stop_node();
      });
    };
    timer->expires_after(std::chrono::seconds(5));
    timer->async_wait([then_gossip](error_code ec) {
      if (!ec) then_gossip(timeout_error("no answer within 5s"));
    });
    spdlog::info("leave: leaving the cluster gracefully (requested over HTTP)");
    remove_self(then_gossip);
  };
}

void register_agent_member_routes(http::Router& router, DiscoveryService& discovery,
                                  LeaveAction leave) {
  using http::HttpRequest;
  using http::HttpResponse;
  using http::Responder;

  router.add("GET", "/v1/agent/members", [&discovery](HttpRequest, Responder respond) {
    json out = json::array();
    for (const auto& m : discovery.members()) out.push_back(member_json(m, false));
    respond(HttpResponse::json(out));
  });

  router.add({"PUT", "POST"}, "/v1/agent/join/:address",
             [&discovery](HttpRequest request, Responder respond) {
               discovery.join(request.param("address"), [respond](Status st) {
                 if (!st.is_ok()) {
                   return respond(HttpResponse::error(
                       st.code() == StatusCode::kInvalidArgument ? 400 : 500,
                       "join failed: " + st.message()));
                 }
                 respond(HttpResponse::text(""));
               });
             });

  router.add({"PUT", "POST"}, "/v1/agent/leave",
             [&discovery, leave](HttpRequest, Responder respond) {
               if (discovery.leaving()) return respond(HttpResponse::text(""));
               leave([respond](Status st) {
                 if (!st.is_ok()) return respond(HttpResponse::from_status(st));
                 respond(HttpResponse::text(""));
               });
             });

  router.add({"PUT", "POST"}, "/v1/agent/force-leave/:node",
             [&discovery](HttpRequest request, Responder respond) {
               const Status st =
                   discovery.force_leave(request.param("node"), request.has_query("prune"));
               if (!st.is_ok()) return respond(HttpResponse::from_status(st));
               respond(HttpResponse::text(""));
             });
}

}  // namespace synod::node
