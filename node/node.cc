#include "node/node.h"

#include <csignal>

#include <spdlog/spdlog.h>

#include "node/http/status_handlers.h"
#include "node/version.h"

namespace synod::node {

Node::Node(config::NodeConfig config)
    : config_(std::move(config)), signals_(io_, SIGINT, SIGTERM) {
  register_status_routes(router_, *this);
  register_metrics_route(router_);
  http_ = std::make_unique<http::HttpServer>(io_, config_.http, router_);
}

Node::~Node() = default;

Status Node::start() {
  SYNOD_RETURN_IF_ERROR(http_->listen(config_.addresses.http).with_context("addresses.http"));
  spdlog::info("synod {} node {} (id {}) serving HTTP on {}", kVersion, config_.node.name,
               config_.node.id, http_->bound_address());
  signals_.async_wait([this](error_code ec, int signal) {
    if (ec) return;
    spdlog::info("received signal {}; shutting down", signal);
    stop();
  });
  return Status::ok();
}

void Node::run() { io_.run(); }

void Node::stop() {
  asio::post(io_, [this] {
    http_->stop();
    signals_.cancel();
    io_.stop();
  });
}

std::string Node::leader_address() const { return ""; }
std::vector<std::string> Node::peers() const { return {}; }
http::RaftConfiguration Node::raft_configuration() const { return {}; }
http::LeaderView Node::leader_view() const { return {}; }

http::AgentInfo Node::agent_info() const {
  http::AgentInfo info;
  info.datacenter = config_.node.datacenter;
  info.node_name = config_.node.name;
  info.node_id = std::to_string(config_.node.id);
  info.version = kVersion;
  info.peer_address = config_.addresses.advertise_peer.empty() ? config_.addresses.peer
                                                               : config_.addresses.advertise_peer;
  info.http_address = config_.addresses.advertise_http.empty() ? config_.addresses.http
                                                               : config_.addresses.advertise_http;
  info.gossip_address = config_.addresses.gossip;
  info.role = "agent";
  return info;
}

http::HealthReport Node::health() const { return {}; }

void Node::remove_peer(const std::string&, std::function<void(Status)> done) {
  done(unavailable("this node runs no Raft group yet"));
}

void Node::transfer_leader(const std::optional<std::string>&, std::function<void(Status)> done) {
  done(unavailable("this node runs no Raft group yet"));
}

}  // namespace synod::node
