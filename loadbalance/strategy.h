// Strategy: picks the endpoint that serves one request, and learns from how
// requests went (in-flight counts, latency, success).
//
// A strategy is given the endpoint list with set_endpoints(); pick() returns
// an index into that list (valid until the next set_endpoints()). The caller
// reports on_start() when it sends the request to the picked endpoint and
// on_finish() when the request ends. Statistics are kept per endpoint id, so
// they survive set_endpoints() for endpoints that stay.
//
// Strategies are registered by name (see SYNOD_REGISTER_STRATEGY); they take
// randomness only from the injected Random, so a seed replays a run. Not
// thread-safe: one strategy instance per event loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"

namespace synod::loadbalance {

struct Endpoint {
  std::string id;       // stable identity (node id, instance id)
  std::string address;  // where to send the request
  std::uint32_t weight = 1;
  bool healthy = true;  // unhealthy endpoints are never picked
};

struct PickRequest {
  std::optional<std::string_view> key;   // affinity key (client ip, session, ...)
  std::span<const std::size_t> exclude;  // endpoints already tried (retries)
};

// What the strategy knows about one endpoint.
struct EndpointStats {
  std::uint32_t in_flight = 0;
  double ewma_seconds = 0;       // EWMA of latency (0: no sample yet)
  double peak_ewma_seconds = 0;  // EWMA that jumps up at once on a slower sample
  // EWMA of the in-flight count each request found when it was sent, and of
  // latency / (that + 1): the time one request costs there, queueing removed.
  double queue_ewma = 0;
  double service_ewma_seconds = 0;
  std::uint64_t successes = 0;
  std::uint64_t failures = 0;
};

class Strategy {
 public:
  explicit Strategy(Random& rng) : rng_(rng) {}
  virtual ~Strategy() = default;
  Strategy(const Strategy&) = delete;
  Strategy& operator=(const Strategy&) = delete;

  // Replaces the endpoint list; statistics carry over by endpoint id.
  void set_endpoints(std::vector<Endpoint> endpoints);
  const std::vector<Endpoint>& endpoints() const { return endpoints_; }
  const EndpointStats& stats(std::size_t index) const { return stats_[index]; }

  // The endpoint for this request, or nullopt when no healthy endpoint is left
  // that is not excluded.
  virtual std::optional<std::size_t> pick(const PickRequest& request = {});

  // The request picked for `index` was sent.
  virtual void on_start(std::size_t index);
  // The request sent to `index` ended after `latency`.
  virtual void on_finish(std::size_t index, Duration latency, bool success);

  virtual std::string_view name() const = 0;

 protected:
  // Called after the endpoint list (or a health flag) changed.
  virtual void rebuild() {}
  // Pick among eligible endpoints; at least one is eligible.
  virtual std::size_t do_pick(const PickRequest& request) = 0;

  // Healthy and not excluded by the request.
  bool eligible(std::size_t index, const PickRequest& request) const;
  // A uniformly random eligible endpoint.
  std::size_t random_eligible(const PickRequest& request);
  // The eligible endpoint minimising cost(i); ties broken uniformly at random.
  std::size_t min_eligible(const PickRequest& request,
                           const std::function<double(std::size_t)>& cost);

  Random& rng_;
  std::vector<Endpoint> endpoints_;
  std::vector<EndpointStats> stats_;
  double ewma_alpha_ = 0.02;  // weight of a new latency sample (~last 50 count)
};

// A stable 64-bit hash (FNV-1a followed by a splitmix64 finaliser): the same
// key maps to the same endpoint on every node and every build.
std::uint64_t stable_hash(std::string_view data, std::uint64_t seed = 0);

// The registry of strategies by name.
using StrategyFactory = std::function<std::unique_ptr<Strategy>(Random&)>;
bool register_strategy(std::string_view name, StrategyFactory factory);
Result<std::unique_ptr<Strategy>> make_strategy(std::string_view name, Random& rng);
// Every registered name, sorted.
std::vector<std::string> strategy_names();

// Registers class `T` (constructible from Random&) under `name`.
template <typename T>
bool register_strategy_class(std::string_view name) {
  return register_strategy(
      name, [](Random& rng) -> std::unique_ptr<Strategy> { return std::make_unique<T>(rng); });
}

}  // namespace synod::loadbalance
