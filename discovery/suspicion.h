// Suspicion: the Lifeguard suspicion timer of one suspected member
// (Dadgar et al., "Lifeguard", 2018, §IV-B "Dogpile").
//
// The timeout starts at `max` and shrinks towards `min` as independent
// members confirm the suspicion:
//   timeout(c) = max(min, max - (max - min) * log(c + 1) / log(k + 1))
// where c is the number of distinct confirmers heard so far and k the number
// expected. With k confirmations the member is declared dead after `min`;
// a member suspected by one node alone waits the full `max`, which gives a
// slow (not dead) member time to refute.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "common/clock.h"

namespace synod::discovery {

class Suspicion {
 public:
  // `from` is the first suspecter (not counted as a confirmation).
  Suspicion(std::string from, std::uint32_t expected_confirmations, Duration min, Duration max,
            MonoTime start);
  // Records a confirmation; true if `from` is new (the caller re-gossips it).
  bool confirm(const std::string& from);
  [[nodiscard]] Duration timeout() const;
  [[nodiscard]] MonoTime deadline() const { return start_ + timeout(); }
  [[nodiscard]] std::uint32_t confirmations() const { return confirmations_; }

 private:
  std::uint32_t expected_;
  Duration min_;
  Duration max_;
  MonoTime start_;
  std::uint32_t confirmations_ = 0;
  std::set<std::string> confirmers_;
};

}  // namespace synod::discovery
