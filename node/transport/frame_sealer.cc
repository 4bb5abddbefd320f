#include "node/transport/frame_sealer.h"

#include <string>

namespace synod::node::transport {

Status FrameSealer::on_control(const FrameHeader& header, ByteView /*payload*/,
                               ControlSink& /*sink*/) {
  return invalid_argument("unexpected channel-control frame of type " +
                          std::to_string(to_wire(header.type)) + " for sealer " +
                          std::string(name()));
}

Status IdentitySealer::seal(FrameHeader& header, Bytes& /*payload*/) {
  header.codec_id = 0;
  header.key_epoch = 0;
  header.counter = 0;
  header.flags &= frame_flags::kTransportMask;
  return Status::ok();
}

Status IdentitySealer::open(FrameHeader& header, Bytes& /*payload*/) {
  if (header.codec_id != 0 || header.key_epoch != 0 || header.counter != 0 ||
      (header.flags & frame_flags::kSealerMask) != 0) {
    return invalid_argument("frame carries codec " + std::to_string(header.codec_id) + ", epoch " +
                            std::to_string(header.key_epoch) +
                            " or sealer flags but this channel is not sealed");
  }
  return Status::ok();
}

}  // namespace synod::node::transport
