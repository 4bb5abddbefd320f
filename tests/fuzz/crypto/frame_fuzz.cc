// Fuzzes the frame opener of the secure channel (SecureSealer::open and
// on_control). Two modes, chosen by the first byte:
//   - raw: the input is a header (flags, type, codec, epoch, counter) and a
//     payload from an attacker without the key: must be refused cleanly;
//   - authentic: the input's payload is sealed by a real sender first with
//     the codec id the input names, so the receiver gets past the AEAD and
//     the fuzzer reaches decompression (unknown codec, malformed, bombs) and
//     rekey control messages.
#include <cstddef>
#include <cstdint>

#include "node/transport/secure_channel.h"

using namespace synod;
using namespace synod::node::transport;

namespace {

crypto::SessionKeys keys(bool sender) {
  crypto::SessionKeys k;
  k.send_key.bytes.fill(sender ? 1 : 2);
  k.receive_key.bytes.fill(sender ? 2 : 1);
  k.send_chain.bytes.fill(sender ? 3 : 4);
  k.receive_chain.bytes.fill(sender ? 4 : 3);
  k.send_codec = 1;
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 16) return 0;
  static auto compressor = [] {
    compression::CompressorOptions o;
    o.max_decompressed_bytes = 1 << 20;
    return std::make_shared<compression::Compressor>(o);
  }();
  const bool authentic = (data[0] & 1) != 0;
  FrameHeader header;
  header.flags = data[1];
  header.type = static_cast<MessageType>(load_u16(reinterpret_cast<const char*>(data + 2)));
  header.codec_id = data[4];
  header.key_epoch = load_u32(reinterpret_cast<const char*>(data + 5)) % 4;
  header.counter = data[9] % 4;
  Bytes payload(reinterpret_cast<const char*>(data + 16), size - 16);
  SecureSealer receiver(crypto::Channel(keys(false), {}), compressor, 1);
  if (authentic) {
    // Seal the bytes as they are (no compression) and claim the fuzzer's codec.
    crypto::Channel sender(keys(true), {});
    crypto::FrameMeta meta;
    meta.flags = header.flags & 0x0F;
    meta.type = to_wire(header.type);
    meta.codec = header.codec_id;
    (void)sender.seal(meta, payload);
    header.flags = meta.flags;
    header.key_epoch = meta.epoch;
    header.counter = meta.counter;
  }
  if (receiver.open(header, payload).is_ok() && is_channel_control_type(header.type)) {
    struct NullSink : ControlSink {
      void send_control(MessageType, Bytes) override {}
    } sink;
    (void)receiver.on_control(header, payload, sink);
  }
  return 0;
}
