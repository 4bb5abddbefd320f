// One randomized simulation run: a cluster of 3, 5 or 7 nodes, clients doing
// put/get/cas/delete, and a nemesis that crashes and restarts nodes (losing
// unsynced writes), partitions the network (symmetric and one-way), makes it
// lossy, duplicating and reordering, changes membership and transfers
// leadership. Afterwards the faults heal, the cluster must elect a leader,
// and the client history must be linearizable. Every choice comes from the
// seed, so a failing seed replays exactly (replay_command()).
#pragma once

#include <cstdint>
#include <string>

#include "tests/sim/cluster.h"

namespace synod::consensus::sim {

struct RunOptions {
  std::uint64_t seed = 1;
  int nodes = 0;                  // 0: chosen from the seed (3, 5 or 7)
  Micros duration = 2 * kSecond;  // faulty phase; recovery comes after
  bool trace_on_failure = true;   // include the recent event trace
};

struct RunResult {
  bool ok = true;
  std::string failure;  // what broke, plus the replay command and a trace tail
  std::uint64_t trace_hash = 0;
  std::uint64_t events = 0;
  std::uint64_t operations = 0;
  std::uint64_t unknown = 0;
  std::uint64_t completed = 0;  // operations with a known outcome
  std::uint64_t committed = 0;  // log entries committed
  std::uint64_t leaders = 0;    // distinct (term, leader) pairs
  std::uint64_t nemesis_actions = 0;
  std::uint64_t membership_changes = 0;  // conf changes the leader accepted
  std::uint64_t transfers = 0;           // leadership transfers started
  std::uint64_t snapshot_messages = 0;   // InstallSnapshot chunks sent
  int nodes = 0;
};

[[nodiscard]] RunResult run_random(const RunOptions& options);
// The shell command that replays exactly this run.
[[nodiscard]] std::string replay_command(const RunOptions& options);

}  // namespace synod::consensus::sim
