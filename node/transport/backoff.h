// Jittered exponential backoff for redialling a peer.
//
// The n-th delay (n from 0) is drawn uniformly from [base/2, base] where
// base = min(max, min_delay * 2^n): "equal jitter", so nodes that lost a peer
// at the same instant do not redial in lockstep, yet a delay never drops
// below half its step. Pure: the randomness comes from the caller.
#pragma once

#include <cstdint>

#include "common/clock.h"
#include "common/random.h"

namespace synod::node::transport {

class Backoff {
 public:
  Backoff(Duration min_delay, Duration max_delay);
  // The delay before the next attempt; advances the attempt count.
  Duration next(Random& random);
  // A connection succeeded: start again from min_delay.
  void reset() { attempts_ = 0; }
  [[nodiscard]] std::uint32_t attempts() const { return attempts_; }

 private:
  Duration min_delay_;
  Duration max_delay_;
  std::uint32_t attempts_ = 0;
};

}  // namespace synod::node::transport
