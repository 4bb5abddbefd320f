#include "discovery/suspicion.h"

#include <algorithm>
#include <cmath>

namespace synod::discovery {

Suspicion::Suspicion(std::string from, std::uint32_t expected_confirmations, Duration min,
                     Duration max, MonoTime start)
    : expected_(expected_confirmations), min_(min), max_(std::max(min, max)), start_(start) {
  confirmers_.insert(std::move(from));
}

bool Suspicion::confirm(const std::string& from) {
  if (confirmations_ >= expected_) return false;
  if (!confirmers_.insert(from).second) return false;
  ++confirmations_;
  return true;
}

Duration Suspicion::timeout() const {
  if (expected_ == 0) return min_;
  const double fraction =
      std::log(static_cast<double>(confirmations_) + 1.0) / std::log(expected_ + 1.0);
  const double span = static_cast<double>((max_ - min_).count());
  const auto shrunk = max_ - Duration(static_cast<Duration::rep>(std::floor(fraction * span)));
  return std::max(min_, shrunk);
}

}  // namespace synod::discovery
