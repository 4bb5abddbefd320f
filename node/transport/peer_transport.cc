#include "node/transport/peer_transport.h"

#include <spdlog/spdlog.h>

#include "node/transport/call_codec.h"

namespace synod::node::transport {

struct PeerTransport::Peer {
  Peer(asio::io_context& io, NodeId peer_id, const config::TransportSection& limits)
      : id(peer_id),
        queue(limits.max_queue_bytes),
        redial_timer(io),
        backoff(limits.reconnect_min, limits.reconnect_max),
        metrics(peer_id) {}

  NodeId id;
  std::string address;     // "" = never dialled
  std::string advertised;  // what the active connection's peer advertised
  OutboundQueue queue;
  std::shared_ptr<Connection> active;
  std::shared_ptr<Connection> dialing;  // outbound connection still handshaking
  bool dial_in_progress = false;        // resolving, connecting or handshaking
  bool flush_posted = false;
  asio::steady_timer redial_timer;
  bool redial_armed = false;
  Backoff backoff;
  PeerStats stats;
  PeerMetrics metrics;
};

Result<std::pair<std::string, std::string>> split_host_port(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == address.size()) {
    return invalid_argument("address '" + std::string(address) + "' is not host:port");
  }
  std::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return invalid_argument("address '" + std::string(address) + "' has no host");
  return std::make_pair(std::string(host), std::string(address.substr(colon + 1)));
}

std::shared_ptr<PeerTransport> PeerTransport::create(asio::io_context& io,
                                                     PeerTransportOptions options, Random& random) {
  return std::shared_ptr<PeerTransport>(new PeerTransport(io, std::move(options), random));
}

PeerTransport::PeerTransport(asio::io_context& io, PeerTransportOptions options, Random& random)
    : io_(io),
      options_(std::move(options)),
      random_(random),
      handshake_factory_(options_.handshake ? options_.handshake
                                            : std::make_shared<HelloHandshakeFactory>()),
      acceptor_(io),
      resolver_(io),
      accept_retry_timer_(io) {
  connection_limits_.max_frame_bytes = options_.limits.max_frame_bytes;
  connection_limits_.handshake_timeout = options_.limits.connect_timeout;
}

PeerTransport::~PeerTransport() = default;

Status PeerTransport::start() {
  if (started_) return failed_precondition("transport already started");
  SYNOD_ASSIGN_OR_RETURN(auto host_port, split_host_port(options_.listen_address));
  error_code error;
  const auto address = asio::ip::make_address(host_port.first, error);
  if (error) {
    return invalid_argument("listen address '" + options_.listen_address +
                            "' needs an IP address: " + error.message());
  }
  unsigned long port = 0;
  try {
    port = std::stoul(host_port.second);
  } catch (...) {
    port = 65536;
  }
  if (port > 65535) return invalid_argument("bad port in '" + options_.listen_address + "'");
  const asio::ip::tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  const std::string where = "listening on " + options_.listen_address + ": ";
  if (acceptor_.open(endpoint.protocol(), error)) return io_error(where + error.message());
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), error)) {
    return io_error(where + error.message());
  }
  if (acceptor_.bind(endpoint, error)) return io_error(where + error.message());
  if (acceptor_.listen(asio::socket_base::max_listen_connections, error)) {
    return io_error(where + error.message());
  }
  const auto bound = acceptor_.local_endpoint(error);
  if (error) return io_error(where + error.message());
  bound_address_ = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                           : bound.address().to_string();
  bound_address_ += ":" + std::to_string(bound.port());
  if (options_.advertise_address.empty()) options_.advertise_address = bound_address_;
  started_ = true;
  spdlog::info("transport: node {} listening for peers on {}", options_.self.value(),
               bound_address_);
  accept_next();
  for (const auto& [id, peer] : peers_) dial(id);  // peers added before start()
  return Status::ok();
}

std::string PeerTransport::listen_address() const { return bound_address_; }

void PeerTransport::stop() {
  if (stopped_) return;
  stopped_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  resolver_.cancel();
  accept_retry_timer_.cancel();
  auto connections = std::move(connections_);
  connections_.clear();
  for (const auto& connection : connections) {
    connection->detach();
    connection->close({CloseReason::Kind::kLocal, "stop", cancelled("transport stopped")});
  }
  for (auto& [id, peer] : peers_) {
    peer->redial_timer.cancel();
    peer->active.reset();
    peer->dialing.reset();
    peer->metrics.connected.set(0);
    peer->metrics.queue_bytes.set(0);
  }
  auto calls = std::move(calls_);
  calls_.clear();
  for (auto& [id, call] : calls) {
    call.timer->cancel();
    call.callback(cancelled("transport stopped"));
  }
  handler_ = nullptr;
  request_handler_ = nullptr;
  type_handlers_.clear();
  type_request_handlers_.clear();
  observer_ = nullptr;
}

PeerTransport::Peer& PeerTransport::ensure_peer(NodeId id) {
  auto it = peers_.find(id);
  if (it == peers_.end()) {
    it = peers_.emplace(id, std::make_unique<Peer>(io_, id, options_.limits)).first;
  }
  return *it->second;
}

PeerTransport::Peer* PeerTransport::find_peer(NodeId id) {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

const PeerTransport::Peer* PeerTransport::find_peer(NodeId id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

void PeerTransport::add_peer(NodeId id, std::string address) {
  if (stopped_ || id == options_.self || id == kNoNode) return;
  Peer& peer = ensure_peer(id);
  const bool readdressed = peer.address != address;
  peer.address = std::move(address);
  peer.stats.address = peer.address;
  if (readdressed) peer.backoff.reset();
  dial(id);
}

void PeerTransport::remove_peer(NodeId id) {
  Peer* peer = find_peer(id);
  if (peer == nullptr) return;
  peer->redial_timer.cancel();
  peer->metrics.connected.set(0);
  peer->metrics.queue_bytes.set(0);
  // Keep the connections alive past the erase: close() calls on_closed,
  // which must find no peer any more.
  auto active = std::move(peer->active);
  auto dialing = std::move(peer->dialing);
  peers_.erase(id);
  const CloseReason reason{CloseReason::Kind::kLocal, "removed", cancelled("peer removed")};
  if (active) active->close(reason);
  if (dialing) dialing->close(reason);
  if (observer_ && active) observer_(id, false);
}

bool PeerTransport::connected(NodeId id) const {
  const Peer* peer = find_peer(id);
  return peer != nullptr && peer->active != nullptr;
}

std::vector<NodeId> PeerTransport::peers() const {
  std::vector<NodeId> out;
  for (const auto& [id, peer] : peers_) out.push_back(id);
  return out;
}

std::optional<PeerStats> PeerTransport::stats(NodeId id) const {
  const Peer* peer = find_peer(id);
  if (peer == nullptr) return std::nullopt;
  PeerStats stats = peer->stats;
  stats.connected = peer->active != nullptr;
  stats.queue_bytes = peer->queue.bytes();
  stats.queue_frames = peer->queue.size();
  stats.connection_id = peer->active ? peer->active->id() : 0;
  stats.active_outbound = peer->active && peer->active->outbound();
  stats.dialing = peer->dial_in_progress || peer->redial_armed;
  return stats;
}

// --- listening and dialling -------------------------------------------------

void PeerTransport::accept_next() {
  acceptor_.async_accept(
      [self = shared_from_this()](const error_code& error, asio::ip::tcp::socket socket) {
        if (self->stopped_) return;
        if (error) {
          // Typically EMFILE: keep serving, but do not spin.
          spdlog::warn("transport: accept failed: {}", error.message());
          self->accept_retry_timer_.expires_after(std::chrono::milliseconds(100));
          self->accept_retry_timer_.async_wait([self](const error_code& wait_error) {
            if (!wait_error && !self->stopped_) self->accept_next();
          });
          return;
        }
        self->start_connection(std::move(socket), /*outbound=*/false, kNoNode);
        self->accept_next();
      });
}

void PeerTransport::start_connection(asio::ip::tcp::socket socket, bool outbound, NodeId expected) {
  error_code ignored;
  socket.set_option(asio::socket_base::keep_alive(true), ignored);
  HandshakeContext context{options_.self, options_.cluster_name, options_.advertise_address,
                           outbound, expected};
  ConnectionOwner* owner = this;
  auto connection = std::make_shared<Connection>(
      std::move(socket), owner, handshake_factory_->create(context), connection_limits_, outbound);
  connections_.insert(connection);
  if (outbound) {
    if (Peer* peer = find_peer(expected)) peer->dialing = connection;
  }
  connection->start();
}

void PeerTransport::dial(NodeId id) {
  Peer* peer = find_peer(id);
  if (stopped_ || !started_ || peer == nullptr || peer->address.empty() || peer->active ||
      peer->dial_in_progress || peer->redial_armed) {
    return;
  }
  auto host_port = split_host_port(peer->address);
  if (!host_port.is_ok()) {
    spdlog::error("transport: cannot dial node {}: {}", id.value(), host_port.status().message());
    return;
  }
  peer->dial_in_progress = true;
  struct Attempt {
    explicit Attempt(asio::io_context& io) : socket(io), timer(io) {}
    asio::ip::tcp::socket socket;
    asio::steady_timer timer;
    bool timed_out = false;
  };
  auto attempt = std::make_shared<Attempt>(io_);
  resolver_.async_resolve(
      host_port->first, host_port->second,
      [self = shared_from_this(), id, attempt](const error_code& error,
                                               asio::ip::tcp::resolver::results_type results) {
        if (self->stopped_ || self->find_peer(id) == nullptr) return;
        if (error) {
          self->on_dial_failed(id, "resolve: " + error.message());
          return;
        }
        attempt->timer.expires_after(self->options_.limits.connect_timeout);
        attempt->timer.async_wait([attempt](const error_code& wait_error) {
          if (wait_error) return;
          attempt->timed_out = true;
          error_code ignored;
          attempt->socket.close(ignored);
        });
        asio::async_connect(
            attempt->socket, results,
            [self, id, attempt](const error_code& connect_error, const asio::ip::tcp::endpoint&) {
              attempt->timer.cancel();
              if (self->stopped_ || self->find_peer(id) == nullptr) return;
              if (connect_error) {
                self->on_dial_failed(id, attempt->timed_out
                                             ? "connect: timed out"
                                             : "connect: " + connect_error.message());
                return;
              }
              self->start_connection(std::move(attempt->socket),
                                     /*outbound=*/true, id);
            });
      });
}

void PeerTransport::on_dial_failed(NodeId id, const std::string& why) {
  Peer* peer = find_peer(id);
  if (peer == nullptr) return;
  peer->dial_in_progress = false;
  ++peer->stats.connection_failures;
  peer->metrics.connection_failures.inc();
  // The first failure of a run is worth a line; the retries are not.
  if (peer->backoff.attempts() == 0) {
    spdlog::warn("transport: cannot reach node {} at {}: {}", id.value(), peer->address, why);
  } else {
    spdlog::debug("transport: cannot reach node {} at {}: {}", id.value(), peer->address, why);
  }
  schedule_redial(*peer);
}

void PeerTransport::schedule_redial(Peer& peer) {
  if (stopped_ || peer.address.empty() || peer.active || peer.dial_in_progress ||
      peer.redial_armed) {
    return;
  }
  peer.redial_armed = true;
  peer.redial_timer.expires_after(peer.backoff.next(random_));
  peer.redial_timer.async_wait([self = shared_from_this(), id = peer.id](const error_code& error) {
    if (error || self->stopped_) return;
    Peer* peer = self->find_peer(id);
    if (peer == nullptr) return;
    peer->redial_armed = false;
    self->dial(id);
  });
}

// --- connection events ------------------------------------------------------

void PeerTransport::on_established(const std::shared_ptr<Connection>& connection, NodeId id,
                                   const std::string& peer_address) {
  Peer& peer = ensure_peer(id);
  if (peer.dialing == connection) {
    peer.dialing.reset();
    peer.dial_in_progress = false;
  }
  if (peer.active && peer.active != connection) {
    // Two live connections claiming one id from different addresses: the
    // newcomer is an impostor or a misconfigured clone; keep the first.
    if (!connection->outbound() && !peer_address.empty() && !peer.advertised.empty() &&
        peer_address != peer.advertised) {
      handshake_rejection_counter("duplicate_id").inc();
      connection->close(
          {CloseReason::Kind::kHandshakeFailed, "duplicate_id",
           already_exists("node " + id.to_string() + " is already connected from " +
                          peer.advertised + "; refusing a second one from " + peer_address)});
      return;
    }
    // Simultaneous dial: both sides keep the connection that the lower node
    // id dialled, so they agree without talking. Same direction: the newer
    // one wins (the old one is most likely half-open after a peer restart).
    const bool self_lower = options_.self < id;
    const bool new_preferred = connection->outbound() == self_lower;
    const bool old_preferred = peer.active->outbound() == self_lower;
    if (old_preferred && !new_preferred) {
      connection->retire({CloseReason::Kind::kLocal, "tie_break",
                          aborted("duplicate connection; keeping the one node " +
                                  std::min(options_.self, id).to_string() + " dialled")});
      return;
    }
    auto old = std::move(peer.active);
    peer.active = connection;
    old->retire({CloseReason::Kind::kLocal, "superseded",
                 aborted("replaced by a newer connection to the same peer")});
  }
  peer.advertised = peer_address;
  make_active(peer, connection);
}

void PeerTransport::make_active(Peer& peer, const std::shared_ptr<Connection>& connection) {
  const bool was_connected = peer.active != nullptr;
  peer.active = connection;
  peer.redial_timer.cancel();
  peer.redial_armed = false;
  peer.backoff.reset();
  if (peer.stats.connections > 0 && !was_connected) {
    ++peer.stats.reconnects;
    peer.metrics.reconnects.inc();
  }
  ++peer.stats.connections;
  peer.metrics.connected.set(1);
  spdlog::info("transport: node {} connected to node {} ({} {}, channel {})", options_.self.value(),
               peer.id.value(), connection->outbound() ? "dialled" : "accepted",
               connection->remote(), connection->sealer_name());
  if (observer_ && !was_connected) observer_(peer.id, true);
  connection->flush();
}

void PeerTransport::on_closed(Connection& connection, const CloseReason& reason) {
  std::shared_ptr<Connection> keep;  // the set may hold the last reference
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    if (it->get() == &connection) {
      keep = *it;
      connections_.erase(it);
      break;
    }
  }
  using Kind = CloseReason::Kind;
  const std::string who = connection.peer() != kNoNode ? "node " + connection.peer().to_string()
                                                       : "peer " + connection.remote();
  switch (reason.kind) {
    case Kind::kDecodeError:
    case Kind::kUnseal:
    case Kind::kProtocol:
      decode_error_counter(reason.label).inc();
      spdlog::warn("transport: closing connection from {}: {} ({})", who, reason.status.message(),
                   reason.label);
      break;
    case Kind::kHandshakeFailed:
    case Kind::kHandshakeTimeout:
      if (reason.label != "duplicate_id") handshake_rejection_counter(reason.label).inc();
      spdlog::warn("transport: handshake with {} refused: {} ({})", who, reason.status.message(),
                   reason.label);
      break;
    case Kind::kIoError:
      spdlog::info("transport: connection to {} failed: {}", who, reason.status.message());
      break;
    case Kind::kPeerClosed:
    case Kind::kLocal:
      spdlog::debug("transport: connection to {} closed: {}", who, reason.status.message());
      break;
  }
  // Find the peer this connection was (or was becoming) for.
  Peer* peer = nullptr;
  for (auto& [id, candidate] : peers_) {
    if (candidate->active.get() == &connection || candidate->dialing.get() == &connection) {
      peer = candidate.get();
      break;
    }
  }
  if (peer == nullptr) return;
  if (peer->dialing.get() == &connection) {
    peer->dialing.reset();
    peer->dial_in_progress = false;
    if (reason.kind != Kind::kLocal) {
      on_dial_failed(peer->id, reason.status.message());
      return;
    }
  }
  if (peer->active.get() == &connection) {
    peer->active.reset();
    peer->metrics.connected.set(0);
    spdlog::info("transport: node {} lost connection to node {}: {}", options_.self.value(),
                 peer->id.value(), reason.status.message());
    if (observer_) observer_(peer->id, false);
  }
  schedule_redial(*peer);
}

void PeerTransport::fill_batch(Connection& connection, std::vector<OutboundMessage>& batch) {
  Peer* peer = find_peer(connection.peer());
  if (peer == nullptr || peer->active.get() != &connection) return;
  const std::size_t room = connection_limits_.max_batch_frames > batch.size()
                               ? connection_limits_.max_batch_frames - batch.size()
                               : 0;
  if (room == 0) return;
  auto taken = peer->queue.take_batch(room, connection_limits_.max_batch_bytes);
  for (auto& message : taken) batch.push_back(std::move(message));
  peer->metrics.queue_bytes.set(static_cast<double>(peer->queue.bytes()));
}

void PeerTransport::on_sent(Connection& connection, std::uint64_t frames, std::uint64_t bytes) {
  Peer* peer = find_peer(connection.peer());
  if (peer == nullptr) return;
  peer->stats.frames_sent += frames;
  peer->stats.bytes_sent += bytes;
  ++peer->stats.writes;
  peer->metrics.frames_sent.inc(static_cast<double>(frames));
  peer->metrics.bytes_sent.inc(static_cast<double>(bytes));
  peer->metrics.writes.inc();
}

void PeerTransport::on_frame(Connection& connection, Frame frame) {
  const NodeId from = connection.peer();
  Peer* peer = find_peer(from);
  if (peer == nullptr) return;  // removed while frames were in flight
  ++peer->stats.frames_received;
  peer->stats.bytes_received += kFrameHeaderSize + frame.payload.size();
  peer->metrics.frames_received.inc();
  peer->metrics.bytes_received.inc(static_cast<double>(kFrameHeaderSize + frame.payload.size()));
  if (const FaultRule* rule = fault_for(from)) {
    if (rule->drop_in > 0 && random_.chance(rule->drop_in)) {
      ++peer->stats.fault_drops;
      peer->metrics.fault_drops.inc();
      return;
    }
    if (rule->delay_in.count() > 0) {
      auto timer = std::make_shared<asio::steady_timer>(io_, rule->delay_in);
      auto shared_frame = std::make_shared<Frame>(std::move(frame));
      timer->async_wait([self = shared_from_this(), timer, from, shared_frame](const error_code&) {
        if (!self->stopped_) self->deliver(from, std::move(*shared_frame));
      });
      return;
    }
  }
  deliver(from, std::move(frame));
}

// --- sending ----------------------------------------------------------------

const FaultRule* PeerTransport::fault_for(NodeId peer) const {
  auto it = faults_.find(peer);
  return it == faults_.end() ? nullptr : &it->second;
}

void PeerTransport::set_fault(NodeId peer, FaultRule rule) {
  spdlog::warn(
      "transport: fault injection for node {}: drop in {:.2f} out {:.2f}, delay in {} ms "
      "out {} ms",
      peer.value(), rule.drop_in, rule.drop_out, to_millis(rule.delay_in),
      to_millis(rule.delay_out));
  if (rule.active()) {
    faults_[peer] = rule;
  } else {
    faults_.erase(peer);
  }
}

void PeerTransport::clear_faults() {
  if (!faults_.empty()) spdlog::warn("transport: fault injection cleared");
  faults_.clear();
}

Status PeerTransport::send(NodeId to, MessageType type, Bytes payload) {
  if (!is_application_type(type)) {
    return invalid_argument("message type " + std::to_string(to_wire(type)) +
                            " is reserved for the transport");
  }
  return send_message(to, {type, 0, std::move(payload)});
}

Status PeerTransport::send_message(NodeId to, OutboundMessage message) {
  if (stopped_) {
    send_refusal_counter("stopped").inc();
    return unavailable("transport stopped");
  }
  Peer* peer = find_peer(to);
  if (peer == nullptr) {
    send_refusal_counter("unknown_peer").inc();
    return unavailable("unknown peer " + to.to_string());
  }
  if (message.payload.size() > options_.limits.max_frame_bytes) {
    send_refusal_counter("too_large").inc();
    return invalid_argument("payload of " + std::to_string(message.payload.size()) +
                            " bytes exceeds transport.max_frame_bytes (" +
                            std::to_string(options_.limits.max_frame_bytes) + ")");
  }
  if (message.wire_bytes() > options_.limits.max_queue_bytes) {
    send_refusal_counter("too_large").inc();
    return resource_exhausted("frame larger than transport.max_queue_bytes");
  }
  if (const FaultRule* rule = fault_for(to)) {
    if (rule->drop_out > 0 && random_.chance(rule->drop_out)) {
      ++peer->stats.fault_drops;
      peer->metrics.fault_drops.inc();
      return Status::ok();
    }
    if (rule->delay_out.count() > 0) {
      auto timer = std::make_shared<asio::steady_timer>(io_, rule->delay_out);
      auto shared_message = std::make_shared<OutboundMessage>(std::move(message));
      timer->async_wait([self = shared_from_this(), timer, to, shared_message](const error_code&) {
        if (!self->stopped_) self->enqueue(to, std::move(*shared_message));
      });
      return Status::ok();
    }
  }
  enqueue(to, std::move(message));
  return Status::ok();
}

void PeerTransport::enqueue(NodeId to, OutboundMessage message) {
  Peer* peer = find_peer(to);
  if (peer == nullptr) return;
  const PushResult pushed = peer->queue.push(std::move(message));
  if (pushed.dropped_messages > 0) {
    peer->stats.queue_drops += pushed.dropped_messages;
    peer->metrics.queue_drops.inc(static_cast<double>(pushed.dropped_messages));
  }
  peer->metrics.queue_bytes.set(static_cast<double>(peer->queue.bytes()));
  schedule_flush(*peer);
}

void PeerTransport::schedule_flush(Peer& peer) {
  // Everything queued during this turn of the loop goes out in one write.
  if (peer.flush_posted || !peer.active) return;
  peer.flush_posted = true;
  asio::post(io_, [self = shared_from_this(), id = peer.id] {
    Peer* peer = self->find_peer(id);
    if (peer == nullptr) return;
    peer->flush_posted = false;
    if (!self->stopped_ && peer->active) peer->active->flush();
  });
}

// --- delivery and calls -----------------------------------------------------

void PeerTransport::deliver(NodeId from, Frame frame) {
  const std::uint8_t flags = frame.header.flags;
  const MessageType type = frame.header.type;
  if ((flags & (frame_flags::kRequest | frame_flags::kResponse)) == 0) {
    if (auto it = type_handlers_.find(type); it != type_handlers_.end()) {
      it->second(from, type, frame.payload);
    } else if (handler_) {
      handler_(from, type, frame.payload);
    }
    return;
  }
  auto call = decode_call(frame.payload);
  if (!call.is_ok()) {
    decode_error_counter("call_id").inc();
    spdlog::warn("transport: dropping call frame from node {}: {}", from.value(),
                 call.status().message());
    return;
  }
  if ((flags & frame_flags::kResponse) != 0) {
    if ((flags & frame_flags::kError) != 0) {
      finish_call(call->call_id, decode_call_failure(call->body));
    } else {
      finish_call(call->call_id, Bytes(call->body));
    }
    return;
  }
  auto typed = type_request_handlers_.find(type);
  const RequestHandler& handler =
      typed != type_request_handlers_.end() ? typed->second : request_handler_;
  if (!handler) {
    respond(from, type, call->call_id, unimplemented("no request handler on this node"));
    return;
  }
  auto answered = std::make_shared<bool>(false);
  std::weak_ptr<PeerTransport> weak = weak_from_this();
  Responder responder = [weak, from, type, id = call->call_id, answered](Result<Bytes> response) {
    if (*answered) return;
    *answered = true;
    if (auto self = weak.lock()) self->respond(from, type, id, std::move(response));
  };
  handler(from, type, call->body, std::move(responder));
}

void PeerTransport::respond(NodeId to, MessageType type, std::uint64_t call_id,
                            Result<Bytes> response) {
  if (stopped_) return;
  OutboundMessage message{type, frame_flags::kResponse, {}};
  if (response.is_ok()) {
    message.payload = encode_call(call_id, *response);
  } else {
    message.flags |= frame_flags::kError;
    message.payload = encode_call_failure(call_id, response.status());
  }
  Status status = send_message(to, std::move(message));
  if (!status.is_ok()) {
    spdlog::debug("transport: response to node {} dropped: {}", to.value(), status.message());
  }
}

void PeerTransport::call(NodeId to, MessageType type, Bytes payload, Duration timeout,
                         CallCallback callback) {
  const std::uint64_t id = next_call_id_++;
  Status status = is_application_type(type)
                      ? send_message(to, {type, frame_flags::kRequest, encode_call(id, payload)})
                      : invalid_argument("message type reserved for the transport");
  if (!status.is_ok()) {
    // Never call back from inside call(): the caller may hold locks or state.
    asio::post(io_, [callback = std::move(callback), status] { callback(status); });
    return;
  }
  PendingCall pending{std::move(callback), std::make_unique<asio::steady_timer>(io_, timeout)};
  pending.timer->async_wait([self = shared_from_this(), id, to](const error_code& error) {
    if (error) return;
    self->finish_call(id, timeout_error("no response from node " + to.to_string() + " in time"));
  });
  calls_.emplace(id, std::move(pending));
}

void PeerTransport::finish_call(std::uint64_t call_id, Result<Bytes> result) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;  // answered after its timeout
  PendingCall call = std::move(it->second);
  calls_.erase(it);
  call.timer->cancel();
  call.callback(std::move(result));
}

}  // namespace synod::node::transport
