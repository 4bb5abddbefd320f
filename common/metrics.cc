#include "common/metrics.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace synod::metrics {
namespace {

void atomic_add(std::atomic<double>& target, double by) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + by, std::memory_order_relaxed)) {
  }
}

std::string format_value(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip form
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Joins the rendered label set with one more label (for histogram "le").
std::string with_label(const std::string& rendered, const std::string& extra) {
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

}  // namespace

void Counter::inc(double by) { atomic_add(value_, by); }
void Gauge::add(double by) { atomic_add(value_, by); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i] = 0;
}

void Histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

std::vector<std::uint64_t> Histogram::bucket_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) out[i] = buckets_[i].load();
  return out;
}

double Histogram::quantile(double q) const {
  auto counts = bucket_counts();
  std::uint64_t total = 0;
  for (auto c : counts) total += c;
  if (total == 0) return 0;
  const double rank = q * static_cast<double>(total);
  double seen = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (seen + static_cast<double>(counts[i]) >= rank && counts[i] > 0) {
      const double lower = i == 0 ? 0 : bounds_[i - 1];
      const double upper = i < bounds_.size() ? bounds_[i] : lower;
      return lower + (upper - lower) * ((rank - seen) / static_cast<double>(counts[i]));
    }
    seen += static_cast<double>(counts[i]);
  }
  return bounds_.empty() ? 0 : bounds_.back();
}

std::vector<double> latency_buckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,   0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0, 10.0};
}

std::vector<double> size_buckets() {
  std::vector<double> out;
  for (double b = 1; b <= 1 << 20; b *= 4) out.push_back(b);
  return out;
}

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ",";
    out += labels[i].first + "=\"" + escape_label_value(labels[i].second) + "\"";
  }
  return out + "}";
}

Registry& Registry::global() {
  static Registry* registry = new Registry();  // never destroyed: usable during exit
  return *registry;
}

Registry::Family& Registry::family(std::string_view name, std::string_view help, Kind kind) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{kind, std::string(help), {}, {}, {}}).first;
  } else if (it->second.kind != kind) {
    // A programming error, caught by the first test that touches the metric.
    throw std::logic_error("metric " + std::string(name) + " registered with two kinds");
  }
  return it->second;
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Kind::kCounter).counters[render_labels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Kind::kGauge).gauges[render_labels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, const Labels& labels,
                               std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Kind::kHistogram).histograms[render_labels(labels)];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return *slot;
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, fam] : families_) {
    const char* type = fam.kind == Kind::kCounter ? "counter"
                       : fam.kind == Kind::kGauge ? "gauge"
                                                  : "histogram";
    out += "# HELP " + name + " " + fam.help + "\n";
    out += "# TYPE " + name + " " + type + "\n";
    for (const auto& [labels, c] : fam.counters) {
      out += name + labels + " " + format_value(c->value()) + "\n";
    }
    for (const auto& [labels, g] : fam.gauges) {
      out += name + labels + " " + format_value(g->value()) + "\n";
    }
    for (const auto& [labels, h] : fam.histograms) {
      auto counts = h->bucket_counts();
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        const std::string le =
            i < h->bounds().size() ? format_value(h->bounds()[i]) : std::string("+Inf");
        out += name + "_bucket" + with_label(labels, "le=\"" + le + "\"") + " " +
               std::to_string(cumulative) + "\n";
      }
      out += name + "_sum" + labels + " " + format_value(h->sum()) + "\n";
      out += name + "_count" + labels + " " + std::to_string(h->count()) + "\n";
    }
  }
  return out;
}

}  // namespace synod::metrics
