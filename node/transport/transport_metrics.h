// The transport's Prometheus series (docs/transport.md lists them). Looked up
// once per peer or reason and kept; updates are lock-free.
#pragma once

#include <string>
#include <string_view>

#include "common/ids.h"
#include "common/metrics.h"

namespace synod::node::transport {

struct PeerMetrics {
  explicit PeerMetrics(NodeId peer);
  metrics::Counter& bytes_sent;
  metrics::Counter& bytes_received;
  metrics::Counter& frames_sent;
  metrics::Counter& frames_received;
  metrics::Counter& writes;
  metrics::Counter& reconnects;
  metrics::Counter& connection_failures;
  metrics::Counter& queue_drops;
  metrics::Counter& fault_drops;
  metrics::Gauge& queue_bytes;
  metrics::Gauge& connected;
};

// Connections closed because of bad bytes or frames; reason is a FrameError
// name, "unseal", "control", "before_handshake", "late_handshake", "reserved_type".
metrics::Counter& decode_error_counter(std::string_view reason);
// Handshakes refused; reason from Handshake::failure_reason() or "timeout".
metrics::Counter& handshake_rejection_counter(std::string_view reason);
// Sends refused before queueing; reason "unknown_peer", "too_large", "stopped".
metrics::Counter& send_refusal_counter(std::string_view reason);

}  // namespace synod::node::transport
