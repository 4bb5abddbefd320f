#include "loadbalance/hedge.h"

#include <algorithm>
#include <cmath>

namespace synod::loadbalance {

HedgePolicy::HedgePolicy(double percentile, std::size_t window, std::size_t min_samples)
    : percentile_(std::clamp(percentile, 0.0, 100.0)),
      window_(std::max<std::size_t>(1, window)),
      min_samples_(std::min(min_samples, window_)) {}

void HedgePolicy::record(Duration latency) {
  if (samples_.size() < window_) {
    samples_.push_back(latency);
    return;
  }
  samples_[next_] = latency;
  next_ = (next_ + 1) % window_;
}

std::optional<Duration> HedgePolicy::hedge_after() const {
  if (percentile_ <= 0 || samples_.empty() || samples_.size() < min_samples_) return std::nullopt;
  std::vector<Duration> sorted = samples_;
  auto rank =
      static_cast<std::size_t>(std::ceil(percentile_ / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size()) - 1;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(rank),
                   sorted.end());
  return sorted[rank];
}

}  // namespace synod::loadbalance
