// Process-wide metrics in the Prometheus data model, rendered as the text
// exposition format at /metrics.
//
// Every layer records through this header (it sits in common/ so persistence,
// crypto and the rest need no upward dependency). Look a metric up once and
// keep the reference: lookups take a mutex, updates are lock-free atomics.
// References stay valid for the life of the Registry.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace synod::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count.
class Counter {
 public:
  void inc(double by = 1.0);
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double by);
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A cumulative histogram over fixed upper bounds (seconds for latencies).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket (non-cumulative) counts; the last is the +Inf bucket.
  [[nodiscard]] std::vector<std::uint64_t> bucket_counts() const;
  [[nodiscard]] std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  [[nodiscard]] double sum() const { return sum_.load(std::memory_order_relaxed); }
  // An estimate of quantile q (0..1) by linear interpolation inside a bucket.
  [[nodiscard]] double quantile(double q) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// 50 µs .. 10 s, roughly x2 per bucket: suits disk syncs, RPCs and HTTP.
std::vector<double> latency_buckets();
// 1 .. 1M, x4 per bucket: suits sizes in bytes or batch sizes.
std::vector<double> size_buckets();

class Registry {
 public:
  // The process-wide registry that /metrics renders.
  static Registry& global();

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels = {},
                       std::vector<double> bounds = latency_buckets());

  // The Prometheus text exposition format (version 0.0.4), families sorted.
  [[nodiscard]] std::string render() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Family {
    Kind kind;
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> counters;  // key: rendered labels
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(std::string_view name, std::string_view help, Kind kind);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;  // GUARDED_BY(mutex_)
};

// Renders labels as Prometheus does: {a="x",b="y"} with escaping; "" if none.
std::string render_labels(const Labels& labels);

}  // namespace synod::metrics
