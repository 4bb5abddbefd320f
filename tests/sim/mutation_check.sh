#!/usr/bin/env bash
# Mutation check for the simulator (docs/simulation.md): breaks one Raft rule
# at a time in a private copy of the committed tree, builds sim_soak and the
# scenario tests against the broken core, and reports what caught it.
#
#   tests/sim/mutation_check.sh [seeds] [workdir]
#
# Never touches the checkout it is run from.
set -euo pipefail
SEEDS=${1:-2000}
WORK=${2:-/tmp/synod-mutants}
ROOT=$(git rev-parse --show-toplevel)
SRC=$WORK/src
BUILD=$WORK/build
rm -rf "$SRC"
mkdir -p "$SRC" "$WORK/logs"
git -C "$ROOT" archive HEAD | tar -x -C "$SRC"
cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/logs/cmake.log"

# name@file@original text@mutated text
MUTANTS=(
  "commit-old-term@consensus/raft_replication.cc@if (candidate <= log_.committed() || log_.term(candidate) != term_) return false;@if (candidate <= log_.committed()) return false;"
  "skip-vote-persist@consensus/raft_core.h@HardState hard_state() const { return {term_, vote_, log_.committed()}; }@HardState hard_state() const { return {term_, kNoNode, log_.committed()}; }"
  "vote-for-stale-log@consensus/raft_election.cc@const bool grant = can_vote && log_.is_up_to_date(m.index, m.log_term);@const bool grant = can_vote;"
)

for mutant in "${MUTANTS[@]}"; do
  IFS='@' read -r name file original mutated <<<"$mutant"
  for other in "${MUTANTS[@]}"; do  # undo every previous mutant
    other_file=$(cut -d@ -f2 <<<"$other")
    git -C "$ROOT" show "HEAD:$other_file" >"$SRC/$other_file"
  done
  python3 - "$SRC/$file" "$original" "$mutated" <<'PY'
import sys
path, old, new = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
if text.count(old) != 1:
    sys.exit(f"mutation anchor not found exactly once in {path}: {old}")
open(path, "w").write(text.replace(old, new))
PY
  ninja -C "$BUILD" -j2 sim_soak raft_scenarios_test >"$WORK/logs/$name-build.log"
  echo "=== $name ($file)"
  "$BUILD/bench/sim_soak" --seeds "$SEEDS" --details 1 >"$WORK/logs/$name-soak.log" 2>&1 || true
  grep -m1 -E "^seed [0-9]+: FAILED" "$WORK/logs/$name-soak.log" || true
  grep -E "^sim_soak" "$WORK/logs/$name-soak.log"
  grep -E "^  (election|log matching|leader completeness|state-machine|double vote|linearizability|liveness)" \
    "$WORK/logs/$name-soak.log" | sed 's/ (at .*//; s/ node [0-9]*/ node N/g' | cut -c1-60 |
    sort | uniq -c | sort -rn | head -5 || true
  "$BUILD/tests/sim/raft_scenarios_test" --gtest_brief=1 >"$WORK/logs/$name-scenarios.log" 2>&1 || true
  echo "scenarios failed: $(grep -E '^\[  FAILED  \] RaftLab' "$WORK/logs/$name-scenarios.log" |
    sed 's/.*RaftLab\.//; s/ .*//' | sort -u | tr '\n' ' ')"
done
