#include "loadbalance/strategy.h"

#include <algorithm>
#include <chrono>
#include <map>

namespace synod::loadbalance {

// Defined in strategies.cc: registers every built-in strategy (referencing it
// from here keeps that object file linked in).
void register_builtin_strategies();

void Strategy::set_endpoints(std::vector<Endpoint> endpoints) {
  std::unordered_map<std::string, EndpointStats> old;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) old[endpoints_[i].id] = stats_[i];
  endpoints_ = std::move(endpoints);
  stats_.assign(endpoints_.size(), EndpointStats{});
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    auto it = old.find(endpoints_[i].id);
    if (it != old.end()) stats_[i] = it->second;
  }
  rebuild();
}

bool Strategy::eligible(std::size_t index, const PickRequest& request) const {
  if (!endpoints_[index].healthy) return false;
  return std::find(request.exclude.begin(), request.exclude.end(), index) == request.exclude.end();
}

std::optional<std::size_t> Strategy::pick(const PickRequest& request) {
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    if (eligible(i, request)) return do_pick(request);
  }
  return std::nullopt;
}

void Strategy::on_start(std::size_t index) {
  if (index >= stats_.size()) return;
  EndpointStats& s = stats_[index];
  s.queue_ewma += ewma_alpha_ * (s.in_flight - s.queue_ewma);
  ++s.in_flight;
}

void Strategy::on_finish(std::size_t index, Duration latency, bool success) {
  if (index >= stats_.size()) return;
  EndpointStats& s = stats_[index];
  if (s.in_flight > 0) --s.in_flight;
  double seconds = std::chrono::duration<double>(latency).count();
  if (success) {
    ++s.successes;
  } else {
    ++s.failures;
  }
  // Failures count as slow as the slowest sample seen so far, so an endpoint
  // that fails fast does not attract traffic.
  if (!success) seconds = std::max(seconds, s.peak_ewma_seconds * 2);
  bool first = s.successes + s.failures == 1;
  s.ewma_seconds = first ? seconds : s.ewma_seconds + ewma_alpha_ * (seconds - s.ewma_seconds);
  double per_request = seconds / (s.queue_ewma + 1);
  s.service_ewma_seconds =
      first ? per_request
            : s.service_ewma_seconds + ewma_alpha_ * (per_request - s.service_ewma_seconds);
  if (seconds > s.peak_ewma_seconds) {
    s.peak_ewma_seconds = seconds;
  } else {
    s.peak_ewma_seconds += ewma_alpha_ * (seconds - s.peak_ewma_seconds);
  }
}

std::size_t Strategy::random_eligible(const PickRequest& request) {
  std::size_t count = 0;
  std::size_t chosen = 0;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    if (!eligible(i, request)) continue;
    ++count;
    if (rng_.uniform(1, count) == 1) chosen = i;  // reservoir sampling
  }
  return chosen;
}

std::size_t Strategy::min_eligible(const PickRequest& request,
                                   const std::function<double(std::size_t)>& cost) {
  std::size_t chosen = 0;
  std::size_t ties = 0;
  double best = 0;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    if (!eligible(i, request)) continue;
    double c = cost(i);
    if (ties == 0 || c < best) {
      best = c;
      chosen = i;
      ties = 1;
    } else if (c == best && rng_.uniform(1, ++ties) == 1) {
      chosen = i;
    }
  }
  return chosen;
}

std::uint64_t stable_hash(std::string_view data, std::uint64_t seed) {
  std::uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

namespace {

std::map<std::string, StrategyFactory, std::less<>>& registry() {
  static std::map<std::string, StrategyFactory, std::less<>> factories;
  return factories;
}

void ensure_builtins() {
  static const bool done = [] {
    register_builtin_strategies();
    return true;
  }();
  (void)done;
}

}  // namespace

bool register_strategy(std::string_view name, StrategyFactory factory) {
  return registry().emplace(std::string(name), std::move(factory)).second;
}

Result<std::unique_ptr<Strategy>> make_strategy(std::string_view name, Random& rng) {
  ensure_builtins();
  auto it = registry().find(name);
  if (it == registry().end()) {
    return invalid_argument("unknown load-balancing strategy '" + std::string(name) + "'");
  }
  return it->second(rng);
}

std::vector<std::string> strategy_names() {
  ensure_builtins();
  std::vector<std::string> names;
  for (const auto& [name, factory] : registry()) names.push_back(name);
  return names;
}

}  // namespace synod::loadbalance
