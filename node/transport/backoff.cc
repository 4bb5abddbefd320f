#include "node/transport/backoff.h"

#include <algorithm>

namespace synod::node::transport {

Backoff::Backoff(Duration min_delay, Duration max_delay)
    : min_delay_(std::max(min_delay, Duration(1))), max_delay_(std::max(max_delay, min_delay_)) {}

Duration Backoff::next(Random& random) {
  // Doubling stops once the cap is reached, so the shift never overflows.
  Duration base = min_delay_;
  for (std::uint32_t i = 0; i < attempts_ && base < max_delay_; ++i) base *= 2;
  base = std::min(base, max_delay_);
  ++attempts_;
  const auto half = static_cast<std::uint64_t>(base.count() / 2);
  const auto full = static_cast<std::uint64_t>(base.count());
  return Duration(static_cast<Duration::rep>(random.uniform(half, full)));
}

}  // namespace synod::node::transport
