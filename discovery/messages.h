// The gossip wire messages and their encoding (docs/discovery.md).
//
// A packet is: magic 'G', protocol version, message count, then per message a
// type byte and a length-prefixed body. Pings and acks carry piggybacked
// membership updates (alive/suspect/dead) in the same packet. The decoder is
// a pure function over outside bytes: it bounds every length and count and
// returns an error instead of reading past the end.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "discovery/member.h"

namespace synod::discovery {

inline constexpr std::uint8_t kPacketMagic = 'G';
inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::uint8_t kProtocolMin = 1;
inline constexpr std::uint8_t kProtocolMax = 1;

enum class MessageKind : std::uint8_t {
  kPing = 1,
  kIndirectPing = 2,
  kAck = 3,
  kNack = 4,
  kAlive = 5,
  kSuspect = 6,
  kDead = 7,
  kSync = 8,
};

// "Are you alive?" to `target` (the receiver checks it is that member).
struct Ping {
  std::uint32_t seq = 0;
  std::string target;
  std::string source;
};
// "Please ping `target` for me and relay its ack" (SWIM's ping-req).
struct IndirectPing {
  std::uint32_t seq = 0;
  std::string target;
  std::string target_address;
  std::string source;
};
struct Ack {
  std::uint32_t seq = 0;
  std::string source;
};
// Lifeguard: the relay of an indirect ping heard nothing from the target.
struct Nack {
  std::uint32_t seq = 0;
};
struct Alive {
  std::uint32_t incarnation = 0;
  std::string name;
  std::uint64_t id = 0;
  std::string address;
  Meta meta;
};
struct Suspect {
  std::uint32_t incarnation = 0;
  std::string name;
  std::string from;
};
// from == name means the member left gracefully.
struct Dead {
  std::uint32_t incarnation = 0;
  std::string name;
  std::string from;
};
// Full state exchange (push-pull): every member the sender knows.
struct MemberRecord {
  Alive alive;
  MemberState state = MemberState::kAlive;
};
struct Sync {
  bool request = false;  // the receiver answers a request with its own Sync
  std::string source;
  std::vector<MemberRecord> members;
};

using Message = std::variant<Ping, IndirectPing, Ack, Nack, Alive, Suspect, Dead, Sync>;

// One message: its kind byte followed by its length-prefixed body.
Bytes encode_message(const Message& message);
// A packet of already encoded messages (at most 255).
Bytes encode_packet(const std::vector<Bytes>& encoded_messages);
// Decodes a whole packet; any malformed part rejects the packet.
Result<std::vector<Message>> decode_packet(ByteView packet);

// A Sync on its own (the push-pull payload over the peer transport).
Bytes encode_sync(const Sync& sync);
Result<Sync> decode_sync(ByteView data);

}  // namespace synod::discovery
