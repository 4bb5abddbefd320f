// Thousands of randomized fault schedules (random_run.h). A failing seed
// prints the command that replays it. Environment overrides:
//   SYNOD_SIM_SEED=N      run only seed N
//   SYNOD_SIM_SEEDS=N     run N seeds (default 2000)
//   SYNOD_SIM_FIRST=S     start at seed S (default 1)
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tests/sim/random_run.h"

namespace synod::consensus::sim {
namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::strtoull(value, nullptr, 10) : fallback;
}

TEST(RaftSimRandom, ReplayIsBitForBitIdentical) {
  for (std::uint64_t seed : {7ULL, 4242ULL}) {
    RunOptions options;
    options.seed = seed;
    const RunResult first = run_random(options);
    const RunResult second = run_random(options);
    EXPECT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
    EXPECT_EQ(first.events, second.events) << "seed " << seed;
    EXPECT_GT(first.events, 1000u);
    RunOptions other = options;
    other.seed = seed + 1;
    EXPECT_NE(run_random(other).trace_hash, first.trace_hash);
  }
}

TEST(RaftSimRandom, ManySeedsKeepEveryInvariant) {
  const std::uint64_t single = env_or("SYNOD_SIM_SEED", 0);
  const std::uint64_t first = single != 0 ? single : env_or("SYNOD_SIM_FIRST", 1);
  const std::uint64_t count = single != 0 ? 1 : env_or("SYNOD_SIM_SEEDS", 2000);
  std::uint64_t operations = 0, events = 0, failures = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    RunOptions options;
    options.seed = seed;
    const RunResult result = run_random(options);
    operations += result.operations;
    events += result.events;
    if (!result.ok) {
      ++failures;
      ADD_FAILURE() << "seed " << seed << " (" << result.nodes
                    << " nodes) failed: " << result.failure << "or: SYNOD_SIM_SEED=" << seed
                    << " build/tests/sim/raft_sim_random_test"
                       " --gtest_filter=RaftSimRandom.ManySeedsKeepEveryInvariant";
      if (failures >= 5) break;
    }
  }
  std::printf("%llu seeds, %llu client operations, %llu events\n",
              static_cast<unsigned long long>(count), static_cast<unsigned long long>(operations),
              static_cast<unsigned long long>(events));
}

}  // namespace
}  // namespace synod::consensus::sim
