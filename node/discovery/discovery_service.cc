#include "node/discovery/discovery_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/clock.h"

namespace synod::node {
namespace {

namespace gossip = synod::discovery;
using udp = asio::ip::udp;

constexpr Duration kTickInterval = std::chrono::milliseconds(10);
constexpr Duration kJoinTimeout = std::chrono::seconds(3);
constexpr Duration kPushPullTimeout = std::chrono::seconds(3);
constexpr Duration kFirstSeedRetry = std::chrono::milliseconds(500);
constexpr Duration kLeaveFlush = std::chrono::milliseconds(300);
constexpr std::size_t kMaxDatagram = 65536;

std::string endpoint_text(const udp::endpoint& ep) {
  const auto address = ep.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(ep.port());
}

Result<udp::endpoint> parse_endpoint(const std::string& address) {
  SYNOD_ASSIGN_OR_RETURN(auto host_port, transport::split_host_port(address));
  error_code ec;
  const auto ip = asio::ip::make_address(host_port.first, ec);
  if (ec) return invalid_argument("'" + address + "' is not an IP address and port");
  unsigned long port = 0;
  try {
    port = std::stoul(host_port.second);
  } catch (...) {
    port = 65536;
  }
  if (port == 0 || port > 65535) return invalid_argument("'" + address + "' has a bad port");
  return udp::endpoint(ip, static_cast<unsigned short>(port));
}

// "id@host:port" -> (id, address); nullopt id for a plain address.
std::pair<std::optional<NodeId>, std::string> split_seed(const std::string& seed) {
  const auto at = seed.find('@');
  if (at == std::string::npos) return {std::nullopt, seed};
  try {
    return {NodeId{std::stoull(seed.substr(0, at))}, seed.substr(at + 1)};
  } catch (...) {
    return {std::nullopt, seed};
  }
}

// The address others reach our gossip socket at: a wildcard bind host is
// replaced by the advertised (or listening) peer host.
std::string advertised_gossip(const config::NodeConfig& config, unsigned short port) {
  auto host_port = transport::split_host_port(config.addresses.gossip);
  std::string host = host_port.is_ok() ? host_port->first : "127.0.0.1";
  if (host == "0.0.0.0" || host == "::") {
    const std::string& peer = config.addresses.advertise_peer.empty()
                                  ? config.addresses.peer
                                  : config.addresses.advertise_peer;
    auto peer_host = transport::split_host_port(peer);
    host = peer_host.is_ok() ? peer_host->first : "127.0.0.1";
  }
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

}  // namespace

DiscoveryService::DiscoveryService(asio::io_context& io, const config::NodeConfig& config,
                                   Identity identity,
                                   std::shared_ptr<transport::PeerTransport> transport,
                                   std::shared_ptr<gossip::PacketSealer> sealer)
    : io_(io),
      config_(config),
      transport_(std::move(transport)),
      sealer_(sealer ? std::move(sealer) : std::make_shared<gossip::NoopSealer>()),
      socket_(io),
      resolver_(io),
      tick_timer_(io),
      push_pull_timer_(io),
      seed_timer_(io),
      meta_timer_(io),
      receive_buffer_(kMaxDatagram) {
  auto options = gossip::Options::from_config(config_.gossip, identity.name,
                                              identity.id.value(), config_.addresses.gossip);
  options.meta = std::move(identity.meta);
  core_ = std::make_unique<gossip::Memberlist>(std::move(options), SystemClock::instance(),
                                               random_, static_cast<gossip::PacketSink&>(*this), sealer_);
  core_->set_observer([this](const MemberEvent& event) { on_event(event); });
}

DiscoveryService::~DiscoveryService() {
  *alive_ = false;
  stop();
}

Status DiscoveryService::start() {
  if (!config_.gossip.enabled) {
    spdlog::info("gossip.enabled is false: no failure detection; members lists this node only");
    return Status::ok();
  }
  SYNOD_ASSIGN_OR_RETURN(auto endpoint, parse_endpoint(config_.addresses.gossip));
  error_code ec;
  socket_.open(endpoint.protocol(), ec);
  if (!ec) socket_.bind(endpoint, ec);
  if (ec) {
    return io_error("cannot bind the gossip UDP socket to " + config_.addresses.gossip + ": " +
                    ec.message());
  }
  const unsigned short port = socket_.local_endpoint(ec).port();
  bound_address_ = endpoint_text(udp::endpoint(endpoint.address(), port));
  // Rebuild the core with the real advertised address (port 0 binds).
  auto options = core_->options();
  options.address = advertised_gossip(config_, port);
  core_ = std::make_unique<gossip::Memberlist>(std::move(options), SystemClock::instance(),
                                               random_, static_cast<gossip::PacketSink&>(*this), sealer_);
  core_->set_observer([this](const MemberEvent& event) { on_event(event); });

  if (!config_.gossip.encrypt) {
    spdlog::warn("gossip.encrypt is false: gossip packets are neither encrypted nor "
                 "authenticated; anyone who can reach {} can join or forge membership",
                 bound_address_);
  } else if (!sealer_->protects()) {
    spdlog::warn("gossip.encrypt is true but no gossip packet sealer is configured (the "
                 "keyring is not wired yet): gossip packets are sent UNENCRYPTED and "
                 "unauthenticated; this is the gossip.encrypt: false behaviour");
  }

  transport_->set_type_request_handler(
      transport::MessageType::kPushPull,
      [this, alive = std::weak_ptr<bool>(alive_)](NodeId, transport::MessageType,
                                                  std::string_view payload,
                                                  transport::PeerTransport::Responder reply) {
        if (alive.expired() || stopped_) return reply(unavailable("gossip is stopped"));
        if (auto st = core_->merge_push_pull(payload); !st.is_ok()) {
          spdlog::warn("gossip push-pull: bad state from a peer: {}", st.to_string());
          return reply(st);
        }
        reply(core_->encode_push_pull(false));
      });

  started_ = true;
  receive_next();
  schedule_tick();
  schedule_push_pull();
  refresh_meta();
  seed_backoff_ = kFirstSeedRetry;
  join_seeds();
  spdlog::info("gossip on {} (advertised {}), sealer {}", bound_address_, core_->local().address,
               sealer_->name());
  return Status::ok();
}

void DiscoveryService::stop() {
  if (stopped_) return;
  stopped_ = true;
  error_code ec;
  tick_timer_.cancel();
  push_pull_timer_.cancel();
  seed_timer_.cancel();
  meta_timer_.cancel();
  resolver_.cancel();
  for (auto& [address, pending] : pending_joins_) pending.timer->cancel();
  socket_.close(ec);
}

// ---------------------------------------------------------------- UDP

void DiscoveryService::send_packet(const std::string& address, Bytes packet) {
  if (stopped_ || !socket_.is_open()) return;
  auto it = endpoints_.find(address);
  if (it == endpoints_.end()) {
    auto parsed = parse_endpoint(address);
    if (!parsed.is_ok()) {
      spdlog::debug("gossip: cannot send to {}: {}", address, parsed.status().to_string());
      return;
    }
    it = endpoints_.emplace(address, *parsed).first;
  }
  auto data = std::make_shared<Bytes>(std::move(packet));
  socket_.async_send_to(asio::buffer(*data), it->second, [data](error_code, std::size_t) {});
}

void DiscoveryService::receive_next() {
  socket_.async_receive_from(
      asio::buffer(receive_buffer_), sender_,
      [this, alive = std::weak_ptr<bool>(alive_)](error_code ec, std::size_t n) {
        if (alive.expired() || stopped_ || ec == asio::error::operation_aborted) return;
        if (!ec) {
          const std::string from = endpoint_text(sender_);
          const auto bad_before = core_->stats().bad_packets;
          core_->handle_packet(from, ByteView(receive_buffer_.data(), n));
          if (core_->stats().bad_packets != bad_before) {
            const MonoTime now = SystemClock::instance().now();
            if (now - last_bad_packet_log_ > std::chrono::seconds(10)) {
              last_bad_packet_log_ = now;
              spdlog::warn("gossip: dropped a bad packet from {} (wrong key, other software or "
                           "corruption; see synod_gossip_bad_packets_total)", from);
            }
          } else if (auto pending = pending_joins_.find(from); pending != pending_joins_.end()) {
            auto waiting = std::move(pending->second.waiting);
            pending->second.timer->cancel();
            pending_joins_.erase(pending);
            for (auto& done : waiting) done(Status::ok());
          }
        }
        receive_next();
      });
}

void DiscoveryService::schedule_tick() {
  tick_timer_.expires_after(kTickInterval);
  tick_timer_.async_wait([this](error_code ec) {
    if (ec || stopped_) return;
    core_->tick();
    schedule_tick();
  });
}

// ---------------------------------------------------------------- push-pull

void DiscoveryService::schedule_push_pull() {
  // Jittered so a cluster started at once does not sync in lock step.
  const auto base = config_.gossip.push_pull_interval;
  const auto jitter = std::chrono::milliseconds(
      random_.uniform(0, static_cast<std::uint64_t>(base.count() / 4 + 1)));
  push_pull_timer_.expires_after(base + jitter);
  push_pull_timer_.async_wait([this](error_code ec) {
    if (ec || stopped_) return;
    if (auto partner = core_->random_live_member(); partner && partner->id != 0) {
      auto peer = partner->meta.find(gossip::kMetaPeer);
      if (peer != partner->meta.end()) {
        push_pull_with(NodeId{partner->id}, peer->second, [](Status) {});
      }
    }
    schedule_push_pull();
  });
}

void DiscoveryService::push_pull_with(NodeId id, const std::string& peer_address,
                                      std::function<void(Status)> done) {
  if (id == transport_->self()) return done(invalid_argument("cannot join through this node"));
  auto stats = transport_->stats(id);
  if (!stats || stats->address.empty()) transport_->add_peer(id, peer_address);
  transport_->call(id, transport::MessageType::kPushPull, core_->encode_push_pull(true),
                   kPushPullTimeout,
                   [this, alive = std::weak_ptr<bool>(alive_), done = std::move(done)](
                       Result<Bytes> reply) {
                     if (alive.expired() || stopped_) return done(cancelled("gossip stopped"));
                     if (!reply.is_ok()) return done(reply.status());
                     done(core_->merge_push_pull(*reply));
                   });
}

// ---------------------------------------------------------------- joins

void DiscoveryService::join(const std::string& address, std::function<void(Status)> done) {
  if (!started_ || stopped_) return done(unavailable("gossip is not running on this node"));
  if (core_->leaving()) return done(failed_precondition("this node has left the cluster"));
  auto [id, target] = split_seed(address);
  if (id) return push_pull_with(*id, target, std::move(done));
  join_gossip_address(target, std::move(done));
}

void DiscoveryService::join_gossip_address(const std::string& address,
                                           std::function<void(Status)> done) {
  auto host_port = transport::split_host_port(address);
  if (!host_port.is_ok()) return done(host_port.status());
  resolver_.async_resolve(
      host_port->first, host_port->second,
      [this, address, alive = std::weak_ptr<bool>(alive_), done = std::move(done)](
          error_code ec, udp::resolver::results_type results) mutable {
        if (alive.expired() || stopped_) return done(cancelled("gossip stopped"));
        if (ec || results.empty()) {
          return done(unavailable("cannot resolve " + address + ": " + ec.message()));
        }
        const std::string resolved = endpoint_text(results.begin()->endpoint());
        auto& pending = pending_joins_[resolved];
        pending.waiting.push_back(std::move(done));
        if (!pending.timer) {
          pending.timer = std::make_shared<asio::steady_timer>(io_);
          pending.timer->expires_after(kJoinTimeout);
          pending.timer->async_wait([this, resolved, address](error_code wait_ec) {
            if (wait_ec || stopped_) return;
            auto it = pending_joins_.find(resolved);
            if (it == pending_joins_.end()) return;
            auto waiting = std::move(it->second.waiting);
            pending_joins_.erase(it);
            for (auto& d : waiting) d(timeout_error("no gossip answer from " + address));
          });
        }
        core_->join(resolved);
      });
}

void DiscoveryService::join_seeds() {
  if (stopped_ || joined()) return;
  const std::string own_peer = transport_->listen_address();
  bool any = false;
  for (const auto& seed : config_.cluster.seeds) {
    auto [id, address] = split_seed(seed);
    if (id == transport_->self() || address == config_.addresses.gossip ||
        address == core_->local().address || address == own_peer ||
        address == config_.addresses.peer) {
      continue;
    }
    any = true;
    join(seed, [seed](Status st) {
      if (st.is_ok()) {
        spdlog::info("gossip: joined through seed {}", seed);
      } else {
        spdlog::debug("gossip: seed {}: {}", seed, st.to_string());
      }
    });
  }
  if (any) schedule_seed_retry();
}

// Retries with jittered exponential backoff until someone else is known.
void DiscoveryService::schedule_seed_retry() {
  const auto jitter = Duration(random_.uniform(0, static_cast<std::uint64_t>(seed_backoff_.count() / 4)));
  seed_timer_.expires_after(seed_backoff_ + jitter);
  seed_backoff_ = std::min<Duration>(seed_backoff_ * 2, config_.gossip.join_retry_max);
  seed_timer_.async_wait([this](error_code ec) {
    if (ec || stopped_ || joined()) return;
    spdlog::info("gossip: no member answered yet; retrying the seeds");
    join_seeds();
  });
}

// ---------------------------------------------------------------- local node

void DiscoveryService::leave(std::function<void()> done) {
  if (!started_ || stopped_) return done();
  spdlog::info("gossip: leaving the cluster");
  core_->leave();
  auto timer = std::make_shared<asio::steady_timer>(io_);
  timer->expires_after(kLeaveFlush);
  timer->async_wait([timer, done = std::move(done)](error_code) { done(); });
}

Status DiscoveryService::force_leave(const std::string& name, bool prune) {
  return core_->force_leave(name, prune);
}

void DiscoveryService::set_local_meta(std::string key, std::string value) {
  asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_), key = std::move(key),
                   value = std::move(value)] {
    if (alive.expired()) return;
    core_->set_local_meta(key, value);
  });
}

void DiscoveryService::refresh_meta() {
  if (stopped_) return;
  if (meta_source_) {
    for (const auto& [key, value] : meta_source_()) core_->set_local_meta(key, value);
  }
  meta_timer_.expires_after(std::chrono::seconds(1));
  meta_timer_.async_wait([this](error_code ec) {
    if (!ec) refresh_meta();
  });
}

std::optional<DiscoveryService::Member> DiscoveryService::member_by_id(NodeId id) const {
  std::optional<Member> found;
  for (const auto& m : core_->members()) {
    // A name may have several lives; the newest state wins.
    if (m.id == id.value() && (!found || m.state_since > found->state_since)) found = m;
  }
  return found;
}

ServerHealthSource DiscoveryService::server_health_source() const {
  return [this, alive = std::weak_ptr<bool>(alive_)](NodeId id) {
    ServerHealth health;
    if (alive.expired() || !started_) return health;
    auto member = member_by_id(id);
    if (!member) return health;
    switch (member->state) {
      case gossip::MemberState::kAlive:
      case gossip::MemberState::kSuspect:
        health.liveness = ServerLiveness::kAlive;
        break;
      case gossip::MemberState::kDead:
        health.liveness = ServerLiveness::kFailed;
        health.failed_for = SystemClock::instance().now() - member->state_since;
        break;
      case gossip::MemberState::kLeft:
        health.liveness = ServerLiveness::kLeft;
        break;
    }
    return health;
  };
}

void DiscoveryService::on_event(const MemberEvent& event) {
  using Kind = MemberEvent::Kind;
  const auto& m = event.member;
  switch (event.kind) {
    case Kind::kJoined:
      spdlog::info("gossip: member {} (id {}, {}) joined", m.name, m.id, m.address);
      break;
    case Kind::kStateChanged:
      spdlog::info("gossip: member {} (id {}) {} -> {}", m.name, m.id,
                   gossip::member_state_name(event.old_state),
                   gossip::member_state_name(event.new_state));
      break;
    case Kind::kUpdated:
      spdlog::debug("gossip: member {} updated its metadata", m.name);
      break;
    case Kind::kReaped:
      spdlog::info("gossip: member {} removed from the list", m.name);
      break;
  }
  for (const auto& observer : observers_) observer(event);
}

}  // namespace synod::node
