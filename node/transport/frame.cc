#include "node/transport/frame.h"

#include <cstdio>

namespace synod::node::transport {

std::string_view frame_error_name(FrameError error) {
  switch (error) {
    case FrameError::kNone:
      return "none";
    case FrameError::kBadMagic:
      return "bad_magic";
    case FrameError::kUnsupportedVersion:
      return "unsupported_version";
    case FrameError::kBadHeader:
      return "bad_header";
    case FrameError::kOversize:
      return "oversize";
    case FrameError::kTruncated:
      return "truncated";
  }
  return "unknown";
}

std::array<char, kFrameHeaderSize> encode_header(const FrameHeader& header) {
  // Built with the same little-endian helpers as every other synod record.
  Bytes tmp;
  tmp.reserve(kFrameHeaderSize);
  put_u8(tmp, kMagic0);
  put_u8(tmp, kMagic1);
  put_u8(tmp, header.version);
  put_u8(tmp, header.flags);
  put_u16(tmp, to_wire(header.type));
  put_u8(tmp, header.codec_id);
  put_u8(tmp, 0);  // reserved
  put_u32(tmp, header.key_epoch);
  put_u32(tmp, header.payload_length);
  put_u64(tmp, header.counter);
  std::array<char, kFrameHeaderSize> out{};
  tmp.copy(out.data(), out.size());
  return out;
}

Bytes encode_frame(FrameHeader header, ByteView payload) {
  header.payload_length = static_cast<std::uint32_t>(payload.size());
  auto head = encode_header(header);
  Bytes out(head.data(), head.size());
  out.append(payload);
  return out;
}

Status parse_header(ByteView bytes, std::uint64_t max_payload_bytes, FrameHeader& out,
                    FrameError& error) {
  error = FrameError::kNone;
  if (bytes.size() < kFrameHeaderSize) {
    error = FrameError::kTruncated;
    return out_of_range("frame truncated: " + std::to_string(bytes.size()) + " of " +
                        std::to_string(kFrameHeaderSize) + " header bytes");
  }
  ByteReader reader(bytes);
  const std::uint8_t m0 = *reader.u8();
  const std::uint8_t m1 = *reader.u8();
  if (m0 != kMagic0 || m1 != kMagic1) {
    error = FrameError::kBadMagic;
    char text[64];
    std::snprintf(text, sizeof(text), "bad frame magic 0x%02x%02x (expected 0x%02x%02x)", m0, m1,
                  kMagic0, kMagic1);
    return invalid_argument(text);
  }
  out.version = *reader.u8();
  if (out.version != kWireVersion) {
    error = FrameError::kUnsupportedVersion;
    return unimplemented("unsupported wire version " + std::to_string(out.version) +
                         " (this node speaks " + std::to_string(kWireVersion) + ")");
  }
  out.flags = *reader.u8();
  out.type = static_cast<MessageType>(*reader.u16());
  out.codec_id = *reader.u8();
  const std::uint8_t reserved = *reader.u8();
  out.key_epoch = *reader.u32();
  out.payload_length = *reader.u32();
  out.counter = *reader.u64();
  if (reserved != 0) {
    error = FrameError::kBadHeader;
    return invalid_argument("frame header reserved byte is " + std::to_string(reserved));
  }
  if (out.type == MessageType::kInvalid) {
    error = FrameError::kBadHeader;
    return invalid_argument("frame message type 0");
  }
  if (out.payload_length > max_payload_bytes) {
    error = FrameError::kOversize;
    return resource_exhausted("frame payload of " + std::to_string(out.payload_length) +
                              " bytes exceeds the limit of " + std::to_string(max_payload_bytes));
  }
  return Status::ok();
}

Result<Frame> decode_frame(ByteView bytes, std::uint64_t max_payload_bytes) {
  Frame frame;
  FrameError error;
  SYNOD_RETURN_IF_ERROR(parse_header(bytes, max_payload_bytes, frame.header, error));
  const std::size_t body = bytes.size() - kFrameHeaderSize;
  if (body < frame.header.payload_length) {
    return out_of_range("frame truncated: " + std::to_string(body) + " of " +
                        std::to_string(frame.header.payload_length) + " payload bytes");
  }
  if (body > frame.header.payload_length) {
    return invalid_argument("frame followed by " +
                            std::to_string(body - frame.header.payload_length) + " trailing bytes");
  }
  frame.payload.assign(bytes.substr(kFrameHeaderSize));
  return frame;
}

}  // namespace synod::node::transport
