// SIGKILL crash tests (crash_harness.h) for the backends that keep their
// state on the local disk: file and sqlite.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/persistence/conformance_suite.h"
#include "tests/persistence/crash_harness.h"

namespace synod::persistence::testing {
namespace {

void run_for(const std::string& backend) {
  std::string dir = make_temp_dir("synod-crash-" + backend);
  CrashTestOptions options;
  options.backend = backend;
  options.data_dir = dir;
  options.cycles = 200;
  options.seed = 20261122;
  CrashTestReport report = run_crash_cycles(options);
  EXPECT_EQ(report.cycles, options.cycles);
  EXPECT_GT(report.max_durable_reported, 0u);
  std::printf(
      "%s crash cycles: %d (killed during start-up: %d), max durable reported %llu, "
      "final last index %llu\n",
      backend.c_str(), report.cycles, report.killed_before_first_report,
      static_cast<unsigned long long>(report.max_durable_reported),
      static_cast<unsigned long long>(report.final_last_index));
  remove_temp_dir(dir);
}

TEST(FileBackendCrash, EveryReportedDurableEntrySurvivesSigkill) { run_for("file"); }

TEST(SqliteBackendCrash, EveryReportedDurableEntrySurvivesSigkill) {
  auto names = registered_backends();
  ASSERT_NE(std::find(names.begin(), names.end(), "sqlite"), names.end())
      << "the sqlite backend is not registered";
  run_for("sqlite");
}

}  // namespace
}  // namespace synod::persistence::testing
