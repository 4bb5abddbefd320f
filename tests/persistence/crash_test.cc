// SIGKILL crash tests for the file backend (crash_harness.h). The sqlite
// backend reuses run_crash_cycles with backend = "sqlite".
#include <gtest/gtest.h>

#include "tests/persistence/conformance_suite.h"
#include "tests/persistence/crash_harness.h"

namespace synod::persistence::testing {
namespace {

TEST(FileBackendCrash, EveryReportedDurableEntrySurvivesSigkill) {
  std::string dir = make_temp_dir("synod-crash");
  CrashTestOptions options;
  options.backend = "file";
  options.data_dir = dir;
  options.cycles = 200;
  options.seed = 20261122;
  CrashTestReport report = run_crash_cycles(options);
  EXPECT_EQ(report.cycles, options.cycles);
  EXPECT_GT(report.max_durable_reported, 0u);
  std::printf("crash cycles: %d (killed during start-up: %d), max durable reported %llu, "
              "final last index %llu\n",
              report.cycles, report.killed_before_first_report,
              static_cast<unsigned long long>(report.max_durable_reported),
              static_cast<unsigned long long>(report.final_last_index));
  remove_temp_dir(dir);
}

}  // namespace
}  // namespace synod::persistence::testing
