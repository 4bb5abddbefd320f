#include "loadbalance/outlier.h"

#include <algorithm>

#include "common/metrics.h"

namespace synod::loadbalance {
namespace {

metrics::Counter& ejections_metric() {
  static metrics::Counter& c = metrics::Registry::global().counter(
      "synod_lb_ejections_total", "Endpoints ejected by outlier detection");
  return c;
}

metrics::Counter& panic_metric() {
  static metrics::Counter& c = metrics::Registry::global().counter(
      "synod_lb_panic_picks_total", "Picks made in panic mode (too few healthy endpoints)");
  return c;
}

}  // namespace

OutlierEjector::OutlierEjector(std::unique_ptr<Strategy> inner, OutlierConfig config,
                               const Clock& clock, Random& rng)
    : Strategy(rng), inner_(std::move(inner)), config_(config), clock_(clock) {}

bool OutlierEjector::ejected(std::size_t index) const {
  if (index >= endpoints_.size()) return false;
  auto it = state_.find(endpoints_[index].id);
  return it != state_.end() && it->second.ejected_until.has_value();
}

std::size_t OutlierEjector::ejected_count() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) n += ejected(i) ? 1 : 0;
  return n;
}

void OutlierEjector::refresh() {
  MonoTime now = clock_.now();
  for (auto& [id, s] : state_) {
    if (s.ejected_until && now >= *s.ejected_until) {
      s.ejected_until.reset();
      s.consecutive_failures = 0;
    }
  }
  std::size_t available = 0;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    if (endpoints_[i].healthy && !ejected(i)) ++available;
  }
  panic_ =
      !endpoints_.empty() && available * 100 < config_.panic_threshold_percent * endpoints_.size();
  std::vector<bool> view(endpoints_.size());
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    view[i] = panic_ || (endpoints_[i].healthy && !ejected(i));
  }
  if (!dirty_ && view == inner_view_) return;
  std::vector<Endpoint> eps = endpoints_;
  for (std::size_t i = 0; i < eps.size(); ++i) eps[i].healthy = view[i];
  inner_->set_endpoints(std::move(eps));
  inner_view_ = std::move(view);
  dirty_ = false;
}

std::optional<std::size_t> OutlierEjector::pick(const PickRequest& request) {
  refresh();
  if (panic_) panic_metric().inc();
  return inner_->pick(request);
}

std::size_t OutlierEjector::do_pick(const PickRequest& request) {
  return pick(request).value_or(0);  // not reached: pick() is overridden
}

void OutlierEjector::on_start(std::size_t index) {
  Strategy::on_start(index);
  inner_->on_start(index);
}

void OutlierEjector::on_finish(std::size_t index, Duration latency, bool success) {
  Strategy::on_finish(index, latency, success);
  inner_->on_finish(index, latency, success);
  if (index >= endpoints_.size()) return;
  State& s = state_[endpoints_[index].id];
  if (success) {
    s.consecutive_failures = 0;
    return;
  }
  ++s.consecutive_failures;
  if (s.ejected_until || s.consecutive_failures < config_.consecutive_failures) return;
  if ((ejected_count() + 1) * 100 > config_.max_ejection_percent * endpoints_.size()) return;
  Duration t = config_.base_ejection_time;
  for (std::uint32_t k = 0; k < s.times_ejected && t < config_.max_ejection_time; ++k) t *= 2;
  t = std::min(t, config_.max_ejection_time);
  s.ejected_until = clock_.now() + t;
  ++s.times_ejected;
  ejections_metric().inc();
}

std::optional<std::size_t> RetryPicker::next() {
  if (tried_.size() >= max_attempts_) return std::nullopt;
  auto chosen = strategy_.pick({key_, tried_});
  if (chosen) tried_.push_back(*chosen);
  return chosen;
}

}  // namespace synod::loadbalance
