#include "node/transport/connection.h"

#include <atomic>

namespace synod::node::transport {
namespace {

std::atomic<std::uint64_t> next_connection_id{1};

// Payloads from this size on are written from their own buffer instead of
// being copied next to their header.
constexpr std::size_t kZeroCopyPayloadBytes = 16 * 1024;

std::string describe_remote(const asio::ip::tcp::socket& socket) {
  error_code ignored;
  auto endpoint = socket.remote_endpoint(ignored);
  if (ignored) return "?";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, ConnectionOwner* owner,
                       std::unique_ptr<Handshake> handshake, ConnectionLimits limits, bool outbound)
    : socket_(std::move(socket)),
      handshake_timer_(socket_.get_executor()),
      owner_(owner),
      handshake_(std::move(handshake)),
      limits_(limits),
      outbound_(outbound),
      remote_(describe_remote(socket_)),
      id_(next_connection_id.fetch_add(1)),
      decoder_(limits.max_frame_bytes),
      read_buffer_(std::make_unique<std::array<char, 64 * 1024>>()) {}

std::string_view Connection::sealer_name() const {
  return sealer_ ? sealer_->name() : std::string_view("none");
}

void Connection::start() {
  error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  handshake_timer_.expires_after(limits_.handshake_timeout);
  handshake_timer_.async_wait([self = shared_from_this()](const error_code& error) {
    if (error || self->established_ || self->closed_) return;
    self->close({CloseReason::Kind::kHandshakeTimeout, "timeout",
                 timeout_error("handshake did not finish in time")});
  });
  std::vector<Frame> send;
  Status status = handshake_->start(send);
  if (!status.is_ok()) {
    close({CloseReason::Kind::kHandshakeFailed, std::string(handshake_->failure_reason()), status});
    return;
  }
  for (Frame& frame : send) {
    priority_.push_back({frame.header.type, frame.header.flags, std::move(frame.payload)});
  }
  read_some();
  flush();
}

void Connection::close(CloseReason reason) {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  handshake_timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  if (owner_ != nullptr) owner_->on_closed(*this, reason);
}

void Connection::retire(CloseReason reason) {
  if (closed_ || retiring_) return;
  retiring_ = true;
  retire_reason_ = std::move(reason);
  priority_.clear();
  handshake_timer_.expires_after(limits_.handshake_timeout);
  handshake_timer_.async_wait([self = shared_from_this()](const error_code& error) {
    if (!error) self->close(self->retire_reason_);
  });
  if (!writing_) {
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }
}

void Connection::send_control(MessageType type, Bytes payload) {
  if (!is_channel_control_type(type) || retiring_ || closed_) return;
  priority_.push_back({type, 0, std::move(payload)});
  // A sealer may ask for a control frame from inside seal() (a rekey that
  // fell due); the batch being built goes out first and on_write() flushes.
  if (!sealing_) flush();
}

void Connection::read_some() {
  socket_.async_read_some(asio::buffer(*read_buffer_),
                          [self = shared_from_this()](const error_code& error, std::size_t n) {
                            self->on_read(error, n);
                          });
}

void Connection::on_read(const error_code& error, std::size_t bytes) {
  if (closed_) return;
  if (error) {
    if (error == asio::error::eof) {
      Status status = decoder_.finish();
      if (status.is_ok()) {
        if (retiring_) {
          close(retire_reason_);
        } else if (writing_) {
          peer_finished_ = true;  // let the write in flight reach the peer first
        } else {
          close({CloseReason::Kind::kPeerClosed, "eof", unavailable("peer closed the connection")});
        }
      } else {
        close({CloseReason::Kind::kDecodeError, std::string(frame_error_name(decoder_.error())),
               status});
      }
    } else {
      close({CloseReason::Kind::kIoError, "io", io_error("read: " + error.message())});
    }
    return;
  }
  decoded_.clear();
  Status status = decoder_.feed(ByteView(read_buffer_->data(), bytes), decoded_);
  // Frames completed before a decode error are still handled, in order.
  for (Frame& frame : decoded_) {
    CloseReason reason;
    Status handled = handle_frame(frame, reason);
    if (closed_) return;  // the owner closed us (e.g. tie-break) while handling
    if (!handled.is_ok()) {
      reason.status = handled;
      close(std::move(reason));
      return;
    }
  }
  if (!status.is_ok()) {
    close(
        {CloseReason::Kind::kDecodeError, std::string(frame_error_name(decoder_.error())), status});
    return;
  }
  read_some();
}

Status Connection::handle_frame(Frame& frame, CloseReason& reason) {
  if (!established_) {
    if (!is_handshake_type(frame.header.type)) {
      reason = {CloseReason::Kind::kProtocol, "before_handshake", {}};
      return invalid_argument("message type " + std::to_string(to_wire(frame.header.type)) +
                              " before the handshake finished");
    }
    std::vector<Frame> send;
    Status status = handshake_->on_frame(frame, send);
    if (!status.is_ok()) {
      reason = {CloseReason::Kind::kHandshakeFailed, std::string(handshake_->failure_reason()), {}};
      return status;
    }
    for (Frame& out : send) {
      priority_.push_back({out.header.type, out.header.flags, std::move(out.payload)});
    }
    if (handshake_->done()) {
      HandshakeOutcome outcome = handshake_->take_outcome();
      sealer_ = std::move(outcome.sealer);
      if (!sealer_) sealer_ = std::make_unique<IdentitySealer>();
      sealer_->attach(*this);
      peer_ = outcome.peer;
      established_ = true;
      handshake_timer_.cancel();
      if (owner_ != nullptr)
        owner_->on_established(shared_from_this(), peer_, outcome.peer_address);
    }
    if (!closed_) flush();
    return Status::ok();
  }
  if (is_handshake_type(frame.header.type)) {
    reason = {CloseReason::Kind::kProtocol, "late_handshake", {}};
    return invalid_argument("handshake frame after the handshake finished");
  }
  Status opened = sealer_->open(frame.header, frame.payload);
  if (!opened.is_ok()) {
    reason = {CloseReason::Kind::kUnseal, "unseal", {}};
    return opened;
  }
  if (is_channel_control_type(frame.header.type)) {
    Status status = sealer_->on_control(frame.header, frame.payload, *this);
    if (!status.is_ok()) reason = {CloseReason::Kind::kUnseal, "control", {}};
    return status;
  }
  if (frame.header.type == MessageType::kInvalid || !is_application_type(frame.header.type)) {
    reason = {CloseReason::Kind::kProtocol, "reserved_type", {}};
    return invalid_argument("reserved message type " + std::to_string(to_wire(frame.header.type)));
  }
  if (owner_ != nullptr) owner_->on_frame(*this, std::move(frame));
  return Status::ok();
}

void Connection::flush() {
  if (writing_ || closed_ || retiring_ || peer_finished_) return;
  std::vector<OutboundMessage> batch = std::move(priority_);
  priority_.clear();
  if (established_ && owner_ != nullptr) owner_->fill_batch(*this, batch);
  if (batch.empty()) return;
  write_batch(std::move(batch));
}

void Connection::write_batch(std::vector<OutboundMessage> batch) {
  write_frames_ = std::move(batch);
  write_chunks_.clear();
  write_buffers_.clear();
  write_frame_count_ = 0;
  // Pass 1: seal, then pack headers and small payloads into chunks. A large
  // payload closes the current chunk and is referenced in place. Buffers are
  // built in pass 2, once no chunk can move any more.
  struct Segment {
    bool chunk;
    std::size_t index;
  };
  std::vector<Segment> segments;
  write_chunks_.emplace_back();
  for (std::size_t i = 0; i < write_frames_.size(); ++i) {
    OutboundMessage& message = write_frames_[i];
    FrameHeader header;
    header.type = message.type;
    header.flags = message.flags;
    // Checked at send(); also before sealing, since a sealed frame that is
    // then skipped would leave a gap in the channel's frame counter.
    const std::size_t expansion = sealer_ ? sealer_->max_expansion() : 0;
    if (message.payload.size() + expansion > limits_.max_frame_bytes) continue;
    // Handshake frames travel unsealed: they set the sealer up.
    if (sealer_ && !is_handshake_type(message.type)) {
      sealing_ = true;
      Status status = sealer_->seal(header, message.payload);
      sealing_ = false;
      if (!status.is_ok()) {
        close({CloseReason::Kind::kUnseal, "seal", status.with_context("sealing a frame")});
        return;
      }
    }
    if (message.payload.size() > limits_.max_frame_bytes) continue;  // never for a sane sealer
    header.payload_length = static_cast<std::uint32_t>(message.payload.size());
    const auto encoded = encode_header(header);
    write_chunks_.back().append(encoded.data(), encoded.size());
    if (message.payload.size() < kZeroCopyPayloadBytes) {
      write_chunks_.back().append(message.payload);
    } else {
      segments.push_back({true, write_chunks_.size() - 1});
      segments.push_back({false, i});
      write_chunks_.emplace_back();
    }
    if (!is_handshake_type(message.type)) ++write_frame_count_;
  }
  segments.push_back({true, write_chunks_.size() - 1});
  for (const Segment& segment : segments) {
    if (segment.chunk) {
      const Bytes& chunk = write_chunks_[segment.index];
      if (!chunk.empty()) write_buffers_.emplace_back(chunk.data(), chunk.size());
    } else {
      const Bytes& payload = write_frames_[segment.index].payload;
      write_buffers_.emplace_back(payload.data(), payload.size());
    }
  }
  if (write_buffers_.empty()) return;
  writing_ = true;
  asio::async_write(socket_, write_buffers_,
                    [self = shared_from_this()](const error_code& error, std::size_t n) {
                      self->on_write(error, n);
                    });
}

void Connection::on_write(const error_code& error, std::size_t bytes) {
  writing_ = false;
  if (closed_) return;
  if (error) {
    close({CloseReason::Kind::kIoError, "io", io_error("write: " + error.message())});
    return;
  }
  if (owner_ != nullptr && established_ && write_frame_count_ > 0) {
    owner_->on_sent(*this, write_frame_count_, bytes);
  }
  write_frames_.clear();
  write_chunks_.clear();
  write_buffers_.clear();
  if (peer_finished_) {
    close({CloseReason::Kind::kPeerClosed, "eof", unavailable("peer closed the connection")});
    return;
  }
  if (retiring_) {
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    return;
  }
  flush();
}

}  // namespace synod::node::transport
