// OutboundQueue: the per-peer queue of frames waiting for the socket.
//
// Bounded by bytes (transport.max_queue_bytes; a frame counts its header plus
// payload). Policy when a push would exceed the bound: the OLDEST queued
// frames are dropped until the new one fits. Every frame here is droppable:
// Raft retransmits what a follower did not acknowledge, and a dropped
// request of call() ends in its timeout. Newest-wins keeps the freshest Raft
// state flowing to a slow peer instead of blocking the loop (never
// backpressure). A frame larger than the whole bound is refused.
//
// The connection drains it in batches: take_batch() hands over many frames
// at once so they go out in one gather-write. Pure and single-threaded.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "node/transport/frame.h"

namespace synod::node::transport {

struct OutboundMessage {
  MessageType type = MessageType::kInvalid;
  std::uint8_t flags = 0;
  Bytes payload;

  [[nodiscard]] std::uint64_t wire_bytes() const { return kFrameHeaderSize + payload.size(); }
};

struct PushResult {
  bool accepted = false;  // false: the message alone exceeds the bound
  std::uint64_t dropped_messages = 0;
  std::uint64_t dropped_bytes = 0;
};

class OutboundQueue {
 public:
  explicit OutboundQueue(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}

  PushResult push(OutboundMessage message);
  // Removes frames from the front: at least one (if any), then more while
  // both limits hold.
  std::vector<OutboundMessage> take_batch(std::size_t max_messages, std::uint64_t max_bytes);
  // Drops everything (peer removed); returns the number of frames dropped.
  std::size_t clear();

  [[nodiscard]] std::uint64_t bytes() const { return bytes_; }
  [[nodiscard]] std::size_t size() const { return messages_.size(); }
  [[nodiscard]] bool empty() const { return messages_.empty(); }

 private:
  std::uint64_t max_bytes_;
  std::uint64_t bytes_ = 0;
  std::deque<OutboundMessage> messages_;
};

}  // namespace synod::node::transport
