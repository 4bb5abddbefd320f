#include "loadbalance/outlier.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "loadbalance/hedge.h"

namespace synod::loadbalance {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<Endpoint> endpoints(std::size_t n) {
  std::vector<Endpoint> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back({"e" + std::to_string(i), "addr", 1, true});
  return out;
}

struct Fixture {
  explicit Fixture(std::size_t n, OutlierConfig config = {}) {
    config.base_ejection_time = seconds(10);
    config.max_ejection_time = seconds(60);
    auto inner = make_strategy("round_robin", rng);
    lb = std::make_unique<OutlierEjector>(std::move(inner).value(), config, clock, rng);
    lb->set_endpoints(endpoints(n));
  }
  void fail(std::size_t i, int times) {
    for (int k = 0; k < times; ++k) {
      lb->on_start(i);
      lb->on_finish(i, milliseconds(1), false);
    }
  }
  std::set<std::size_t> picked(int n) {
    std::set<std::size_t> seen;
    for (int k = 0; k < n; ++k) seen.insert(*lb->pick());
    return seen;
  }
  SeededRandom rng{1};
  ManualClock clock;
  std::unique_ptr<OutlierEjector> lb;
};

TEST(Outlier, EjectsAfterConsecutiveFailuresAndRecovers) {
  Fixture f(4);
  f.fail(1, 4);
  EXPECT_FALSE(f.lb->ejected(1));
  f.lb->on_start(1);
  f.lb->on_finish(1, milliseconds(1), true);  // success resets the run
  f.fail(1, 4);
  EXPECT_FALSE(f.lb->ejected(1));
  f.fail(1, 1);
  EXPECT_TRUE(f.lb->ejected(1));
  EXPECT_EQ(f.picked(40), (std::set<std::size_t>{0, 2, 3}));
  f.clock.advance(seconds(10));
  EXPECT_EQ(f.picked(40), (std::set<std::size_t>{0, 1, 2, 3}));
  EXPECT_FALSE(f.lb->ejected(1));
}

TEST(Outlier, EjectionTimeGrowsWithRepeatsUpToCap) {
  Fixture f(4);
  std::vector<int> expected = {10, 20, 40, 60, 60};
  for (int want : expected) {
    f.fail(2, 5);
    ASSERT_TRUE(f.lb->ejected(2));
    f.clock.advance(seconds(want) - milliseconds(1));
    f.picked(1);
    EXPECT_TRUE(f.lb->ejected(2)) << want;
    f.clock.advance(milliseconds(1));
    f.picked(1);
    EXPECT_FALSE(f.lb->ejected(2)) << want;
  }
}

TEST(Outlier, CapOnEjectedShare) {
  OutlierConfig config;
  config.max_ejection_percent = 50;
  config.panic_threshold_percent = 0;
  Fixture f(4, config);
  for (std::size_t i = 0; i < 4; ++i) f.fail(i, 5);
  int ejected = 0;
  for (std::size_t i = 0; i < 4; ++i) ejected += f.lb->ejected(i) ? 1 : 0;
  EXPECT_EQ(ejected, 2);
  EXPECT_EQ(f.picked(20).size(), 2u);
}

TEST(Outlier, PanicModeSpreadsOverAllWhenTooFewHealthy) {
  OutlierConfig config;
  config.panic_threshold_percent = 50;
  Fixture f(4, config);
  auto eps = endpoints(4);
  eps[0].healthy = false;
  f.lb->set_endpoints(eps);
  EXPECT_EQ(f.picked(20), (std::set<std::size_t>{1, 2, 3}));
  EXPECT_FALSE(f.lb->panicking());
  eps[1].healthy = false;
  eps[2].healthy = false;  // 1 of 4 healthy < 50%
  f.lb->set_endpoints(eps);
  EXPECT_EQ(f.picked(20), (std::set<std::size_t>{0, 1, 2, 3}));
  EXPECT_TRUE(f.lb->panicking());
  eps[1].healthy = true;  // 2 of 4: no panic
  f.lb->set_endpoints(eps);
  EXPECT_EQ(f.picked(20), (std::set<std::size_t>{1, 3}));
  EXPECT_FALSE(f.lb->panicking());
}

TEST(Retry, EveryAttemptGoesToADifferentEndpoint) {
  for (std::string name : {"round_robin", "p2c_ewma", "consistent_hash", "maglev", "ip_hash"}) {
    SeededRandom rng(3);
    auto s = std::move(make_strategy(name, rng)).value();
    s->set_endpoints(endpoints(3));
    RetryPicker retry(*s, std::string_view("client-1"), 5);
    std::set<std::size_t> seen;
    while (auto i = retry.next()) EXPECT_TRUE(seen.insert(*i).second) << name;
    EXPECT_EQ(seen.size(), 3u) << name;  // endpoints ran out before attempts
    RetryPicker two(*s, std::nullopt, 2);
    EXPECT_TRUE(two.next());
    EXPECT_TRUE(two.next());
    EXPECT_FALSE(two.next());
  }
}

TEST(Retry, AvoidsTheFailedEndpointWithEjection) {
  Fixture f(3);
  // Endpoint 0 fails; each request retries until success.
  int failures = 0;
  for (int r = 0; r < 30; ++r) {
    RetryPicker retry(*f.lb, std::nullopt, 3);
    while (auto i = retry.next()) {
      f.lb->on_start(*i);
      bool ok = *i != 0;
      f.lb->on_finish(*i, milliseconds(1), ok);
      if (ok) break;
      ++failures;
      EXPECT_NE(retry.next(), std::optional<std::size_t>(0));
      break;
    }
  }
  EXPECT_EQ(failures, 5);  // ejected after five consecutive failures
  EXPECT_TRUE(f.lb->ejected(0));
}

TEST(Hedge, OffUntilEnoughSamplesThenPercentileOfWindow) {
  HedgePolicy off(0, 10, 1);
  off.record(milliseconds(5));
  EXPECT_FALSE(off.hedge_after());

  HedgePolicy p95(95, 100, 20);
  for (int k = 1; k < 20; ++k) p95.record(milliseconds(k));
  EXPECT_FALSE(p95.hedge_after());
  for (int k = 20; k <= 100; ++k) p95.record(milliseconds(k));
  EXPECT_EQ(p95.hedge_after(), std::optional<Duration>(milliseconds(95)));
  // The window slides: 100 new samples of 1 s replace the old ones.
  for (int k = 0; k < 100; ++k) p95.record(seconds(1));
  EXPECT_EQ(p95.hedge_after(), std::optional<Duration>(seconds(1)));
}

}  // namespace
}  // namespace synod::loadbalance
