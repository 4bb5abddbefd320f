// Handshake: the exchange that opens every peer connection before any
// application frame flows. It is a pure state machine, fed frames and
// returning frames to send, so it can be tested and fuzzed without sockets.
//
// The default (HelloHandshake) exchanges node ids, cluster name and protocol
// version in the clear. Issue 8 replaces it, through HandshakeFactory, with
// an authenticated key exchange whose outcome carries a real FrameSealer.
//
// Contract: called on the loop thread only. start() runs once when the TCP
// connection opens (on both sides); on_frame() runs for each handshake-type
// frame (MessageType 1..15) until done() is true. Any non-OK Status closes
// the connection; failure_reason() is then the metric label.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/status.h"
#include "node/transport/frame.h"
#include "node/transport/frame_sealer.h"

namespace synod::node::transport {

struct HandshakeContext {
  NodeId self;
  std::string cluster_name;
  std::string advertise_address;
  bool initiator = false;          // true when this side dialled
  NodeId expected_peer = kNoNode;  // the id dialled; kNoNode for inbound connections
};

struct HandshakeOutcome {
  NodeId peer = kNoNode;
  std::string peer_address;             // as the peer advertised it ("" if unknown)
  std::unique_ptr<FrameSealer> sealer;  // never null once done()
};

class Handshake {
 public:
  virtual ~Handshake() = default;
  virtual Status start(std::vector<Frame>& send) = 0;
  virtual Status on_frame(const Frame& frame, std::vector<Frame>& send) = 0;
  [[nodiscard]] virtual bool done() const = 0;
  // Valid once done(); called once.
  virtual HandshakeOutcome take_outcome() = 0;
  // Metric label of the last failure ("wrong_cluster", "malformed", ...).
  [[nodiscard]] virtual std::string_view failure_reason() const = 0;
};

class HandshakeFactory {
 public:
  virtual ~HandshakeFactory() = default;
  virtual std::unique_ptr<Handshake> create(const HandshakeContext& context) = 0;
};

// The plain Hello exchange; the outcome's sealer is an IdentitySealer.
class HelloHandshake final : public Handshake {
 public:
  explicit HelloHandshake(HandshakeContext context) : context_(std::move(context)) {}
  Status start(std::vector<Frame>& send) override;
  Status on_frame(const Frame& frame, std::vector<Frame>& send) override;
  [[nodiscard]] bool done() const override { return done_; }
  HandshakeOutcome take_outcome() override;
  [[nodiscard]] std::string_view failure_reason() const override { return failure_reason_; }

 private:
  Status fail(std::string_view reason, Status status);

  HandshakeContext context_;
  bool done_ = false;
  HandshakeOutcome outcome_;
  std::string failure_reason_;
};

class HelloHandshakeFactory final : public HandshakeFactory {
 public:
  std::unique_ptr<Handshake> create(const HandshakeContext& context) override {
    return std::make_unique<HelloHandshake>(context);
  }
};

}  // namespace synod::node::transport
