#include "common/random.h"

#include <gtest/gtest.h>

#include <vector>

namespace synod {
namespace {

TEST(RandomTest, SameSeedSameSequence) {
  SeededRandom a(99), b(99), c(100);
  std::vector<std::uint64_t> xs, ys, zs;
  for (int i = 0; i < 100; ++i) {
    xs.push_back(a.next_u64());
    ys.push_back(b.next_u64());
    zs.push_back(c.next_u64());
  }
  EXPECT_EQ(xs, ys);
  EXPECT_NE(xs, zs);
}

TEST(RandomTest, UniformStaysInRangeAndCoversIt) {
  SeededRandom r(1);
  std::vector<int> seen(10, 0);
  for (int i = 0; i < 10000; ++i) {
    auto v = r.uniform(5, 14);
    ASSERT_GE(v, 5u);
    ASSERT_LE(v, 14u);
    ++seen[v - 5];
  }
  for (int count : seen) EXPECT_GT(count, 800);  // expected 1000 each
}

TEST(RandomTest, Uniform01InUnitInterval) {
  SeededRandom r(2);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    double v = r.uniform01();
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
    sum += v;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}

}  // namespace
}  // namespace synod
