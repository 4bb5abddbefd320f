// BackendMetrics: the metrics every storage backend records, labelled
// backend="<name>", so dashboards compare backends one to one:
//
//   synod_persistence_append_seconds{backend}        histogram, per append()
//   synod_persistence_sync_seconds{backend}          histogram, per sync()/commit
//   synod_persistence_bytes_written_total{backend}   counter
//   synod_persistence_errors_total{backend,op}       counter, op = append|sync|
//                                                    truncate|compact|stable|
//                                                    snapshot|applied|open|read
//
// Construct one per backend instance (cheap; lookups happen once) and time
// operations with ScopedTimer or observe durations directly. Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/metrics.h"
#include "common/status.h"

namespace synod::persistence {

class BackendMetrics {
 public:
  explicit BackendMetrics(std::string_view backend);

  void observe_append(std::chrono::nanoseconds elapsed, std::uint64_t bytes) const;
  void observe_sync(std::chrono::nanoseconds elapsed) const;
  void add_bytes_written(std::uint64_t bytes) const;
  void count_error(std::string_view op) const;
  // Counts an error for op if status is not OK, and passes status through.
  Status track(std::string_view op, Status status) const;

  [[nodiscard]] const metrics::Histogram& append_seconds() const { return append_seconds_; }
  [[nodiscard]] const metrics::Histogram& sync_seconds() const { return sync_seconds_; }
  [[nodiscard]] const metrics::Counter& bytes_written() const { return bytes_written_; }
  [[nodiscard]] double errors(std::string_view op) const;

 private:
  std::string backend_;
  metrics::Histogram& append_seconds_;
  metrics::Histogram& sync_seconds_;
  metrics::Counter& bytes_written_;
};

// Measures the time since construction.
class StopWatch {
 public:
  StopWatch() : start_(std::chrono::steady_clock::now()) {}
  [[nodiscard]] std::chrono::nanoseconds elapsed() const {
    return std::chrono::steady_clock::now() - start_;
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace synod::persistence
