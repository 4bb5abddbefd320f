// The crash-test harness, reusable for every backend that survives restarts:
// a child process (persistence_crash_writer, built next to the test
// binaries) appends and reports each durable index on a pipe; the parent
// SIGKILLs it at random moments, then opens the backend itself and checks
// that every reported-durable entry is there, intact, with no gap before it.
#pragma once

#include <cstdint>
#include <string>

#include "persistence/backend.h"

namespace synod::persistence::testing {

// Entry sizes vary with the index (16..415 bytes) so records straddle pages.
inline std::size_t crash_entry_size(std::uint64_t index) { return 16 + (index * 7919) % 400; }

struct CrashTestOptions {
  std::string backend = "file";
  std::string data_dir;                     // shared by the child and the checks
  std::string sqlite_path;                  // passed on for sqlite
  std::uint64_t segment_bytes = 256 << 10;  // small: crashes hit segment rollovers
  int cycles = 200;
  std::uint64_t seed = 1;
};

struct CrashTestReport {
  int cycles = 0;
  int killed_before_first_report = 0;
  std::uint64_t max_durable_reported = 0;
  std::uint64_t final_last_index = 0;
};

// Runs the cycles; records gtest failures for every violated rule.
CrashTestReport run_crash_cycles(const CrashTestOptions& options);

}  // namespace synod::persistence::testing
