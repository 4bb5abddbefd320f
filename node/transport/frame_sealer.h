// FrameSealer: the per-connection payload transform that the crypto and
// compression layer (issue 8) plugs in. The transport owns one sealer per
// established connection, created by the handshake (handshake.h).
//
// Contract:
// - Called only on the transport's loop thread, one connection at a time;
//   an implementation needs no locking.
// - seal() runs once per outbound frame, in the exact order the frames are
//   written to the socket, right before the header is encoded. It may rewrite
//   the payload (compress, encrypt) and set codec_id, key_epoch, counter and
//   the sealer flag bits (frame_flags::kSealerMask). The transport then sets
//   payload_length from the sealed payload. The type and the transport flag
//   bits are final when seal() runs, so a sealer may authenticate them.
// - open() runs once per inbound frame, in arrival order, before anything
//   else looks at the payload. It must undo seal() or fail; a failure closes
//   the connection with the Status message as the logged reason and the
//   metric reason "unseal".
// - attach() runs once when the connection is established, before any frame
//   is sealed or opened. The sink stays valid for the sealer's whole life
//   (both belong to the connection), so a sealer may keep it to start a rekey
//   on its own schedule.
// - Frames of the channel-control types (MessageType 16..31) are handed to
//   on_control() after open() instead of the application; the sealer may
//   answer through `sink` (e.g. a rekey exchange).
#pragma once

#include <memory>
#include <string_view>

#include "common/status.h"
#include "node/transport/frame.h"

namespace synod::node::transport {

// Lets a sealer send its own control frames on its connection.
class ControlSink {
 public:
  virtual ~ControlSink() = default;
  // Queues a channel-control frame (type in 16..31); it is sealed and goes
  // out at the front of the next write, ahead of queued application frames.
  virtual void send_control(MessageType type, Bytes payload) = 0;
};

class FrameSealer {
 public:
  virtual ~FrameSealer() = default;
  // A short name for logs ("identity", "xchacha20poly1305+lz4").
  [[nodiscard]] virtual std::string_view name() const = 0;
  virtual void attach(ControlSink& /*sink*/) {}
  // The most seal() may add to a payload (an AEAD tag); the transport keeps
  // payload + max_expansion() within transport.max_frame_bytes.
  [[nodiscard]] virtual std::size_t max_expansion() const { return 0; }
  virtual Status seal(FrameHeader& header, Bytes& payload) = 0;
  virtual Status open(FrameHeader& header, Bytes& payload) = 0;
  // A channel-control frame arrived. The default refuses it.
  virtual Status on_control(const FrameHeader& header, ByteView payload, ControlSink& sink);
};

// The default: payloads travel as they are. open() refuses frames whose
// codec id, key epoch, counter or sealer flag bits are set, since a peer that
// sets them expects a transform this side does not apply.
class IdentitySealer final : public FrameSealer {
 public:
  [[nodiscard]] std::string_view name() const override { return "identity"; }
  Status seal(FrameHeader& header, Bytes& payload) override;
  Status open(FrameHeader& header, Bytes& payload) override;
};

}  // namespace synod::node::transport
