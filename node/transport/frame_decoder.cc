#include "node/transport/frame_decoder.h"

#include <algorithm>

namespace synod::node::transport {

Status FrameDecoder::fail(FrameError error, Status status) {
  error_ = error;
  status_ = std::move(status);
  return status_;
}

Status FrameDecoder::feed(ByteView bytes, std::vector<Frame>& out) {
  if (failed()) return status_;
  while (!bytes.empty()) {
    if (state_ == State::kHeader) {
      const std::size_t take = std::min(bytes.size(), kFrameHeaderSize - header_fill_);
      bytes.copy(header_bytes_.data() + header_fill_, take);
      header_fill_ += take;
      bytes.remove_prefix(take);
      // Reject a bad magic as early as two bytes: garbage never waits for 24.
      if (header_fill_ >= 2 && (static_cast<std::uint8_t>(header_bytes_[0]) != kMagic0 ||
                                static_cast<std::uint8_t>(header_bytes_[1]) != kMagic1)) {
        FrameError error;
        FrameHeader ignored;
        std::array<char, kFrameHeaderSize> padded{};
        std::copy_n(header_bytes_.data(), 2, padded.data());
        Status status = parse_header(ByteView(padded.data(), padded.size()), max_payload_bytes_,
                                     ignored, error);
        return fail(error, std::move(status));
      }
      if (header_fill_ < kFrameHeaderSize) continue;
      FrameError error;
      Status status = parse_header(ByteView(header_bytes_.data(), header_bytes_.size()),
                                   max_payload_bytes_, current_.header, error);
      if (!status.is_ok()) return fail(error, std::move(status));
      header_fill_ = 0;
      current_.payload.clear();
      // Grow with the bytes that actually arrive: a lying length field must
      // not make us allocate the whole limit up front.
      current_.payload.reserve(std::min<std::size_t>(current_.header.payload_length, 1 << 20));
      state_ = State::kPayload;
    }
    // kPayload; a zero-length payload completes right after its header.
    const std::size_t need = current_.header.payload_length - current_.payload.size();
    const std::size_t take = std::min(bytes.size(), need);
    current_.payload.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (current_.payload.size() == current_.header.payload_length) {
      out.push_back(std::move(current_));
      current_ = Frame{};
      state_ = State::kHeader;
    }
  }
  return Status::ok();
}

Status FrameDecoder::finish() {
  if (failed()) return status_;
  if (at_boundary()) return Status::ok();
  const std::size_t have =
      state_ == State::kHeader ? header_fill_ : kFrameHeaderSize + current_.payload.size();
  const std::size_t want = state_ == State::kHeader
                               ? kFrameHeaderSize
                               : kFrameHeaderSize + current_.header.payload_length;
  return fail(FrameError::kTruncated,
              out_of_range("stream ended inside a frame: " + std::to_string(have) + " of " +
                           std::to_string(want) + " bytes"));
}

}  // namespace synod::node::transport
