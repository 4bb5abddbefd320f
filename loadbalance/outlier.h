// Outlier ejection around any strategy, and retries that avoid endpoints
// already tried.
//
// OutlierEjector wraps a Strategy: an endpoint whose requests fail
// `consecutive_failures` times in a row is ejected (not picked) for
// base_ejection_time x 2^(times ejected before), capped at max_ejection_time.
// At most max_ejection_percent of the endpoints are ejected at once. When
// fewer than panic_threshold_percent of the endpoints are healthy and not
// ejected, the ejector panics: it ignores health and ejection and spreads load
// over every endpoint (better some errors than overloading the few left).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "loadbalance/strategy.h"

namespace synod::loadbalance {

struct OutlierConfig {
  std::uint32_t consecutive_failures = 5;
  Duration base_ejection_time = std::chrono::seconds(30);
  Duration max_ejection_time = std::chrono::minutes(5);
  std::uint32_t max_ejection_percent = 50;
  std::uint32_t panic_threshold_percent = 50;
};

class OutlierEjector final : public Strategy {
 public:
  OutlierEjector(std::unique_ptr<Strategy> inner, OutlierConfig config, const Clock& clock,
                 Random& rng);

  // Panic mode may pick endpoints the caller marked unhealthy.
  std::optional<std::size_t> pick(const PickRequest& request = {}) override;
  void on_start(std::size_t index) override;
  void on_finish(std::size_t index, Duration latency, bool success) override;
  std::string_view name() const override { return inner_->name(); }

  bool ejected(std::size_t index) const;
  // True when the last pick ran in panic mode.
  bool panicking() const { return panic_; }
  const Strategy& inner() const { return *inner_; }

 protected:
  void rebuild() override { dirty_ = true; }
  std::size_t do_pick(const PickRequest& request) override;

 private:
  struct State {
    std::uint32_t consecutive_failures = 0;
    std::uint32_t times_ejected = 0;
    std::optional<MonoTime> ejected_until;
  };
  // Ends ejections that are over and hands the inner strategy the endpoint
  // list as it should see it (health x ejection, or everything when panicking).
  void refresh();
  std::size_t ejected_count() const;

  std::unique_ptr<Strategy> inner_;
  OutlierConfig config_;
  const Clock& clock_;
  std::unordered_map<std::string, State> state_;  // by endpoint id
  std::vector<bool> inner_view_;                  // healthy flags last given to inner_
  bool dirty_ = true;
  bool panic_ = false;
};

// The endpoints for the attempts of one request: each next() avoids every
// endpoint already returned, so a retry goes to a different endpoint.
class RetryPicker {
 public:
  RetryPicker(Strategy& strategy, std::optional<std::string_view> key, std::uint32_t max_attempts)
      : strategy_(strategy), key_(key), max_attempts_(max_attempts) {}
  // The endpoint for the next attempt, or nullopt when attempts or endpoints
  // are used up.
  std::optional<std::size_t> next();
  const std::vector<std::size_t>& tried() const { return tried_; }

 private:
  Strategy& strategy_;
  std::optional<std::string_view> key_;
  std::uint32_t max_attempts_;
  std::vector<std::size_t> tried_;
};

}  // namespace synod::loadbalance
