// PeerTransport: TCP connections between synod nodes (issue 5, docs/wire.md,
// docs/transport.md).
//
// - Listens on addresses.peer and dials the peers it is given; keeps ONE
//   connection per peer pair. When both sides dial at once, the connection
//   dialled by the LOWER node id wins on both sides; the other is closed.
// - Redials a lost peer with jittered exponential backoff
//   (transport.reconnect_min .. reconnect_max).
// - Each peer has an outbound queue bounded by transport.max_queue_bytes that
//   drops its OLDEST frames when full (outbound_queue.h). Frames queued in
//   one turn of the loop go out in one gather-write.
// - send() never blocks and never waits for a connection: it queues (also
//   while the peer is disconnected, within the bound) or refuses.
// - call() is request/response on top, matched by a call id, with a timeout.
// - Fault injection per peer (FaultRule) for partition tests.
//
// Threading: every method must be called on the thread that runs the
// io_context (the node's loop thread); handlers are invoked there too.
// Lifetime: create() returns a shared_ptr; pending Asio handlers hold
// references. Call stop() before dropping it: stop() closes every socket and
// timer, fails pending calls with kCancelled, and no handler runs afterwards.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.h"
#include "common/ids.h"
#include "common/random.h"
#include "common/status.h"
#include "config/node_config.h"
#include "node/transport/backoff.h"
#include "node/transport/connection.h"
#include "node/transport/fault_rule.h"
#include "node/transport/handshake.h"
#include "node/transport/message_type.h"
#include "node/transport/outbound_queue.h"
#include "node/transport/transport_metrics.h"

namespace synod::node::transport {

struct PeerTransportOptions {
  NodeId self;
  std::string cluster_name = "synod";          // cluster.name: peers must match
  std::string listen_address = "127.0.0.1:0";  // addresses.peer; port 0 = ephemeral
  std::string advertise_address;               // "": the bound listen address
  config::TransportSection limits;
  // Creates the per-connection handshake; null means HelloHandshake.
  std::shared_ptr<HandshakeFactory> handshake;
};

struct PeerStats {
  bool connected = false;
  std::string address;  // dial address ("" for a peer only known from inbound)
  std::uint64_t frames_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t writes = 0;  // gather-writes; frames_sent / writes = coalescing
  std::uint64_t frames_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t connections = 0;  // established, the first one included
  std::uint64_t reconnects = 0;   // established after the first
  std::uint64_t connection_failures = 0;
  std::uint64_t queue_drops = 0;
  std::uint64_t fault_drops = 0;
  std::uint64_t queue_bytes = 0;
  std::uint64_t queue_frames = 0;
  std::uint64_t connection_id = 0;  // of the active connection; 0 when none
  bool active_outbound = false;     // the active connection was dialled by this node
  bool dialing = false;             // a dial is under way or scheduled
};

class PeerTransport final : public std::enable_shared_from_this<PeerTransport>,
                            private ConnectionOwner {
 public:
  // One-way message from a peer; the view is valid during the call only.
  using Handler = std::function<void(NodeId from, MessageType type, std::string_view payload)>;
  // Answers a call exactly once (later calls are ignored); may be invoked
  // after the request handler returned (e.g. once a proposal commits).
  using Responder = std::function<void(Result<Bytes> response)>;
  using RequestHandler =
      std::function<void(NodeId from, MessageType type, std::string_view payload, Responder)>;
  using CallCallback = std::function<void(Result<Bytes> response)>;
  using ConnectionObserver = std::function<void(NodeId peer, bool connected)>;

  static std::shared_ptr<PeerTransport> create(asio::io_context& io, PeerTransportOptions options,
                                               Random& random);
  ~PeerTransport() override;
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Binds and listens on options.listen_address; errors name the address.
  Status start();
  void stop();
  // The bound listen address ("127.0.0.1:41234"), valid after start().
  [[nodiscard]] std::string listen_address() const;
  [[nodiscard]] NodeId self() const { return options_.self; }

  // Adds (or re-addresses) a peer and dials it. An empty address makes a
  // peer that is only reachable when it dials in.
  void add_peer(NodeId peer, std::string address);
  // Closes its connection, drops its queue and stops redialling.
  void remove_peer(NodeId peer);
  [[nodiscard]] bool connected(NodeId peer) const;
  [[nodiscard]] std::vector<NodeId> peers() const;
  [[nodiscard]] std::optional<PeerStats> stats(NodeId peer) const;

  // Queues a one-way frame. OK means queued (or dropped by fault injection,
  // which a sender must not be able to tell from loss); errors:
  // kUnavailable (unknown peer or stopped), kInvalidArgument (payload over
  // transport.max_frame_bytes or a reserved type), kResourceExhausted (larger
  // than the whole queue bound).
  Status send(NodeId to, MessageType type, Bytes payload);
  void set_handler(Handler handler) { handler_ = std::move(handler); }

  // Request/response: `callback` runs exactly once on the loop thread, with
  // the response, the responder's error, kTimeout, or kCancelled on stop().
  void call(NodeId to, MessageType type, Bytes payload, Duration timeout, CallCallback callback);
  void set_request_handler(RequestHandler handler) { request_handler_ = std::move(handler); }
  // Handlers for one application message type (e.g. kInfer, kPushPull): they
  // take precedence over set_handler()/set_request_handler() for that type,
  // so a subsystem plugs in without touching the Raft node's dispatch.
  void set_type_handler(MessageType type, Handler handler) {
    type_handlers_[type] = std::move(handler);
  }
  void set_type_request_handler(MessageType type, RequestHandler handler) {
    type_request_handlers_[type] = std::move(handler);
  }

  void set_connection_observer(ConnectionObserver observer) { observer_ = std::move(observer); }

  // Fault injection; rules may name peers not added yet.
  void set_fault(NodeId peer, FaultRule rule);
  void clear_faults();

 private:
  struct Peer;
  struct PendingCall {
    CallCallback callback;
    std::unique_ptr<asio::steady_timer> timer;
  };

  PeerTransport(asio::io_context& io, PeerTransportOptions options, Random& random);

  // ConnectionOwner.
  void on_established(const std::shared_ptr<Connection>& connection, NodeId peer,
                      const std::string& peer_address) override;
  void on_frame(Connection& connection, Frame frame) override;
  void fill_batch(Connection& connection, std::vector<OutboundMessage>& batch) override;
  void on_sent(Connection& connection, std::uint64_t frames, std::uint64_t bytes) override;
  void on_closed(Connection& connection, const CloseReason& reason) override;

  Peer& ensure_peer(NodeId id);
  Peer* find_peer(NodeId id);
  const Peer* find_peer(NodeId id) const;
  void accept_next();
  void start_connection(asio::ip::tcp::socket socket, bool outbound, NodeId expected);
  void dial(NodeId id);
  void on_dial_failed(NodeId id, const std::string& why);
  void schedule_redial(Peer& peer);
  void make_active(Peer& peer, const std::shared_ptr<Connection>& connection);
  Status send_message(NodeId to, OutboundMessage message);
  void enqueue(NodeId to, OutboundMessage message);
  void schedule_flush(Peer& peer);
  void deliver(NodeId from, Frame frame);
  void respond(NodeId to, MessageType type, std::uint64_t call_id, Result<Bytes> response);
  void finish_call(std::uint64_t call_id, Result<Bytes> result);
  [[nodiscard]] const FaultRule* fault_for(NodeId peer) const;

  asio::io_context& io_;
  PeerTransportOptions options_;
  Random& random_;
  std::shared_ptr<HandshakeFactory> handshake_factory_;
  ConnectionLimits connection_limits_;
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer accept_retry_timer_;
  std::string bound_address_;
  bool started_ = false;
  bool stopped_ = false;

  std::map<NodeId, std::unique_ptr<Peer>> peers_;
  std::set<std::shared_ptr<Connection>> connections_;  // every open connection
  std::map<NodeId, FaultRule> faults_;
  std::map<std::uint64_t, PendingCall> calls_;
  std::uint64_t next_call_id_ = 1;

  Handler handler_;
  RequestHandler request_handler_;
  std::map<MessageType, Handler> type_handlers_;
  std::map<MessageType, RequestHandler> type_request_handlers_;
  ConnectionObserver observer_;
};

// "host:port" or "[v6]:port" into its parts; errors name the input.
Result<std::pair<std::string, std::string>> split_host_port(std::string_view address);

}  // namespace synod::node::transport
