// sim_soak: runs many randomized simulation seeds (tests/sim/random_run.h)
// and reports failures with their replay commands.
//
//   sim_soak --seeds N [--seed S] [--nodes K] [--duration-ms D]
//
// --seed S alone replays one seed; with --seeds N it runs S .. S+N-1.
// Exit status 1 if any seed failed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/sim/random_run.h"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: sim_soak [--seeds N] [--seed S] [--nodes 3|5|7] [--duration-ms D]"
               " [--quiet] [--details N]\n"
               "  --details N: print the failure report of the first N failing seeds (5)\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace synod::consensus::sim;
  std::uint64_t seeds = 0, first = 1, duration_ms = 2000;
  int nodes = 0;
  std::uint64_t details = 5;
  bool quiet = false, seed_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::uint64_t {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return std::strtoull(argv[++i], nullptr, 10);
    };
    if (arg == "--seeds") {
      seeds = value();
    } else if (arg == "--seed") {
      first = value();
      seed_given = true;
    } else if (arg == "--nodes") {
      nodes = static_cast<int>(value());
    } else if (arg == "--duration-ms") {
      duration_ms = value();
    } else if (arg == "--details") {
      details = value();
    } else if (arg == "--quiet") {
      quiet = true;
    } else {
      usage();
      return 2;
    }
  }
  if (seeds == 0) seeds = seed_given ? 1 : 1000;

  const auto start = std::chrono::steady_clock::now();
  std::uint64_t failures = 0, operations = 0, events = 0, unknown = 0;
  std::uint64_t completed = 0, changes = 0, transfers = 0, snapshots = 0, faults = 0;
  for (std::uint64_t seed = first; seed < first + seeds; ++seed) {
    RunOptions options;
    options.seed = seed;
    options.nodes = nodes;
    options.duration = duration_ms * kMillis;
    const RunResult result = run_random(options);
    operations += result.operations;
    events += result.events;
    unknown += result.unknown;
    completed += result.completed;
    changes += result.membership_changes;
    transfers += result.transfers;
    snapshots += result.snapshot_messages;
    faults += result.nemesis_actions;
    if (seeds == 1 || (!quiet && !result.ok)) {
      std::printf(
          "seed %llu: %s, %d nodes, %llu events, %llu ops (%llu completed, %llu unknown), "
          "%llu committed entries, %llu leader terms, %llu faults, trace hash %016llx\n",
          static_cast<unsigned long long>(seed), result.ok ? "ok" : "FAILED", result.nodes,
          static_cast<unsigned long long>(result.events),
          static_cast<unsigned long long>(result.operations),
          static_cast<unsigned long long>(result.completed),
          static_cast<unsigned long long>(result.unknown),
          static_cast<unsigned long long>(result.committed),
          static_cast<unsigned long long>(result.leaders),
          static_cast<unsigned long long>(result.nemesis_actions),
          static_cast<unsigned long long>(result.trace_hash));
    }
    if (!result.ok) {
      ++failures;
      if (failures <= details) {
        std::printf("%s\n", result.failure.c_str());
      } else if (!quiet) {
        std::printf("  %s\n", result.failure.substr(0, result.failure.find('\n')).c_str());
      }
      std::fflush(stdout);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "sim_soak: %llu seeds, %llu failed, %llu client ops (%llu unknown), %llu events, "
      "%.1f s (%.1f ms/seed)\n",
      static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(failures),
      static_cast<unsigned long long>(operations), static_cast<unsigned long long>(unknown),
      static_cast<unsigned long long>(events), seconds, 1000.0 * seconds / seeds);
  std::printf(
      "  %llu ops completed, %llu nemesis actions, %llu membership changes, %llu leadership "
      "transfers, %llu InstallSnapshot chunks\n",
      static_cast<unsigned long long>(completed), static_cast<unsigned long long>(faults),
      static_cast<unsigned long long>(changes), static_cast<unsigned long long>(transfers),
      static_cast<unsigned long long>(snapshots));
  return failures == 0 ? 0 : 1;
}
