// HedgePolicy: when to send a hedged (duplicate) request to a second endpoint.
//
// It keeps the latencies of the last `window` requests and answers the
// configured percentile of them (loadbalance.hedge_percentile, e.g. 95): a
// request still unanswered after that long is sent again to a different
// endpoint (RetryPicker), and the first answer wins. With percentile 0, or
// before `min_samples` latencies were seen, hedging is off.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "common/clock.h"

namespace synod::loadbalance {

class HedgePolicy {
 public:
  explicit HedgePolicy(double percentile, std::size_t window = 1000, std::size_t min_samples = 100);

  void record(Duration latency);
  // How long to wait before hedging, or nullopt when hedging is off.
  std::optional<Duration> hedge_after() const;

 private:
  double percentile_;
  std::size_t window_;
  std::size_t min_samples_;
  std::vector<Duration> samples_;  // ring buffer of the last window_ latencies
  std::size_t next_ = 0;
};

}  // namespace synod::loadbalance
