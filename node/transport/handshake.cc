#include "node/transport/handshake.h"

// proto/CMakeLists.txt currently writes generated files to the build root.
#if __has_include("proto/peer.pb.h")
#include "proto/peer.pb.h"
#else
#include "peer.pb.h"
#endif

namespace synod::node::transport {

Status HelloHandshake::fail(std::string_view reason, Status status) {
  failure_reason_ = reason;
  return status;
}

Status HelloHandshake::start(std::vector<Frame>& send) {
  synod::proto::Hello hello;
  hello.set_protocol_version(kWireVersion);
  hello.set_node_id(context_.self.value());
  hello.set_cluster_name(context_.cluster_name);
  hello.set_advertise_address(context_.advertise_address);
  Frame frame;
  frame.header.type = MessageType::kHello;
  frame.payload = hello.SerializeAsString();
  send.push_back(std::move(frame));
  return Status::ok();
}

Status HelloHandshake::on_frame(const Frame& frame, std::vector<Frame>& /*send*/) {
  if (done_) return fail("unexpected_frame", invalid_argument("second Hello on one connection"));
  if (frame.header.type != MessageType::kHello) {
    return fail("unexpected_frame", invalid_argument("expected Hello, got message type " +
                                                     std::to_string(to_wire(frame.header.type))));
  }
  synod::proto::Hello hello;
  if (!hello.ParseFromString(frame.payload)) {
    return fail("malformed", invalid_argument("Hello payload is not a valid protobuf"));
  }
  if (hello.protocol_version() != kWireVersion) {
    return fail("version", unimplemented("peer speaks protocol version " +
                                         std::to_string(hello.protocol_version()) + ", this node " +
                                         std::to_string(kWireVersion)));
  }
  if (hello.cluster_name() != context_.cluster_name) {
    return fail("wrong_cluster",
                permission_denied("peer belongs to cluster '" + hello.cluster_name() +
                                  "', this node to '" + context_.cluster_name + "'"));
  }
  const NodeId peer(hello.node_id());
  if (peer == kNoNode) return fail("malformed", invalid_argument("peer Hello has node id 0"));
  if (peer == context_.self) {
    return fail("duplicate_id",
                already_exists("peer claims this node's own id " + peer.to_string()));
  }
  if (context_.expected_peer != kNoNode && peer != context_.expected_peer) {
    return fail("unexpected_peer",
                failed_precondition("dialled node " + context_.expected_peer.to_string() +
                                    " but node " + peer.to_string() + " answered"));
  }
  outcome_.peer = peer;
  outcome_.peer_address = hello.advertise_address();
  outcome_.sealer = std::make_unique<IdentitySealer>();
  done_ = true;
  return Status::ok();
}

HandshakeOutcome HelloHandshake::take_outcome() { return std::move(outcome_); }

}  // namespace synod::node::transport
