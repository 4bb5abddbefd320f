// The message types carried in a frame header (docs/wire.md).
//
// Types below kFirstApplicationType belong to the transport itself (handshake,
// channel control for the crypto layer) and are never handed to the
// application handler. Higher types are the node's: Raft messages, forwarded
// HTTP requests and whatever later issues add. An unknown application type is
// delivered as is; the handler decides what to do with it.
#pragma once

#include <cstdint>
#include <string>

namespace synod::node::transport {

enum class MessageType : std::uint16_t {
  kInvalid = 0,
  kHello = 1,           // the default handshake (proto/peer.proto Hello)
  kHandshakeFirst = 2,  // 2..15: reserved for replacement handshakes (issue 8)
  kHandshakeLast = 15,
  kChannelControlFirst = 16,  // 16..31: control frames of the FrameSealer (rekey, ...)
  kChannelControlLast = 31,
  kFirstApplicationType = 32,
  kRaft = 32,      // a consensus message
  kForward = 33,   // a client request forwarded to the leader (call/response)
  kJoin = 34,      // a new node asks to be added as a learner (call/response)
  kAdmin = 35,     // an operator request (transfer, remove) relayed to the leader
  kInfer = 36,     // an inference request forwarded to a node serving the model (issue 9)
  kPushPull = 37,  // gossip push-pull state sync over the peer channel (issue 7)
  kTest = 0xFFF0,  // used by tests and benchmarks
};

constexpr std::uint16_t to_wire(MessageType type) { return static_cast<std::uint16_t>(type); }
constexpr bool is_application_type(MessageType type) {
  return to_wire(type) >= to_wire(MessageType::kFirstApplicationType);
}
constexpr bool is_handshake_type(MessageType type) {
  return to_wire(type) >= to_wire(MessageType::kHello) &&
         to_wire(type) <= to_wire(MessageType::kHandshakeLast);
}
constexpr bool is_channel_control_type(MessageType type) {
  return to_wire(type) >= to_wire(MessageType::kChannelControlFirst) &&
         to_wire(type) <= to_wire(MessageType::kChannelControlLast);
}

inline std::string message_type_name(MessageType type) {
  switch (type) {
    case MessageType::kInvalid:
      return "invalid";
    case MessageType::kHello:
      return "hello";
    case MessageType::kRaft:
      return "raft";
    case MessageType::kForward:
      return "forward";
    case MessageType::kJoin:
      return "join";
    case MessageType::kAdmin:
      return "admin";
    case MessageType::kInfer:
      return "infer";
    case MessageType::kPushPull:
      return "push_pull";
    case MessageType::kTest:
      return "test";
    default:
      return "type-" + std::to_string(to_wire(type));
  }
}

}  // namespace synod::node::transport
