#include "node/transport/transport_metrics.h"

namespace synod::node::transport {
namespace {

metrics::Counter& peer_counter(std::string_view name, std::string_view help, NodeId peer) {
  return metrics::Registry::global().counter(name, help, {{"peer", peer.to_string()}});
}

metrics::Counter& reason_counter(std::string_view name, std::string_view help,
                                 std::string_view reason) {
  return metrics::Registry::global().counter(name, help, {{"reason", std::string(reason)}});
}

}  // namespace

PeerMetrics::PeerMetrics(NodeId peer)
    : bytes_sent(peer_counter("synod_peer_bytes_sent_total",
                              "Bytes written to a peer connection, headers included", peer)),
      bytes_received(peer_counter("synod_peer_bytes_received_total",
                                  "Bytes of frames received from a peer, headers included", peer)),
      frames_sent(peer_counter("synod_peer_frames_sent_total", "Frames written to a peer", peer)),
      frames_received(
          peer_counter("synod_peer_frames_received_total", "Frames received from a peer", peer)),
      writes(peer_counter("synod_peer_writes_total",
                          "Gather-writes to a peer (frames_sent / writes is the coalescing)",
                          peer)),
      reconnects(peer_counter("synod_peer_reconnects_total",
                              "Connections established to a peer after the first", peer)),
      connection_failures(peer_counter("synod_peer_connection_failures_total",
                                       "Dials or handshakes with a peer that failed", peer)),
      queue_drops(peer_counter("synod_peer_queue_drops_total",
                               "Frames dropped because the peer's queue was full", peer)),
      fault_drops(peer_counter("synod_peer_fault_drops_total",
                               "Frames dropped by fault injection (both directions)", peer)),
      queue_bytes(metrics::Registry::global().gauge("synod_peer_queue_bytes",
                                                    "Bytes waiting in the peer's outbound queue",
                                                    {{"peer", peer.to_string()}})),
      connected(metrics::Registry::global().gauge("synod_peer_connected",
                                                  "1 while a connection to the peer is established",
                                                  {{"peer", peer.to_string()}})) {}

metrics::Counter& decode_error_counter(std::string_view reason) {
  return reason_counter("synod_peer_decode_errors_total",
                        "Peer connections closed because of bad frames, by reason", reason);
}

metrics::Counter& handshake_rejection_counter(std::string_view reason) {
  return reason_counter("synod_peer_handshake_rejections_total",
                        "Peer handshakes refused, by reason", reason);
}

metrics::Counter& send_refusal_counter(std::string_view reason) {
  return reason_counter("synod_peer_send_refusals_total",
                        "Messages refused by send() before queueing, by reason", reason);
}

}  // namespace synod::node::transport
