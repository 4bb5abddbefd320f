// The built-in strategies. Adding one: a class deriving from Strategy here (or
// anywhere linked in) and one register_strategy_class line at the bottom.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "loadbalance/strategy.h"

namespace synod::loadbalance {
namespace {

// Cycles through the endpoints in order, skipping ineligible ones.
class RoundRobin final : public Strategy {
 public:
  using Strategy::Strategy;
  std::string_view name() const override { return "round_robin"; }

 protected:
  std::size_t do_pick(const PickRequest& request) override {
    std::size_t n = endpoints_.size();
    for (std::size_t step = 0; step < n; ++step) {
      std::size_t i = (next_ + step) % n;
      if (eligible(i, request)) {
        next_ = i + 1;
        return i;
      }
    }
    return 0;  // unreachable: pick() checked that one is eligible
  }

 private:
  std::size_t next_ = 0;
};

// Smooth weighted round robin (as in nginx): every pick adds each weight to
// that endpoint's running score, takes the highest and subtracts the total, so
// a weight-5 endpoint is interleaved with the others instead of 5 in a row.
class WeightedRoundRobin final : public Strategy {
 public:
  using Strategy::Strategy;
  std::string_view name() const override { return "weighted_round_robin"; }

 protected:
  void rebuild() override { current_.assign(endpoints_.size(), 0); }
  std::size_t do_pick(const PickRequest& request) override {
    std::int64_t total = 0;
    std::size_t best = endpoints_.size();
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      if (!eligible(i, request)) continue;
      std::int64_t w = endpoints_[i].weight;
      current_[i] += w;
      total += w;
      if (best == endpoints_.size() || current_[i] > current_[best]) best = i;
    }
    current_[best] -= total;
    return best;
  }

 private:
  std::vector<std::int64_t> current_;
};

class RandomPick final : public Strategy {
 public:
  using Strategy::Strategy;
  std::string_view name() const override { return "random"; }

 protected:
  std::size_t do_pick(const PickRequest& request) override { return random_eligible(request); }
};

// Random with probability proportional to weight.
class WeightedRandom final : public Strategy {
 public:
  using Strategy::Strategy;
  std::string_view name() const override { return "weighted_random"; }

 protected:
  std::size_t do_pick(const PickRequest& request) override {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      if (eligible(i, request)) total += endpoints_[i].weight;
    }
    if (total == 0) return random_eligible(request);  // all weights zero
    std::uint64_t ticket = rng_.uniform(0, total - 1);
    std::size_t last = 0;
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      if (!eligible(i, request)) continue;
      last = i;
      if (ticket < endpoints_[i].weight) return i;
      ticket -= endpoints_[i].weight;
    }
    return last;
  }
};

// Fewest requests in flight (per unit of weight); ties broken at random.
class LeastConnections final : public Strategy {
 public:
  using Strategy::Strategy;
  std::string_view name() const override { return "least_connections"; }

 protected:
  std::size_t do_pick(const PickRequest& request) override {
    return min_eligible(request, [this](std::size_t i) {
      return static_cast<double>(stats_[i].in_flight) /
             std::max<std::uint32_t>(1, endpoints_[i].weight);
    });
  }
};

// Lowest EWMA latency scaled by the queue the request would join. Endpoints
// without a sample yet cost 0 so they are tried first.
class LeastResponseTime final : public Strategy {
 public:
  using Strategy::Strategy;
  std::string_view name() const override { return "least_response_time"; }

 protected:
  std::size_t do_pick(const PickRequest& request) override {
    return min_eligible(request, [this](std::size_t i) {
      return stats_[i].ewma_seconds * (stats_[i].in_flight + 1);
    });
  }
};

// Power of two choices with memory: two distinct random endpoints plus the
// previous winner; the lowest expected completion wins, i.e. per-request
// latency EWMA x (in-flight + 1). O(1) state per endpoint, no herd: every
// balancer samples on its own. The remembered winner (Mitzenmacher, Prabhakar
// and Shah, "Load balancing with memory") closes most of the gap to a full
// scan at high load; the per-request latency (latency over the queue the
// request met) keeps queueing from being counted twice. docs/loadbalance.md
// has the measured variants, including the classic peak-EWMA cost.
class P2cEwma final : public Strategy {
 public:
  using Strategy::Strategy;
  std::string_view name() const override { return "p2c_ewma"; }

 protected:
  void rebuild() override { last_ = kNone; }
  std::size_t do_pick(const PickRequest& request) override {
    scratch_.clear();
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      if (eligible(i, request)) scratch_.push_back(i);
    }
    if (scratch_.size() == 1) return scratch_[0];
    // Candidates are drawn with probability proportional to weight, so a
    // bigger backend is offered (and compared) more often.
    std::size_t x = draw(scratch_.size());
    std::size_t y = draw(scratch_.size(), x);
    std::size_t best = cost(scratch_[y]) < cost(scratch_[x]) ? scratch_[y] : scratch_[x];
    if (last_ != kNone && last_ != best && eligible(last_, request) && cost(last_) < cost(best)) {
      best = last_;
    }
    last_ = best;
    return best;
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  // A position in scratch_ (other than `skip`), weighted by endpoint weight.
  std::size_t draw(std::size_t n, std::size_t skip = kNone) {
    std::uint64_t total = 0;
    for (std::size_t k = 0; k < n; ++k) {
      if (k != skip) total += std::max<std::uint32_t>(1, endpoints_[scratch_[k]].weight);
    }
    std::uint64_t ticket = rng_.uniform(0, total - 1);
    for (std::size_t k = 0; k < n; ++k) {
      if (k == skip) continue;
      std::uint64_t w = std::max<std::uint32_t>(1, endpoints_[scratch_[k]].weight);
      if (ticket < w) return k;
      ticket -= w;
    }
    return skip == 0 ? 1 : 0;  // not reached
  }

  double cost(std::size_t i) const {
    const EndpointStats& s = stats_[i];
    // No sample yet: idle costs nothing (try it), busy costs a second per request.
    if (s.service_ewma_seconds <= 0) return s.in_flight;
    return s.service_ewma_seconds * (s.in_flight + 1);
  }
  std::size_t last_ = kNone;
  std::vector<std::size_t> scratch_;
};

// hash(key) mod N, probing forward past ineligible endpoints. Moves most keys
// when N changes (use consistent_hash or maglev for that); no key: random.
class IpHash final : public Strategy {
 public:
  using Strategy::Strategy;
  std::string_view name() const override { return "ip_hash"; }

 protected:
  std::size_t do_pick(const PickRequest& request) override {
    if (!request.key) return random_eligible(request);
    std::size_t n = endpoints_.size();
    std::size_t start = stable_hash(*request.key) % n;
    for (std::size_t step = 0; step < n; ++step) {
      std::size_t i = (start + step) % n;
      if (eligible(i, request)) return i;
    }
    return start;
  }
};

// Ring hash with bounded load (Mirrokni et al.): each endpoint owns
// kPointsPerWeight x weight points on a 64-bit ring; a key goes to the first
// point clockwise whose endpoint is eligible and has fewer than
// ceil(kLoadFactor x (in-flight total + 1) / eligible) requests in flight.
class ConsistentHash final : public Strategy {
 public:
  using Strategy::Strategy;
  std::string_view name() const override { return "consistent_hash"; }
  static constexpr std::uint32_t kPointsPerWeight = 100;
  static constexpr double kLoadFactor = 1.25;

 protected:
  void rebuild() override {
    ring_.clear();
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      std::uint32_t points =
          kPointsPerWeight * std::clamp<std::uint32_t>(endpoints_[i].weight, 1, 100);
      for (std::uint32_t p = 0; p < points; ++p) {
        ring_.emplace_back(stable_hash(endpoints_[i].id + "#" + std::to_string(p)), i);
      }
    }
    std::sort(ring_.begin(), ring_.end());
  }

  std::size_t do_pick(const PickRequest& request) override {
    if (!request.key) return random_eligible(request);
    std::uint64_t total = 0;
    std::size_t count = 0;
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      if (!eligible(i, request)) continue;
      total += stats_[i].in_flight;
      ++count;
    }
    double capacity = std::ceil(kLoadFactor * static_cast<double>(total + 1) / count);
    std::uint64_t h = stable_hash(*request.key);
    auto start = std::lower_bound(ring_.begin(), ring_.end(), std::make_pair(h, std::size_t{0}));
    std::size_t first = ring_.size();
    std::size_t offset = static_cast<std::size_t>(start - ring_.begin());
    for (std::size_t step = 0; step < ring_.size(); ++step) {
      std::size_t i = ring_[(offset + step) % ring_.size()].second;
      if (!eligible(i, request)) continue;
      if (first == ring_.size()) first = i;
      if (stats_[i].in_flight < capacity) return i;
    }
    return first;  // every eligible endpoint at capacity cannot happen, but stay total
  }

 private:
  std::vector<std::pair<std::uint64_t, std::size_t>> ring_;
};

bool is_prime(std::size_t n) {
  if (n < 2) return false;
  for (std::size_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

// Maglev (Eisenbud et al., NSDI'16): a lookup table of prime size M filled by
// letting healthy endpoints take turns claiming their next preferred slot
// (offset + j x skip mod M), turns proportional to weight. Removing one of N
// endpoints moves about 1/N of keys. Excluded endpoints: next slot onwards.
class Maglev final : public Strategy {
 public:
  using Strategy::Strategy;
  std::string_view name() const override { return "maglev"; }

 protected:
  void rebuild() override {
    std::vector<std::size_t> members;
    std::uint32_t max_weight = 1;
    for (std::size_t i = 0; i < endpoints_.size(); ++i) {
      if (!endpoints_[i].healthy || endpoints_[i].weight == 0) continue;
      members.push_back(i);
      max_weight = std::max(max_weight, endpoints_[i].weight);
    }
    table_.clear();
    if (members.empty()) return;
    std::size_t m = std::max<std::size_t>(65537, members.size() * 100);
    while (!is_prime(m)) ++m;
    std::vector<std::uint64_t> offset(members.size()), skip(members.size()),
        next(members.size(), 0);
    std::vector<double> credit(members.size(), 0);
    for (std::size_t k = 0; k < members.size(); ++k) {
      const std::string& id = endpoints_[members[k]].id;
      offset[k] = stable_hash(id, 0x6d61676c6576ull) % m;
      skip[k] = stable_hash(id, 0x736b6970ull) % (m - 1) + 1;
    }
    table_.assign(m, kEmpty);
    std::size_t filled = 0;
    while (filled < m) {
      for (std::size_t k = 0; k < members.size() && filled < m; ++k) {
        credit[k] += static_cast<double>(endpoints_[members[k]].weight) / max_weight;
        if (credit[k] < 1) continue;
        credit[k] -= 1;
        std::size_t slot;
        do {
          slot = (offset[k] + next[k] * skip[k]) % m;
          ++next[k];
        } while (table_[slot] != kEmpty);
        table_[slot] = members[k];
        ++filled;
      }
    }
  }

  std::size_t do_pick(const PickRequest& request) override {
    if (!request.key || table_.empty()) return random_eligible(request);
    std::size_t start = stable_hash(*request.key) % table_.size();
    for (std::size_t step = 0; step < table_.size(); ++step) {
      std::size_t i = table_[(start + step) % table_.size()];
      if (eligible(i, request)) return i;
    }
    return random_eligible(request);  // only zero-weight endpoints are eligible
  }

 private:
  static constexpr std::size_t kEmpty = static_cast<std::size_t>(-1);
  std::vector<std::size_t> table_;
};

}  // namespace

void register_builtin_strategies() {
  register_strategy_class<RoundRobin>("round_robin");
  register_strategy_class<WeightedRoundRobin>("weighted_round_robin");
  register_strategy_class<RandomPick>("random");
  register_strategy_class<WeightedRandom>("weighted_random");
  register_strategy_class<LeastConnections>("least_connections");
  register_strategy_class<LeastResponseTime>("least_response_time");
  register_strategy_class<P2cEwma>("p2c_ewma");
  register_strategy_class<IpHash>("ip_hash");
  register_strategy_class<ConsistentHash>("consistent_hash");
  register_strategy_class<Maglev>("maglev");
}

}  // namespace synod::loadbalance
