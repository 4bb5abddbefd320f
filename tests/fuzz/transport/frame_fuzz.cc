// libFuzzer target for everything the transport decodes from a peer before
// trusting it: the frame stream decoder (fed in fuzzer-chosen pieces), the
// one-shot decoder, the Hello handshake and call payloads. Invariants checked:
// no crash, no unbounded allocation, the stream and one-shot decoders agree,
// and a decoded frame re-encodes to the same bytes.
//
// Build (clang only):
//   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DSYNOD_FUZZ=ON
//   ninja -C build-fuzz transport_frame_fuzz
// Run (bounded):
//   build-fuzz/tests/fuzz/transport/transport_frame_fuzz -max_total_time=60 \
//       -max_len=4096 tests/fuzz/transport/corpus
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "node/transport/call_codec.h"
#include "node/transport/frame.h"
#include "node/transport/frame_decoder.h"
#include "node/transport/handshake.h"

namespace {

using namespace synod::node::transport;

constexpr std::uint64_t kLimit = 64 * 1024;

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the chunk size the stream arrives in.
  const std::size_t chunk = 1 + data[0] % 64;
  synod::ByteView input(reinterpret_cast<const char*>(data) + 1, size - 1);

  FrameDecoder decoder(kLimit);
  std::vector<Frame> frames;
  synod::Status status;
  for (std::size_t pos = 0; pos < input.size() && status.is_ok(); pos += chunk) {
    status = decoder.feed(input.substr(pos, chunk), frames);
  }
  if (status.is_ok()) (void)decoder.finish();

  std::size_t offset = 0;
  for (const Frame& frame : frames) {
    const synod::Bytes encoded = encode_frame(frame.header, frame.payload);
    check(input.substr(offset, encoded.size()) == encoded);
    auto again = decode_frame(encoded, kLimit);
    check(again.is_ok() && again->payload == frame.payload && again->header == frame.header);
    offset += encoded.size();

    // What a connection would do with it next.
    if (frame.header.type == MessageType::kHello) {
      HelloHandshake handshake({synod::NodeId(1), "fuzz", "127.0.0.1:1", false, synod::kNoNode});
      std::vector<Frame> send;
      if (handshake.on_frame(frame, send).is_ok()) check(handshake.done());
    }
    if ((frame.header.flags & (frame_flags::kRequest | frame_flags::kResponse)) != 0) {
      auto call = decode_call(frame.payload);
      if (call.is_ok() && (frame.header.flags & frame_flags::kError) != 0) {
        check(!decode_call_failure(call->body).is_ok());
      }
    }
  }
  return 0;
}
