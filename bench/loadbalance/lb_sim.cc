// lb_sim: discrete-event simulation of load balancing over 10 backends.
//
// Each backend is a single FIFO server with exponential service times (mean
// 10 ms at speed 1, divided by its speed). Requests arrive as a Poisson
// process at 70% or 90% of the (time-averaged) total capacity, each with a
// random client key, and are dispatched at once by the strategy under test,
// which sees on_start at dispatch and on_finish with the client-observed
// latency (queueing + service). The oracle knows every queue and speed and
// sends each request where its expected completion is soonest.
//
// Scenarios: homogeneous; one backend 10x slower; one backend flapping
// between normal and 10x slower every second; mixed capacities (weights set
// to capacity, as an operator would). Prints p50/p99/p999 latency in ms.
//
// Usage: lb_sim [requests per run, default 200000] [seed, default 1]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "common/random.h"
#include "loadbalance/strategy.h"

namespace {

using synod::SeededRandom;
using synod::loadbalance::Endpoint;
using synod::loadbalance::PickRequest;
using synod::loadbalance::Strategy;

constexpr int kBackends = 10;
constexpr double kBaseService = 0.010;  // seconds at speed 1
constexpr double kFlapPeriod = 1.0;     // seconds in each state
constexpr int kKeySpace = 100000;

struct Scenario {
  const char* name;
  std::vector<double> speeds;  // nominal speed of each backend
  bool flapping = false;       // backend 0 alternates speed 1 and 0.1
  bool weighted = false;       // strategies get weights proportional to speed
};

double speed_at(const Scenario& sc, int backend, double now) {
  if (sc.flapping && backend == 0) {
    return static_cast<long>(now / kFlapPeriod) % 2 == 0 ? 1.0 : 0.1;
  }
  return sc.speeds[backend];
}

double average_capacity(const Scenario& sc) {
  double total = 0;
  for (int b = 0; b < kBackends; ++b) {
    total += (sc.flapping && b == 0) ? (1.0 + 0.1) / 2 : sc.speeds[b];
  }
  return total / kBaseService;  // requests per second
}

struct Backend {
  std::deque<double> waiting;  // arrival times of queued requests (not in service)
  bool busy = false;
  double in_service_arrival = 0;
  double busy_until = 0;
  int queued() const { return static_cast<int>(waiting.size()) + (busy ? 1 : 0); }
};

struct Percentiles {
  double p50, p99, p999;
};

double exponential(SeededRandom& rng, double mean) {
  return -std::log(1.0 - rng.uniform01()) * mean;
}

// Runs one simulation; strategy == nullptr means the oracle.
Percentiles simulate(const Scenario& sc, double utilisation, Strategy* strategy, int requests,
                     std::uint64_t seed) {
  SeededRandom arrivals(seed);
  SeededRandom service(seed * 7919 + 1);
  std::vector<Backend> backends(kBackends);
  double rate = utilisation * average_capacity(sc);

  if (strategy) {
    std::vector<Endpoint> eps;
    for (int b = 0; b < kBackends; ++b) {
      std::uint32_t w = sc.weighted ? static_cast<std::uint32_t>(std::lround(sc.speeds[b] * 2)) : 1;
      eps.push_back({"backend-" + std::to_string(b), "10.0.0." + std::to_string(b), w, true});
    }
    strategy->set_endpoints(std::move(eps));
  }

  // Completion events: (time, backend).
  using Event = std::pair<double, int>;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> completions;
  std::vector<double> latencies;
  latencies.reserve(requests);
  int warmup = requests / 10;
  int completed = 0;

  auto start_service = [&](int b, double now, double arrival) {
    Backend& be = backends[b];
    be.busy = true;
    be.in_service_arrival = arrival;
    be.busy_until = now + exponential(service, kBaseService / speed_at(sc, b, now));
    completions.emplace(be.busy_until, b);
  };

  auto finish = [&](int b, double now) {
    Backend& be = backends[b];
    double latency = now - be.in_service_arrival;
    if (completed++ >= warmup) latencies.push_back(latency);
    if (strategy) {
      strategy->on_finish(
          static_cast<std::size_t>(b),
          std::chrono::duration_cast<synod::Duration>(std::chrono::duration<double>(latency)),
          true);
    }
    be.busy = false;
    if (!be.waiting.empty()) {
      double arrival = be.waiting.front();
      be.waiting.pop_front();
      start_service(b, now, arrival);
    }
  };

  double now = 0;
  for (int r = 0; r < requests; ++r) {
    now += exponential(arrivals, 1.0 / rate);
    while (!completions.empty() && completions.top().first <= now) {
      auto [t, b] = completions.top();
      completions.pop();
      finish(b, t);
    }
    int target;
    if (strategy) {
      std::string key = "client-" + std::to_string(arrivals.uniform(0, kKeySpace - 1));
      target = static_cast<int>(strategy->pick({key, {}}).value_or(0));
      strategy->on_start(static_cast<std::size_t>(target));
    } else {
      target = 0;
      double best = 1e300;
      for (int b = 0; b < kBackends; ++b) {
        double expected = (backends[b].queued() + 1) * kBaseService / speed_at(sc, b, now);
        if (expected < best) {
          best = expected;
          target = b;
        }
      }
    }
    Backend& be = backends[target];
    if (be.busy) {
      be.waiting.push_back(now);
    } else {
      start_service(target, now, now);
    }
  }
  while (!completions.empty()) {
    auto [t, b] = completions.top();
    completions.pop();
    finish(b, t);
  }
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) {
    std::size_t i = std::min(latencies.size() - 1, static_cast<std::size_t>(q * latencies.size()));
    return latencies[i] * 1000;
  };
  return {at(0.50), at(0.99), at(0.999)};
}

}  // namespace

int main(int argc, char** argv) {
  int requests = argc > 1 ? std::atoi(argv[1]) : 200000;
  std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  if (requests < 1000) {
    std::fprintf(stderr, "usage: lb_sim [requests >= 1000] [seed]\n");
    return 2;
  }
  std::vector<double> ones(kBackends, 1.0);
  std::vector<double> slow = ones;
  slow[0] = 0.1;
  std::vector<Scenario> scenarios = {
      {"homogeneous", ones, false, false},
      {"one 10x slower", slow, false, false},
      {"one flapping (1s normal / 1s 10x slower)", ones, true, false},
      {"mixed capacities 0.5,0.5,1,1,1,1,2,2,3,3 (weighted)",
       {0.5, 0.5, 1, 1, 1, 1, 2, 2, 3, 3},
       false,
       true},
  };
  std::vector<std::string> names = synod::loadbalance::strategy_names();
  std::printf("lb_sim: %d backends, %d requests per run (first 10%% discarded), seed %llu\n",
              kBackends, requests, static_cast<unsigned long long>(seed));
  for (const auto& sc : scenarios) {
    for (double util : {0.7, 0.9}) {
      std::printf("\n## %s, %.0f%% utilisation (latency ms)\n", sc.name, util * 100);
      std::printf("%-22s %9s %9s %9s %12s\n", "strategy", "p50", "p99", "p999", "p99/oracle");
      Percentiles oracle = simulate(sc, util, nullptr, requests, seed);
      std::printf("%-22s %9.2f %9.2f %9.2f %12.2f\n", "oracle", oracle.p50, oracle.p99, oracle.p999,
                  1.0);
      for (const auto& name : names) {
        SeededRandom rng(seed + 17);
        auto made = synod::loadbalance::make_strategy(name, rng);
        if (!made.is_ok()) return 1;
        std::unique_ptr<Strategy> strategy = std::move(made).value();
        Percentiles p = simulate(sc, util, strategy.get(), requests, seed);
        std::printf("%-22s %9.2f %9.2f %9.2f %12.2f\n", name.c_str(), p.p50, p.p99, p.p999,
                    p.p99 / oracle.p99);
      }
    }
  }
  return 0;
}
