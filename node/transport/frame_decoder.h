// FrameDecoder: a pure state machine that turns a TCP byte stream into frames
// (in the manner of Asio's request_parser). It does no I/O and keeps no
// clock, so it can be fed any bytes by a test or a fuzzer.
//
// Memory is bounded by the frame limit: a payload buffer is reserved only
// after its header passed validation. After the first error the decoder stays
// failed and every later feed() returns the same Status.
#pragma once

#include <cstdint>
#include <vector>

#include "node/transport/frame.h"

namespace synod::node::transport {

class FrameDecoder {
 public:
  explicit FrameDecoder(std::uint64_t max_payload_bytes) : max_payload_bytes_(max_payload_bytes) {}

  // Consumes all of `bytes`, appending each completed frame to `out`. Frames
  // completed before an error are still appended.
  Status feed(ByteView bytes, std::vector<Frame>& out);

  // Call at end of stream: OK at a frame boundary, kTruncated otherwise.
  Status finish();

  [[nodiscard]] bool failed() const { return error_ != FrameError::kNone; }
  [[nodiscard]] FrameError error() const { return error_; }
  // True when no partial frame is buffered.
  [[nodiscard]] bool at_boundary() const { return state_ == State::kHeader && header_fill_ == 0; }

 private:
  enum class State { kHeader, kPayload };
  Status fail(FrameError error, Status status);

  std::uint64_t max_payload_bytes_;
  State state_ = State::kHeader;
  std::array<char, kFrameHeaderSize> header_bytes_{};
  std::size_t header_fill_ = 0;
  Frame current_;
  FrameError error_ = FrameError::kNone;
  Status status_;
};

}  // namespace synod::node::transport
