#!/usr/bin/env bash
# Integration tests on real `synod` processes (loopback, free ports).
#   SYNOD_BINARY=build/bin/synod tests/integration/cluster_test.sh <case>
# Cases: elect3 elect5 kill_leader pause_leader restart_file restart_sqlite
#        partition bad_input failover_test membership
# Every case starts its own cluster in a temp dir and stops it by pid on exit.
set -uo pipefail

CASE=${1:?usage: cluster_test.sh <case>}
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- cases

case_elect() {
  local n=$1
  up "$n"
  local leader
  leader=$(wait_leader 30 "" $(all_indexes)) || fail "the $n nodes never agreed on a leader"
  local leaders=0
  for i in $(all_indexes); do [[ "$(role_of "$i")" == leader ]] && leaders=$((leaders + 1)); done
  [[ $leaders == 1 ]] || fail "$leaders nodes report role leader"
  "$SYNOD" members --http-addr "${HTTP[0]}" -o json >"$TMP/members.json" || fail "synod members failed"
  [[ $(json 'sum(1 for s in d if s["role"]=="leader")' <"$TMP/members.json") == 1 ]] ||
    fail "synod members does not show exactly one leader"
  for i in $(all_indexes); do put "$i" "it/from$i" "value-$i" || fail "write through node$((i + 1))"; done
  for i in $(all_indexes); do
    for j in $(all_indexes); do
      [[ "$(get "$j" "it/from$i")" == "value-$i" ]] || fail "node$((j + 1)) does not read it/from$i"
    done
  done
  pass "$n nodes, one leader ($leader), every write readable through every node"
}

case_kill_leader() {
  up 3
  local leader
  leader=$(wait_leader 30 "" 0 1 2) || fail "no leader"
  # Load in the background: sequential acknowledged writes, logged.
  ( i=0; while [[ ! -f "$TMP/stop" ]]; do
      i=$((i + 1)); n=$(( i % 3 ))
      curl -sf -m 2 -X PUT --data-binary "v$i" "http://${HTTP[$n]}/v1/kv/load/$i" 2>/dev/null |
        grep -q true && echo "$i" >>"$TMP/acked"
    done ) &
  local loader=$!
  sleep 1
  kill -9 "$(pid_of "$leader")"
  local others=() idx=$(( ${leader#node} - 1 ))
  for i in 0 1 2; do [[ $i != "$idx" ]] && others+=("$i"); done
  local next
  next=$(wait_leader 30 "$leader" "${others[@]}") || fail "no new leader after SIGKILL of $leader"
  sleep 1
  touch "$TMP/stop"; wait "$loader"
  [[ -s "$TMP/acked" ]] || fail "no write was acknowledged"
  local lost=0
  while read -r i; do
    [[ "$(get "${others[0]}" "load/$i")" == "v$i" ]] || lost=$((lost + 1))
  done <"$TMP/acked"
  [[ $lost == 0 ]] || fail "$lost acknowledged writes lost"
  pass "killed $leader, new leader $next, $(wc -l <"$TMP/acked") acknowledged writes all readable"
}

case_pause_leader() {
  up 3
  local leader idx next
  leader=$(wait_leader 30 "" 0 1 2) || fail "no leader"
  idx=$(( ${leader#node} - 1 ))
  local others=()
  for i in 0 1 2; do [[ $i != "$idx" ]] && others+=("$i"); done
  kill -STOP "$(pid_of "$leader")"
  next=$(wait_leader 30 "$leader" "${others[@]}") || fail "no new leader while $leader is paused"
  put "${others[0]}" it/paused yes || fail "write during the pause"
  kill -CONT "$(pid_of "$leader")"
  local now
  now=$(wait_leader 30 "" 0 1 2) || fail "the cluster did not converge after SIGCONT"
  [[ "$now" == "$next" ]] || fail "the resumed node disrupted the leader ($next -> $now)"
  [[ "$(role_of "$idx")" == follower ]] || fail "$leader is $(role_of "$idx") after resuming"
  [[ "$(get "$idx" it/paused)" == yes ]] || fail "$leader does not read the write made while paused"
  pass "paused $leader, new leader $next kept its role, $leader resumed as follower"
}

case_restart() {
  local backend=$1
  up 3 --backend "$backend"
  wait_leader 30 "" 0 1 2 >/dev/null || fail "no leader"
  for k in $(seq 1 30); do put $(( k % 3 )) "persist/$k" "value-$k" || fail "write persist/$k"; done
  "$SYNOD" cluster down --dir "$DIR" >/dev/null || fail "cluster down"
  "$SYNOD" cluster up -n 3 --dir "$DIR" --base-port "$BASE" --backend "$backend" --timeout 60 \
    -o json >/dev/null || fail "restart of the cluster"
  wait_leader 30 "" 0 1 2 >/dev/null || fail "no leader after the restart"
  for k in $(seq 1 30); do
    for i in 0 1 2; do
      [[ "$(get "$i" "persist/$k")" == "value-$k" ]] || fail "node$((i + 1)) lost persist/$k"
    done
  done
  pass "$backend backend: 30 keys back on every node after a full restart"
}

case_partition() {
  up 3 --set debug.fault_injection=true
  local leader idx
  leader=$(wait_leader 30 "" 0 1 2) || fail "no leader"
  idx=$(( ${leader#node} - 1 ))
  local others=() ids=()
  for i in 0 1 2; do [[ $i != "$idx" ]] && others+=("$i"); done
  local lid=$(( idx + 1 ))
  for i in "${others[@]}"; do
    curl -sf -m 2 -X PUT -d "{\"peer\": $((i + 1)), \"drop_in\": 1, \"drop_out\": 1}" \
      "http://${HTTP[$idx]}/v1/synod/fault" >/dev/null || fail "fault injection refused on $leader"
    curl -sf -m 2 -X PUT -d "{\"peer\": $lid, \"drop_in\": 1, \"drop_out\": 1}" \
      "http://${HTTP[$i]}/v1/synod/fault" >/dev/null || fail "fault injection refused on node$((i + 1))"
  done
  local next
  next=$(wait_leader 30 "$leader" "${others[@]}") || fail "the majority elected no leader"
  put "${others[0]}" it/partitioned majority || fail "the majority refused a write"
  # The isolated old leader must not acknowledge writes or linearizable reads.
  sleep 1
  curl -sf -m 3 -X PUT --data-binary minority "http://${HTTP[$idx]}/v1/kv/it/minority" 2>/dev/null |
    grep -q true && fail "the minority acknowledged a write"
  curl -sf -m 3 "http://${HTTP[$idx]}/v1/kv/it/partitioned?raw" >/dev/null 2>&1 &&
    fail "the minority served a linearizable read"
  for i in 0 1 2; do curl -sf -m 2 -X DELETE "http://${HTTP[$i]}/v1/synod/fault" >/dev/null; done
  wait_leader 30 "" 0 1 2 >/dev/null || fail "no convergence after healing"
  local deadline=$(( SECONDS + 20 ))
  until [[ "$(get "$idx" it/partitioned)" == majority ]]; do
    (( SECONDS < deadline )) || fail "the healed node does not read the majority's write"
    sleep 0.2
  done
  [[ -z "$(get "${others[0]}" it/minority)" ]] || fail "the minority's write became visible"
  pass "isolated $leader served nothing linearizable; $next led the majority; healing converged"
}

case_bad_input() {
  up 3
  wait_leader 30 "" 0 1 2 >/dev/null || fail "no leader"
  local host=${HTTP[0]%:*} port=${HTTP[0]##*:} code
  # Malformed request line.
  code=$(python3 - "$host" "$port" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"THIS IS NOT HTTP\r\n\r\n")
data = s.recv(4096).decode(errors="replace")
print(data.split(" ")[1] if data.startswith("HTTP/") else "closed")
PY
) || fail "malformed request: no answer"
  [[ "$code" == 400 || "$code" == closed ]] || fail "malformed request answered $code"
  # Oversize body (64 MiB).
  code=$(head -c $((64 * 1024 * 1024)) /dev/zero | curl -s -m 20 -o /dev/null -w '%{http_code}' \
    -X PUT --data-binary @- "http://${HTTP[0]}/v1/kv/it/huge")
  [[ "$code" == 413 || "$code" == 400 || "$code" == 000 ]] || fail "oversize body answered $code"
  # Bad JSON where JSON is required.
  code=$(curl -s -m 5 -o "$TMP/body" -w '%{http_code}' -X PUT -d '{not json' "http://${HTTP[0]}/v1/txn")
  [[ "$code" == 400 ]] || fail "bad JSON answered $code"
  grep -q '"error"' "$TMP/body" || fail "bad JSON: no {\"error\": ...} body"
  # Unknown route.
  code=$(curl -s -m 5 -o "$TMP/body" -w '%{http_code}' "http://${HTTP[0]}/v1/no/such/route")
  [[ "$code" == 404 ]] || fail "unknown route answered $code"
  # Garbage on the peer port.
  python3 - "${PEER[0]%:*}" "${PEER[0]##*:}" <<'PY' || true
import os, socket, sys
for _ in range(5):
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
        s.sendall(os.urandom(70000))
        s.close()
    except OSError:
        pass
PY
  sleep 0.5
  kill -0 "$(pid_of node1)" || fail "node1 died"
  curl -sf -m 2 "http://${HTTP[0]}/v1/agent/self" >/dev/null || fail "node1 stopped answering"
  put 0 it/after-garbage ok || fail "write after the bad input"
  [[ "$(get 2 it/after-garbage)" == ok ]] || fail "replication after the bad input"
  wait_leader 10 "" 0 1 2 >/dev/null || fail "the cluster lost its leader"
  pass "malformed HTTP, oversize body, bad JSON, unknown route and peer garbage handled"
}

case_failover_test() {
  local base
  base=$(free_base 3)
  "$SYNOD" failover-test --launch 3 --dir "$DIR" --base-port "$base" --rounds 3 --fault mixed \
    --fault-ms 1500 --settle-ms 1000 >"$TMP/out.txt" 2>&1
  local rc=$?
  cat "$TMP/out.txt"
  [[ $rc == 0 ]] || fail "synod failover-test exited $rc"
  pass "failover-test: 3 rounds (kill, pause, partition) passed"
}

# Join a 4th node (a learner while the 3 voters are odd), then a 5th (both
# promoted: 5 voters), remove a node, transfer leadership; removal and
# transfer are sent to followers, which relay them to the leader.
case_membership() {
  up 3
  local leader
  leader=$(wait_leader 30 "" 0 1 2) || fail "no leader"
  for i in 1 2 3 4 5; do put 0 "m/$i" "v$i" || fail "write m/$i"; done
  reload_layout() {
    mapfile -t HTTP < <(python3 -c "import json; print('\n'.join(n['http'] for n in json.load(open('$DIR/cluster.json'))['nodes']))")
    mapfile -t PEER < <(python3 -c "import json; print('\n'.join(n['peer'] for n in json.load(open('$DIR/cluster.json'))['nodes']))")
  }
  config_count() {  # config_count <python predicate on s>
    curl -sf -m 1 "http://${HTTP[0]}/v1/operator/raft/configuration" |
      json "sum(1 for s in d['Servers'] if $1)" 2>/dev/null || echo 0
  }
  wait_count() {  # wait_count <seconds> <want> <predicate>
    local deadline=$(( SECONDS + $1 ))
    while (( SECONDS < deadline )); do
      [[ "$(config_count "$3")" == "$2" ]] && return 0
      sleep 0.1
    done
    return 1
  }
  "$SYNOD" cluster add --dir "$DIR" >/dev/null || fail "cluster add (node4) failed"
  reload_layout
  wait_count 30 1 "s['ID']=='4' and not s['Voter']" || fail "node4 did not join as a learner"
  local deadline=$(( SECONDS + 20 ))
  while (( SECONDS < deadline )); do [[ "$(get 3 m/5)" == "v5" ]] && break; sleep 0.1; done
  [[ "$(get 3 m/5)" == "v5" ]] || fail "node4 does not read data written before it joined"
  [[ "$(config_count "s['Voter']")" == 3 ]] || fail "node4 was promoted with 3 voters (even count)"
  "$SYNOD" cluster add --dir "$DIR" >/dev/null || fail "cluster add (node5) failed"
  reload_layout
  wait_count 30 5 "s['Voter']" || fail "node4 and node5 were not both promoted (voters: $(config_count "s['Voter']"))"
  put 3 m/6 v6 || fail "write through node4"
  # Remove node4 through a follower.
  local follower=0
  [[ "$leader" == node1 ]] && follower=1
  curl -sf -m 5 -X DELETE "http://${HTTP[$follower]}/v1/operator/raft/peer?id=4" >/dev/null ||
    fail "remove node4 through a follower"
  wait_count 20 0 "s['ID']=='4'" || fail "node4 still in the configuration after removal"
  kill -9 "$(pid_of node4)" 2>/dev/null
  # Transfer leadership to a follower, asked through another follower.
  local target="" via=""
  for i in 0 1 2; do
    [[ "node$((i + 1))" == "$leader" ]] && continue
    if [[ -z "$target" ]]; then target=$i; else via=$i; fi
  done
  curl -sf -m 5 -X POST "http://${HTTP[$via]}/v1/operator/raft/transfer-leader?id=$((target + 1))" >/dev/null ||
    fail "transfer-leader through a follower"
  local now
  now=$(wait_leader 10 "$leader" 0 1 2) || fail "leadership did not move from $leader"
  [[ "$now" == "node$((target + 1))" ]] || fail "leader is $now, expected node$((target + 1))"
  [[ "$(get 0 m/6)" == "v6" ]] || fail "m/6 lost"
  pass "node4 joined as a learner, node5 made both voters (5), node4 removed via a follower; leadership moved $leader -> $now"
}

case "$CASE" in
  elect3) case_elect 3 ;;
  elect5) case_elect 5 ;;
  kill_leader) case_kill_leader ;;
  pause_leader) case_pause_leader ;;
  restart_file) case_restart file ;;
  restart_sqlite) case_restart sqlite ;;
  partition) case_partition ;;
  bad_input) case_bad_input ;;
  failover_test) case_failover_test ;;
  membership) case_membership ;;
  *) echo "unknown case $CASE" >&2; exit 2 ;;
esac
