// Clock: the only way synod code reads time, so tests and the simulator can
// substitute virtual time. Implementations are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace synod {

using Duration = std::chrono::nanoseconds;
// Monotonic time since an arbitrary epoch; never goes backwards.
using MonoTime = std::chrono::time_point<std::chrono::steady_clock, Duration>;
// Wall-clock time (for display, session timestamps); may jump.
using WallTime = std::chrono::time_point<std::chrono::system_clock, Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic now: use for timeouts, latencies and leases.
  [[nodiscard]] virtual MonoTime now() const = 0;
  // Wall-clock now: use only for what a human reads.
  [[nodiscard]] virtual WallTime wall_now() const = 0;
};

// The real clocks (steady_clock and system_clock).
class SystemClock final : public Clock {
 public:
  [[nodiscard]] MonoTime now() const override;
  [[nodiscard]] WallTime wall_now() const override;
  // A process-wide instance.
  static SystemClock& instance();
};

// A clock that moves only when told to; for tests and simulation.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Duration start = Duration::zero()) : nanos_(start.count()) {}
  [[nodiscard]] MonoTime now() const override { return MonoTime(Duration(nanos_.load())); }
  [[nodiscard]] WallTime wall_now() const override { return WallTime(Duration(nanos_.load())); }
  void advance(Duration d) { nanos_ += d.count(); }
  void set(Duration since_epoch) { nanos_ = since_epoch.count(); }

 private:
  std::atomic<std::int64_t> nanos_;
};

// Milliseconds as a double, for logs and metrics.
inline double to_millis(Duration d) { return static_cast<double>(d.count()) / 1e6; }

}  // namespace synod
