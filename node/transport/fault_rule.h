// FaultRule: what the transport does to frames to and from one peer when
// fault injection is on (issue 5's /v1/synod/fault; the HTTP endpoint checks
// debug.fault_injection, the transport just applies the rule).
#pragma once

#include "common/clock.h"

namespace synod::node::transport {

struct FaultRule {
  double drop_in = 0;     // probability [0,1] that a frame from the peer is discarded
  double drop_out = 0;    // probability [0,1] that a frame to the peer is discarded
  Duration delay_in{0};   // added before an inbound frame is delivered
  Duration delay_out{0};  // added before an outbound frame is queued

  [[nodiscard]] bool active() const {
    return drop_in > 0 || drop_out > 0 || delay_in.count() > 0 || delay_out.count() > 0;
  }
};

// drop_in = drop_out = 1: a full partition from and to the peer.
inline FaultRule partition_rule() { return FaultRule{1.0, 1.0, Duration(0), Duration(0)}; }

}  // namespace synod::node::transport
