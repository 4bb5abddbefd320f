// Connection: one TCP connection to a peer. It only moves bytes: it runs the
// handshake, decodes inbound frames, opens them with the sealer and hands
// them to its owner (the PeerTransport), and writes batches of frames that
// the owner supplies in one gather-write. Which connection serves which peer,
// queues, faults and metrics are the owner's business.
//
// Lives in a shared_ptr; every pending Asio operation holds a reference, so
// the object outlives its handlers. Loop thread only.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/clock.h"
#include "node/transport/frame_decoder.h"
#include "node/transport/frame_sealer.h"
#include "node/transport/handshake.h"
#include "node/transport/outbound_queue.h"

namespace synod::node::transport {

class Connection;

// Why a connection ended; `label` is the metric reason.
struct CloseReason {
  enum class Kind {
    kLocal,            // closed by this node (stop, tie-break, peer removed)
    kPeerClosed,       // orderly EOF at a frame boundary
    kIoError,          // socket error
    kDecodeError,      // bad bytes from the peer (label: FrameError name)
    kHandshakeFailed,  // label: Handshake::failure_reason()
    kHandshakeTimeout,
    kUnseal,    // FrameSealer::open or on_control failed
    kProtocol,  // a well-formed frame that is not allowed here
  };
  Kind kind = Kind::kLocal;
  std::string label;
  Status status;
};

class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  // The handshake finished; the connection now carries application frames.
  virtual void on_established(const std::shared_ptr<Connection>& connection, NodeId peer,
                              const std::string& peer_address) = 0;
  // An opened application frame (type >= kFirstApplicationType).
  virtual void on_frame(Connection& connection, Frame frame) = 0;
  // The connection can write: append frames to `batch` (may add none).
  virtual void fill_batch(Connection& connection, std::vector<OutboundMessage>& batch) = 0;
  // A batch reached the kernel.
  virtual void on_sent(Connection& connection, std::uint64_t frames, std::uint64_t bytes) = 0;
  // Called exactly once, after the socket closed.
  virtual void on_closed(Connection& connection, const CloseReason& reason) = 0;
};

struct ConnectionLimits {
  std::uint64_t max_frame_bytes = 16 << 20;
  Duration handshake_timeout = std::chrono::seconds(1);
  std::size_t max_batch_frames = 1024;
  std::uint64_t max_batch_bytes = 4 << 20;
};

class Connection final : public std::enable_shared_from_this<Connection>, private ControlSink {
 public:
  Connection(asio::ip::tcp::socket socket, ConnectionOwner* owner,
             std::unique_ptr<Handshake> handshake, ConnectionLimits limits, bool outbound);

  // Sends the handshake's first frames and starts reading.
  void start();
  // Starts a write if none is running and there is something to write.
  void flush();
  // Closes the socket; the owner's on_closed runs (synchronously) once.
  void close(CloseReason reason);
  // Graceful close for a connection that lost a tie-break or was superseded:
  // writes nothing new, half-closes once the current write is done, but keeps
  // reading and delivering until the peer closes its side too (or the
  // handshake timeout passes). Frames either side wrote before it learned of
  // the switch are therefore not lost.
  void retire(CloseReason reason);
  // Forgets the owner (the transport is stopping): no more callbacks.
  void detach() { owner_ = nullptr; }

  [[nodiscard]] bool outbound() const { return outbound_; }
  [[nodiscard]] bool established() const { return established_; }
  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] bool retiring() const { return retiring_; }
  [[nodiscard]] NodeId peer() const { return peer_; }
  [[nodiscard]] const std::string& remote() const { return remote_; }
  [[nodiscard]] std::uint64_t id() const { return id_; }
  [[nodiscard]] std::string_view sealer_name() const;

 private:
  void send_control(MessageType type, Bytes payload) override;
  void read_some();
  void on_read(const error_code& error, std::size_t bytes);
  Status handle_frame(Frame& frame, CloseReason& reason);
  void write_batch(std::vector<OutboundMessage> batch);
  void on_write(const error_code& error, std::size_t bytes);

  asio::ip::tcp::socket socket_;
  asio::steady_timer handshake_timer_;
  ConnectionOwner* owner_;
  std::unique_ptr<Handshake> handshake_;
  std::unique_ptr<FrameSealer> sealer_;
  bool sealing_ = false;  // inside FrameSealer::seal (send_control must not flush)
  ConnectionLimits limits_;
  bool outbound_;
  bool established_ = false;
  bool closed_ = false;
  bool writing_ = false;
  bool retiring_ = false;
  bool peer_finished_ = false;  // EOF read; close once the current write is done
  CloseReason retire_reason_;
  NodeId peer_ = kNoNode;
  std::string remote_;
  std::uint64_t id_;

  FrameDecoder decoder_;
  std::vector<Frame> decoded_;
  std::unique_ptr<std::array<char, 64 * 1024>> read_buffer_;

  std::vector<OutboundMessage> priority_;  // handshake and control frames, written first
  // The batch being written; chunks pack headers and small payloads, large
  // payloads are referenced from write_frames_ without a copy.
  std::vector<OutboundMessage> write_frames_;
  std::vector<Bytes> write_chunks_;
  std::vector<asio::const_buffer> write_buffers_;
  std::uint64_t write_frame_count_ = 0;
};

}  // namespace synod::node::transport
