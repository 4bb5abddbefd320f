// DiscoveryService: runs the gossip core (discovery/memberlist.h) on the
// node's event loop: a UDP socket on addresses.gossip for SWIM packets,
// push-pull state sync over the peer transport (MessageType::kPushPull),
// seeds and run-time joins with backoff, and the local node's metadata.
//
// For other subsystems:
//   - members() / member_by_id(): the current member list (loop thread);
//   - add_observer(): called on the loop thread for every member event
//     (joined, state changed alive/suspect/dead/left, updated, reaped), e.g.
//     to drive Consul's serfHealth check;
//   - set_local_meta(key, value): thread-safe (posts to the loop); the new
//     value is gossiped to every member (e.g. "models", "load", "inflight").
//
// Threading: everything but set_local_meta() runs on the loop thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/ids.h"
#include "common/random.h"
#include "common/status.h"
#include "config/node_config.h"
#include "discovery/memberlist.h"
#include "discovery/packet_sealer.h"
#include "node/discovery/server_health.h"
#include "node/transport/peer_transport.h"

namespace synod::node {

class DiscoveryService final : private synod::discovery::PacketSink {
 public:
  using Member = synod::discovery::Member;
  using MemberEvent = synod::discovery::MemberEvent;
  using MemberObserver = std::function<void(const MemberEvent&)>;
  // Metadata recomputed every second by the owner (e.g. the Raft role).
  using MetaSource = std::function<synod::discovery::Meta()>;

  struct Identity {
    std::string name;
    NodeId id;
    synod::discovery::Meta meta;  // initial tags: build, dc, http, peer, ...
  };

  // `sealer` null: packets go out unsealed (with a start-up warning when
  // gossip.encrypt is true).
  DiscoveryService(asio::io_context& io, const config::NodeConfig& config, Identity identity,
                   std::shared_ptr<transport::PeerTransport> transport,
                   std::shared_ptr<synod::discovery::PacketSealer> sealer = nullptr);
  ~DiscoveryService() override;
  DiscoveryService(const DiscoveryService&) = delete;
  DiscoveryService& operator=(const DiscoveryService&) = delete;

  // Binds the UDP socket, registers the push-pull handler and starts the
  // gossip timers and the seed join. With gossip.enabled false, it does
  // nothing and members() lists this node only.
  Status start();
  void stop();
  [[nodiscard]] bool enabled() const { return config_.gossip.enabled; }

  // Joins through `address`: a gossip address "host:port" (host names are
  // resolved; UDP push-pull) or a peer address "id@host:port" (push-pull on
  // the peer transport). `done` gets OK once the seed answered.
  void join(const std::string& address, std::function<void(Status)> done);
  // Tells every member this node left; `done` runs once the packets are out.
  void leave(std::function<void()> done);
  Status force_leave(const std::string& name, bool prune);

  void set_local_meta(std::string key, std::string value);
  void set_meta_source(MetaSource source) { meta_source_ = std::move(source); }
  void add_observer(MemberObserver observer) { observers_.push_back(std::move(observer)); }

  [[nodiscard]] std::vector<Member> members() const { return core_->members(); }
  [[nodiscard]] const Member& local() const { return core_->local(); }
  [[nodiscard]] std::optional<Member> member_by_id(NodeId id) const;
  [[nodiscard]] bool leaving() const { return core_->leaving(); }
  // Liveness of a server by node id, for RaftNode::set_server_health().
  [[nodiscard]] ServerHealthSource server_health_source() const;
  [[nodiscard]] std::uint32_t health_score() const { return core_->health_score(); }
  // The bound UDP address (valid after start()).
  [[nodiscard]] std::string bound_address() const { return bound_address_; }

 private:
  void send_packet(const std::string& address, Bytes packet) override;
  void receive_next();
  void schedule_tick();
  void schedule_push_pull();
  void push_pull_with(NodeId id, const std::string& peer_address,
                      std::function<void(Status)> done);
  void join_seeds();
  void schedule_seed_retry();
  void join_gossip_address(const std::string& address, std::function<void(Status)> done);
  void on_event(const MemberEvent& event);
  void refresh_meta();
  [[nodiscard]] bool joined() const { return core_->live_count() > 1; }

  asio::io_context& io_;
  const config::NodeConfig& config_;
  std::shared_ptr<transport::PeerTransport> transport_;
  std::shared_ptr<synod::discovery::PacketSealer> sealer_;
  SystemRandom random_;
  std::unique_ptr<synod::discovery::Memberlist> core_;
  asio::ip::udp::socket socket_;
  asio::ip::udp::resolver resolver_;
  asio::steady_timer tick_timer_;
  asio::steady_timer push_pull_timer_;
  asio::steady_timer seed_timer_;
  asio::steady_timer meta_timer_;
  asio::ip::udp::endpoint sender_;
  std::vector<char> receive_buffer_;
  std::string bound_address_;
  std::map<std::string, asio::ip::udp::endpoint> endpoints_;  // parsed member addresses
  struct PendingJoin {
    std::vector<std::function<void(Status)>> waiting;
    std::shared_ptr<asio::steady_timer> timer;
  };
  std::map<std::string, PendingJoin> pending_joins_;  // by resolved "ip:port"
  std::vector<MemberObserver> observers_;
  MetaSource meta_source_;
  Duration seed_backoff_{};
  MonoTime last_bad_packet_log_{};
  bool started_ = false;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace synod::node
