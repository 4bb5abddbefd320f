// One peer frame: a fixed 24-byte header followed by the payload
// (docs/wire.md has the byte-by-byte layout and a hex dump).
//
//   offset size field
//   0      2    magic "SY" (0x53 0x59)
//   2      1    version (kWireVersion)
//   3      1    flags (FrameFlags bits; 0xF0 belong to the FrameSealer)
//   4      2    message type (MessageType), little-endian
//   6      1    codec id (0 = none; set by the FrameSealer)
//   7      1    reserved, must be 0
//   8      4    key epoch (0 until crypto fills it), little-endian
//   12     4    payload length in bytes, little-endian
//   16     8    counter (0 until crypto fills it), little-endian
//
// Encoding is pure and allocation-light; decoding of a byte stream lives in
// frame_decoder.h.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "node/transport/message_type.h"

namespace synod::node::transport {

inline constexpr std::uint8_t kMagic0 = 0x53;  // 'S'
inline constexpr std::uint8_t kMagic1 = 0x59;  // 'Y'
inline constexpr std::uint8_t kWireVersion = 1;
inline constexpr std::size_t kFrameHeaderSize = 24;

// Bits of the flags byte. Bits 0..3 are the transport's; bits 4..7 are owned
// by the FrameSealer (e.g. "compressed", "sealed") and passed through as is.
namespace frame_flags {
inline constexpr std::uint8_t kRequest = 0x01;   // payload starts with a u64 call id
inline constexpr std::uint8_t kResponse = 0x02;  // payload starts with the u64 call id answered
inline constexpr std::uint8_t kError = 0x04;     // with kResponse: the call failed (u32 code, text)
inline constexpr std::uint8_t kTransportMask = 0x0F;
inline constexpr std::uint8_t kSealerMask = 0xF0;
}  // namespace frame_flags

struct FrameHeader {
  std::uint8_t version = kWireVersion;
  std::uint8_t flags = 0;
  MessageType type = MessageType::kInvalid;
  std::uint8_t codec_id = 0;
  std::uint32_t key_epoch = 0;
  std::uint32_t payload_length = 0;
  std::uint64_t counter = 0;

  bool operator==(const FrameHeader&) const = default;
};

struct Frame {
  FrameHeader header;
  Bytes payload;
};

// Why a byte stream was refused; also the `reason` label of the decode-error
// metric.
enum class FrameError {
  kNone,
  kBadMagic,            // first two bytes are not "SY": not a synod peer
  kUnsupportedVersion,  // a synod peer speaking a wire version we do not know
  kBadHeader,           // reserved byte not zero or message type 0
  kOversize,            // payload length above the configured frame limit
  kTruncated,           // the stream ended inside a frame
};
std::string_view frame_error_name(FrameError error);

// The encoded header; payload_length must already be set.
std::array<char, kFrameHeaderSize> encode_header(const FrameHeader& header);
// Header plus payload in one buffer (tests, fuzz seeds, small frames);
// sets payload_length from the payload.
Bytes encode_frame(FrameHeader header, ByteView payload);

// Parses and validates exactly kFrameHeaderSize bytes. On failure `error`
// names the reason and the Status carries the detail.
Status parse_header(ByteView bytes, std::uint64_t max_payload_bytes, FrameHeader& out,
                    FrameError& error);

// Decodes one whole frame that must fill `bytes` exactly; kTruncated when
// short, kBadHeader ("trailing bytes") when long.
Result<Frame> decode_frame(ByteView bytes, std::uint64_t max_payload_bytes);

}  // namespace synod::node::transport
