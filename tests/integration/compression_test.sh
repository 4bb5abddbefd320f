#!/usr/bin/env bash
# The shared zstd dictionary on real processes (docs/compression.md).
#   dictionary  3 nodes with compression.codec=zstd and zstd_dictionary on:
#               the leader trains from the first log entries and replicates
#               the dictionary; every node installs the same id, peers then
#               send and receive dictionary frames, data reads back intact
#               everywhere, and a restarted follower reinstalls it from its
#               recovered state.
# Usage: SYNOD_BINARY=build/bin/synod tests/integration/compression_test.sh <case>
set -uo pipefail
CASE=${1:?case}
source "$(dirname "$0")/lib.sh"

positive() { python3 -c "import sys; sys.exit(0 if float('$1') > 0 else 1)"; }
installed_id() {  # installed_id <node index>: the dictionary id, once non-zero (20 s at most)
  local id=0
  for _ in $(seq 1 200); do
    id=$(metric "$1" synod_compression_dictionary_id)
    positive "$id" && break
    sleep 0.1
  done
  echo "$id"
}

value_of() {  # a ~200-byte JSON-ish value, like a registry or config entry
  echo "{\"service\":\"web-$1\",\"address\":\"10.0.$(( $1 % 250 )).$(( $1 % 7 ))\",\"port\":$(( 8000 + $1 % 100 )),\"tags\":[\"primary\",\"v2\",\"zone-$(( $1 % 3 ))\"],\"meta\":{\"owner\":\"team-$(( $1 % 5 ))\",\"build\":\"2026.11.$(( $1 % 28 ))\"}}"
}

case_dictionary() {
  up 3 --set compression.codec=zstd --set compression.zstd_dictionary=true \
    --set compression.zstd_dictionary_samples=200 --set compression.min_bytes=64
  wait_leader 30 "" 0 1 2 || fail "no leader"
  local i n
  for i in $(seq 1 300); do put $(( i % 3 )) "dict/$i" "$(value_of "$i")" || fail "put dict/$i"; done
  # Every node installs the same dictionary id.
  local ids=() id
  for n in 0 1 2; do
    id=$(installed_id "$n")
    positive "$id" || fail "node$((n + 1)) installed no dictionary"
    ids+=("$id")
  done
  [[ "${ids[0]}" == "${ids[1]}" && "${ids[1]}" == "${ids[2]}" ]] ||
    fail "nodes installed different dictionaries: ${ids[*]}"
  local trained=0
  for n in 0 1 2; do
    trained=$(python3 -c "print($trained + float('$(metric "$n" 'synod_compression_dictionary_trainings_total{result="ok"}')'))")
  done
  [[ "$trained" == 1.0 ]] || fail "expected exactly one training in the cluster, got $trained"
  for i in $(seq 301 500); do put $(( i % 3 )) "dict/$i" "$(value_of "$i")" || fail "put dict/$i"; done
  local sent=0 received=0
  for n in 0 1 2; do
    sent=$(python3 -c "print($sent + float('$(metric "$n" 'synod_compression_dictionary_frames_total{direction="sent"}')'))")
    received=$(python3 -c "print($received + float('$(metric "$n" 'synod_compression_dictionary_frames_total{direction="received"}')'))")
  done
  positive "$sent" || fail "no frame was sent with the dictionary"
  positive "$received" || fail "no frame was received with the dictionary"
  for i in 1 250 500; do
    for n in 0 1 2; do
      [[ "$(get "$n" "dict/$i")" == "$(value_of "$i")" ]] || fail "dict/$i differs on node$((n + 1))"
    done
  done
  # A restarted follower reinstalls the dictionary from its own state.
  local follower=2
  [[ "$(role_of 2)" == leader ]] && follower=1
  "$SYNOD" cluster restart "node$((follower + 1))" --dir "$DIR" >/dev/null 2>&1 ||
    fail "restart node$((follower + 1))"
  id=$(installed_id "$follower")
  [[ "$id" == "${ids[0]}" ]] || fail "restarted node$((follower + 1)) has dictionary $id, want ${ids[0]}"
  put "$follower" dict/after "$(value_of 9999)" || fail "write through the restarted follower"
  pass "dictionary ${ids[0]} trained once, on every node, used both ways ($sent sent, $received received frames)"
}

"case_$CASE"
