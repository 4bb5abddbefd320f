#include "node/node.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "consensus/state/change_set.h"
#include "node/discovery/agent_member_handlers.h"
#include "node/discovery/discovery_service.h"
#include "node/http/kv_handlers.h"
#include "node/http/status_handlers.h"
#include "node/inference/inference_service.h"
#include "node/keyring_port.h"
#include "node/dictionary_service.h"
#include "node/kv_service.h"
#include "node/raft_node.h"
#include "node/registry/raft_port.h"
#include "node/registry/registry_handlers.h"
#include "node/storage_options.h"
#include "node/transport/gossip_sealer.h"
#include "node/transport/keyring_handlers.h"
#include "node/transport/peer_transport.h"
#include "node/transport/secure_setup.h"
#include "node/version.h"
#include "persistence/redis_backend.h"

namespace synod::node {
namespace {

std::string role_text(consensus::Role role) {
  switch (role) {
    case consensus::Role::kLeader:
      return "leader";
    case consensus::Role::kCandidate:
    case consensus::Role::kPreCandidate:
      return "candidate";
    case consensus::Role::kFollower:
      return "follower";
  }
  return "follower";
}

// The registry's view of this agent: its catalog node and check settings.
registry::RegistryOptions registry_options(const config::NodeConfig& config) {
  registry::RegistryOptions options;
  const std::string& http = config.addresses.advertise_http.empty()
                                ? config.addresses.http
                                : config.addresses.advertise_http;
  const auto colon = http.rfind(':');
  options.agent.name = config.node.name;
  options.agent.id = std::to_string(config.node.id);
  options.agent.address = colon == std::string::npos ? http : http.substr(0, colon);
  options.agent.datacenter = config.node.datacenter;
  options.enable_script = config.checks.enable_script;
  options.default_strategy = config.loadbalance.default_strategy;
  options.strategies = config.loadbalance.services;
  return options;
}

}  // namespace

Node::Node(config::NodeConfig config)
    : config_(std::move(config)), signals_(io_, SIGINT, SIGTERM) {}

Node::~Node() {
  if (http_) http_->stop();
  if (inference_) inference_->stop();
  if (discovery_) discovery_->stop();
  if (raft_) raft_->stop();
  if (transport_) transport_->stop();
}

Status Node::start() {
  std::error_code ec;
  std::filesystem::create_directories(config_.node.data_dir, ec);
  if (ec) return io_error("node.data_dir " + config_.node.data_dir + ": " + ec.message());

  auto backend = persistence::open_backend(backend_options(config_));
  if (!backend.is_ok()) {
    return backend.status().with_context("opening the " + config_.persistence.backend +
                                         " storage backend");
  }
  backend_ = std::move(*backend);
  if (auto warning = persistence::redis_durability_warning(*backend_); !warning.empty()) {
    spdlog::warn("{}", warning);
  }

  transport::PeerTransportOptions transport_options;
  transport_options.self = NodeId{config_.node.id};
  transport_options.cluster_name = config_.cluster.name;
  transport_options.listen_address = config_.addresses.peer;
  transport_options.advertise_address = config_.addresses.advertise_peer;
  transport_options.limits = config_.transport;
  auto crypto = transport::setup_crypto(config_);  // docs/crypto.md
  if (!crypto.is_ok()) return crypto.status();
  transport_options.handshake = crypto->factory;
  crypto_keyring_ = crypto->keyring;
  transport_ = transport::PeerTransport::create(io_, transport_options, random_);

  raft_ = std::make_unique<RaftNode>(io_, config_, *backend_, transport_);
  SYNOD_RETURN_IF_ERROR(raft_->recover());

  hub_ = std::make_unique<http::WatchHub>(io_);
  kv_ = std::make_unique<KvService>(*raft_);
  registry_port_ = std::make_unique<registry::RaftPort>(*raft_);
  registry_ = std::make_unique<registry::RegistryService>(io_, *registry_port_, *hub_,
                                                          registry_options(config_));
  dictionary_ = std::make_unique<DictionaryService>(  // docs/compression.md
      io_, *raft_, crypto->factory ? crypto->factory->settings().compressor : nullptr,
      config_.compression);
  raft_->set_entry_observer([this](const Entry& entry) { dictionary_->on_entry(entry); });
  keyring_port_ = std::make_unique<RaftKeyringPort>(*raft_);
  cluster_keyring_ = std::make_unique<transport::ClusterKeyring>(
      io_, *keyring_port_, crypto_keyring_, config_.node.datacenter);
  raft_->set_change_callback([this](const consensus::state::ChangeSet& changes, LogIndex index) {
    if (consensus::state::keyring_changed(changes)) cluster_keyring_->on_table_changed();
    for (const auto& key : changes.keys(consensus::state::RecordTable::kKv)) {
      http::notify_kv_change(*hub_, key, index.value());
    }
    registry_->on_applied(changes, index.value());
    if (consensus::state::dictionary_changed(changes)) dictionary_->on_table_changed();
  });
  register_status_routes(router_, *this);
  register_metrics_route(router_);
  http::KvHandlerOptions kv_options;
  register_kv_routes(router_, *kv_, *hub_, kv_options);
  registry::register_registry_routes(router_, *registry_, *hub_);
  register_fault_routes();
  cluster_keyring_->register_routes(router_);  // /v1/operator/keyring
  discovery_ = std::make_unique<DiscoveryService>(
      io_, config_,
      DiscoveryService::Identity{
          config_.node.name,
          NodeId{config_.node.id},
          {{"build", kVersion},
           {"dc", config_.node.datacenter},
           {"peer", config_.addresses.advertise_peer.empty() ? config_.addresses.peer
                                                             : config_.addresses.advertise_peer}}},
      transport_,
      config_.gossip.encrypt && crypto_keyring_  // gossip sealed with the keyring (docs/crypto.md)
          ? std::make_shared<transport::GossipSealer>(crypto_keyring_)
          : nullptr);
  discovery_->set_meta_source([this] {
    const auto info = agent_info();
    return synod::discovery::Meta{{"role", info.role}, {"http", info.http_address}};
  });
  raft_->set_server_health(discovery_->server_health_source());
  // Consul's serfHealth node check follows the failure detector: alive or
  // suspect is passing, dead or left is critical (the registry proposes only
  // changes, and only on the leader).
  discovery_->add_observer([this](const synod::discovery::MemberEvent& event) {
    if (event.kind != synod::discovery::MemberEvent::Kind::kUpdated)
      report_member_health(event.member);
  });
  register_agent_member_routes(router_, *discovery_,
                               make_leave_action(
                                   io_, *discovery_,
                                   [this](std::function<void(Status)> done) {
                                     raft_->remove_member(NodeId{config_.node.id}, std::move(done));
                                   },
                                   [this] { stop(); }));
  inference_ = std::make_unique<inference::InferenceService>(io_, config_, transport_, random_);
  inference_->register_routes(router_);
  inference_->set_gossip(  // ready models in this node's gossip tags; routing reads them
      [this](std::string key, std::string value) {
        discovery_->set_local_meta(std::move(key), std::move(value));
      },
      [this]() -> std::optional<std::vector<synod::discovery::Member>> {
        if (!discovery_->enabled()) return std::nullopt;
        return discovery_->members();
      });
  http_ = std::make_unique<http::HttpServer>(io_, config_.http, router_);

  SYNOD_RETURN_IF_ERROR(transport_->start().with_context("addresses.peer"));
  SYNOD_RETURN_IF_ERROR(http_->listen(config_.addresses.http).with_context("addresses.http"));
  raft_->start();
  SYNOD_RETURN_IF_ERROR(discovery_->start().with_context("addresses.gossip"));
  registry_->start();
  dictionary_->start();
  cluster_keyring_->start();
  reconcile_member_health();
  inference_->start();
  spdlog::info("synod {} node {} (id {}) peer {} http {} backend {}", kVersion, config_.node.name,
               config_.node.id, transport_->listen_address(), http_->bound_address(),
               config_.persistence.backend);

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
    if (stopping_) return;
    stopping_ = true;
    // A leader hands over first so the cluster sees no election timeout.
    raft_->prepare_shutdown(std::chrono::seconds(2), [this] { shutdown_now(); });
  });
}

void Node::shutdown_now() {
  health_timer_.cancel();
  http_->stop();
  inference_->stop();
  registry_->stop();
  dictionary_->stop();
  cluster_keyring_->stop();
  discovery_->stop();
  raft_->stop();
  transport_->stop();
  signals_.cancel();
  io_.stop();
}

void Node::register_fault_routes() {
  auto handler = [this](http::HttpRequest request, http::Responder respond) {
    if (!config_.debug.fault_injection) {
      return respond(http::HttpResponse::error(
          403, "fault injection is disabled; start the node with debug.fault_injection: true"));
    }
    if (request.method == "DELETE") {
      transport_->clear_faults();
      spdlog::warn("fault injection: all rules cleared");
      return respond(http::HttpResponse::json(nlohmann::json(true)));
    }
    auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("peer") ||
        !body["peer"].is_number_unsigned()) {
      return respond(http::HttpResponse::error(
          400,
          "body must be JSON {\"peer\": <node id>, \"drop_in\": 0..1, \"drop_out\": 0..1, "
          "\"delay_in_ms\": n, \"delay_out_ms\": n}"));
    }
    transport::FaultRule rule;
    rule.drop_in = body.value("drop_in", 0.0);
    rule.drop_out = body.value("drop_out", 0.0);
    rule.delay_in = std::chrono::milliseconds(body.value("delay_in_ms", 0));
    rule.delay_out = std::chrono::milliseconds(body.value("delay_out_ms", 0));
    if (rule.drop_in < 0 || rule.drop_in > 1 || rule.drop_out < 0 || rule.drop_out > 1) {
      return respond(http::HttpResponse::error(400, "drop_in and drop_out must be in [0, 1]"));
    }
    const NodeId peer{body["peer"].get<std::uint64_t>()};
    transport_->set_fault(peer, rule);
    spdlog::warn("fault injection: peer {} drop_in {} drop_out {} delay_in {}ms delay_out {}ms",
                 peer.value(), rule.drop_in, rule.drop_out, body.value("delay_in_ms", 0),
                 body.value("delay_out_ms", 0));
    respond(http::HttpResponse::json(nlohmann::json(true)));
  };
  router_.add({"PUT", "POST", "DELETE"}, "/v1/synod/fault", handler);
}

void Node::report_member_health(const synod::discovery::Member& member) {
  const auto state = member.state;
  const bool alive = state == synod::discovery::MemberState::kAlive ||
                     state == synod::discovery::MemberState::kSuspect;
  registry_->set_node_health(member.name, alive,
                             alive ? "Agent alive and reachable"
                             : state == synod::discovery::MemberState::kLeft
                                 ? "Agent left the cluster"
                                 : "Agent not live or unreachable");
}

void Node::reconcile_member_health() {
  // A new leader (or a missed event) catches up: every member's current
  // state is offered again; the registry proposes only real changes.
  health_timer_.expires_after(std::chrono::seconds(2));
  health_timer_.async_wait([this](error_code ec) {
    if (ec || stopping_) return;
    for (const auto& member : discovery_->members()) report_member_health(member);
    reconcile_member_health();
  });
}

std::string Node::leader_address() const {
  const NodeId leader = raft_->leader();
  return leader == kNoNode ? "" : raft_->address_of(leader);
}

std::vector<std::string> Node::peers() const {
  std::vector<std::string> out;
  for (NodeId id : raft_->membership().voters) out.push_back(raft_->address_of(id));
  return out;
}

http::RaftConfiguration Node::raft_configuration() const {
  http::RaftConfiguration out;
  const auto membership = raft_->membership();
  const NodeId leader = raft_->leader();
  for (NodeId id : membership.members()) {
    http::RaftServer server;
    server.id = id.to_string();
    server.node = config_.node.name;
    if (id != NodeId{config_.node.id}) {
      // Names of other servers come from gossip.
      auto member = discovery_ ? discovery_->member_by_id(id) : std::nullopt;
      server.node = member ? member->name : "node-" + id.to_string();
    }
    server.address = raft_->address_of(id);
    server.leader = id == leader;
    server.voter = membership.is_voter(id);
    out.servers.push_back(server);
  }
  out.index = raft_->commit_index().value();
  return out;
}

http::LeaderView Node::leader_view() const { return kv_->leader_view(); }

http::AgentInfo Node::agent_info() const {
  http::AgentInfo info;
  info.datacenter = config_.node.datacenter;
  info.node_name = config_.node.name;
  info.node_id = std::to_string(config_.node.id);
  info.version = kVersion;
  info.peer_address = raft_->address_of(NodeId{config_.node.id});
  info.http_address = config_.addresses.advertise_http.empty() ? http_->bound_address()
                                                               : config_.addresses.advertise_http;
  info.gossip_address = config_.addresses.gossip;
  info.role = raft_->bootstrapped() ? role_text(raft_->role()) : "joining";
  if (raft_->bootstrapped() && raft_->membership().is_learner(NodeId{config_.node.id})) {
    info.role = "learner";
  }
  info.leader_address = leader_address();
  info.term = raft_->term().value();
  info.commit_index = raft_->commit_index().value();
  info.applied_index = raft_->applied_index().value();
  info.last_log_index = raft_->last_index().value();
  info.meta["backend"] = config_.persistence.backend;
  return info;
}

http::HealthReport Node::health() const {
  http::HealthReport report;
  if (!raft_->bootstrapped()) {
    report.healthy = false;
    report.status = "joining";
    report.problems.push_back("waiting for seeds to bootstrap or join a cluster");
  } else if (raft_->leader() == kNoNode) {
    report.healthy = false;
    report.status = "no-leader";
    report.problems.push_back("no known leader (election in progress or no quorum)");
  }
  return report;
}

void Node::remove_peer(const std::string& id, std::function<void(Status)> done) {
  std::uint64_t value = 0;
  try {
    value = std::stoull(id);
  } catch (...) {
    return done(invalid_argument("id must be a node id (a number), got \"" + id + "\""));
  }
  raft_->remove_member(NodeId{value}, std::move(done));
}

void Node::transfer_leader(const std::optional<std::string>& id, std::function<void(Status)> done) {
  std::optional<NodeId> target;
  if (id && !id->empty()) {
    try {
      target = NodeId{std::stoull(*id)};
    } catch (...) {
      return done(invalid_argument("id must be a node id (a number), got \"" + *id + "\""));
    }
  }
  raft_->transfer_leadership(target, std::move(done));
}

}  // namespace synod::node
