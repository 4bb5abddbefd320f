#!/usr/bin/env bash
# Integration tests of gossip discovery on real `synod` processes.
#   SYNOD_BINARY=build/bin/synod tests/integration/discovery_test.sh <case>
# Cases: converge kill pause leave voters
# Every case starts its own 7-node cluster in a temp dir (lib.sh).
set -uo pipefail

CASE=${1:?usage: discovery_test.sh <case>}
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- helpers

members_json() { curl -sf -m 2 "http://${HTTP[$1]}/v1/agent/members"; }
# Status (1 alive, 2 leaving, 3 left, 4 failed) of member $2 as node index $1 sees it.
status_seen() {
  members_json "$1" | json "next((str(m['Status']) for m in d if m['Name']=='$2'), 'none')" 2>/dev/null
}
# Waits until every listed node index reports member $2 with status $3.
wait_all_see() {  # wait_all_see <seconds> <name> <status> <indexes...>
  local secs=$1 name=$2 want=$3; shift 3
  local deadline=$(( SECONDS + secs )) ok
  while (( SECONDS < deadline )); do
    ok=1
    for i in "$@"; do [[ "$(status_seen "$i" "$name")" == "$want" ]] || { ok=0; break; }; done
    [[ $ok == 1 ]] && return 0
    sleep 0.1
  done
  return 1
}
# Waits until every node index lists all N members alive.
wait_converged() {  # wait_converged <seconds> <indexes...>
  local secs=$1; shift
  local n=${#HTTP[@]} deadline=$(( SECONDS + secs )) ok
  while (( SECONDS < deadline )); do
    ok=1
    for i in "$@"; do
      [[ "$(members_json "$i" | json "sum(1 for m in d if m['Status']==1)" 2>/dev/null)" == "$n" ]] ||
        { ok=0; break; }
    done
    [[ $ok == 1 ]] && return 0
    sleep 0.2
  done
  return 1
}
raft_servers() { curl -sf -m 2 "http://${HTTP[$1]}/v1/operator/raft/configuration"; }
voter_count() { raft_servers "$1" | json 'sum(1 for s in d["Servers"] if s["Voter"])' 2>/dev/null; }
server_count() { raft_servers "$1" | json 'len(d["Servers"])' 2>/dev/null; }
wait_raft() {  # wait_raft <seconds> <index> <servers> <voters>
  local deadline=$(( SECONDS + $1 ))
  while (( SECONDS < deadline )); do
    [[ "$(server_count "$2")" == "$3" && "$(voter_count "$2")" == "$4" ]] && return 0
    sleep 0.2
  done
  return 1
}
# A node index other than the leader's and other than the ones given.
pick_follower() {
  local leader=$1; shift
  for i in 6 5 4 3 2 1 0; do
    [[ "node$((i + 1))" == "$leader" ]] && continue
    local skip=0
    for x in "$@"; do [[ $x == "$i" ]] && skip=1; done
    [[ $skip == 0 ]] && { echo "$i"; return; }
  done
}
others_than() { for i in $(all_indexes); do [[ $i != "$1" ]] && echo "$i"; done; }

start7() {  # bootstrap_expect may not exceed max_voters: 7 voters at start
  up 7 --set cluster.max_voters=7 "$@"
  LEADER=$(wait_leader 60 "" $(all_indexes)) || fail "the 7 nodes never agreed on a leader"
  wait_converged 30 $(all_indexes) || fail "gossip did not converge: $(members_json 0)"
}

# ---------------------------------------------------------------- cases

case_converge() {
  start7
  # Consul's shape.
  members_json 0 >"$TMP/m.json"
  json 'all(set(["Name","Addr","Port","Tags","Status","ProtocolMin","ProtocolMax"]) <= set(m) for m in d)' \
    <"$TMP/m.json" | grep -q True || fail "members lack Consul fields: $(cat "$TMP/m.json")"
  json 'all(m["Tags"].get("http") and m["Tags"].get("id") and m["Tags"].get("role") for m in d)' \
    <"$TMP/m.json" | grep -q True || fail "members lack role/id/http tags: $(cat "$TMP/m.json")"
  # A run-time join through a gossip address answers (idempotent here).
  local gossip1
  gossip1=$(python3 -c "import json; print(json.load(open('$DIR/cluster.json'))['nodes'][0]['gossip'])")
  "$SYNOD" join --http-addr "${HTTP[2]}" "$gossip1" >/dev/null || fail "synod join $gossip1 failed"
  "$SYNOD" members --http-addr "${HTTP[3]}" -o json >"$TMP/cli.json" || fail "synod members failed"
  [[ $(json 'sum(1 for m in d if m["status"]=="alive")' <"$TMP/cli.json") == 7 ]] ||
    fail "synod members does not show 7 alive members: $(cat "$TMP/cli.json")"
  [[ $(json 'sum(1 for m in d if m["role"]=="leader")' <"$TMP/cli.json") == 1 ]] ||
    fail "synod members does not show one leader"
  pass "7 members converged; Consul shape; synod join and synod members work"
}

case_kill() {
  start7
  local victim
  victim=$(pick_follower "$LEADER")
  local name="node$((victim + 1))"
  local t0=$SECONDS
  kill -9 "$(pid_of "$name")"
  wait_all_see 30 "$name" 4 $(others_than "$victim") || fail "$name not reported failed by everyone"
  for i in $(others_than "$victim"); do
    [[ "$(members_json "$i" | json 'sum(1 for m in d if m["Status"]==4)')" == 1 ]] ||
      fail "node$((i + 1)) reports other failed members"
  done
  pass "killed $name; every member reported it failed within $(( SECONDS - t0 ))s"
}

case_pause() {
  start7
  local victim
  victim=$(pick_follower "$LEADER")
  local name="node$((victim + 1))" pid
  pid=$(pid_of "$name")
  kill -STOP "$pid"
  # Resume as soon as anyone suspects it, well before the suspicion timeout
  # (0.8 s once every member confirms). One scan of the six others must be
  # fast: curl and grep only (the keys are sorted and no brace sits between
  # a member's Name and State), no python per poll.
  local deadline=$(( SECONDS + 10 )) suspected=0
  local pattern="\"Name\":\"$name\"[^{}]*\"State\":\"suspect\""
  while (( SECONDS < deadline )); do
    for i in $(others_than "$victim"); do
      curl -sf -m 1 "http://${HTTP[$i]}/v1/agent/members" | grep -q "$pattern" &&
        { suspected=1; break; }
    done
    [[ $suspected == 1 ]] && break
    sleep 0.01
  done
  kill -CONT "$pid"
  [[ $suspected == 1 ]] || fail "nobody suspected the paused $name"
  wait_converged 15 $(all_indexes) || fail "$name did not come back alive: $(members_json 0)"
  grep -q "member $name (id $((victim + 1))) suspect -> dead" "$DIR"/node*/agent.log &&
    fail "$name was declared dead although it resumed before the suspicion timeout"
  grep -q "member $name (id $((victim + 1))) suspect -> alive" "$DIR"/node*/agent.log ||
    fail "no member saw $name refute the suspicion"
  pass "paused $name until suspected; on resume it refuted (never declared dead)"
}

case_leave() {
  start7
  local victim
  victim=$(pick_follower "$LEADER")
  local name="node$((victim + 1))" pid
  pid=$(pid_of "$name")
  local before
  before=$(server_count 0)
  "$SYNOD" leave --http-addr "${HTTP[$victim]}" >/dev/null || fail "synod leave failed"
  wait_all_see 10 "$name" 3 $(others_than "$victim") || fail "$name not reported left"
  local deadline=$(( SECONDS + 15 ))
  while (( SECONDS < deadline )) && kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "$name still running after leave"
  sleep 3
  wait_all_see 1 "$name" 3 $(others_than "$victim") || fail "$name did not stay left"
  grep -q "member $name (id $((victim + 1))) .* -> dead" "$DIR"/node*/agent.log &&
    fail "a graceful leave was taken for a failure"
  local deadline=$(( SECONDS + 15 ))
  while (( SECONDS < deadline )); do
    [[ "$(server_count 0)" == $(( before - 1 )) ]] && break
    sleep 0.2
  done
  [[ "$(server_count 0)" == $(( before - 1 )) ]] || fail "$name still in the Raft configuration"
  pass "$name left: reported left by all, stayed left, removed from Raft at once"
}

case_voters() {
  start7 --set cluster.dead_server_cleanup_after=2s
  wait_raft 30 0 7 7 || fail "7 servers should all be voters: $(raft_servers 0)"
  # Kill a voter: it is removed after cleanup and a learner takes its place.
  local victim="" i
  for i in $(raft_servers 0 | json '"\n".join(s["ID"] for s in d["Servers"] if s["Voter"] and not s["Leader"])'); do
    victim=$(( i - 1 )); break
  done
  [[ -n "$victim" ]] || fail "no follower voter"
  kill -9 "$(pid_of "node$((victim + 1))")"
  local alive
  alive=$(others_than "$victim" | head -1)
  # 6 voters left is even: one is demoted to keep the count odd.
  wait_raft 40 "$alive" 6 5 || fail "dead voter not removed / count not odd: $(raft_servers "$alive")"
  pass "7 voters; a dead voter was removed after cleanup, then one demoted (6 servers, 5 voters)"
}

case "$CASE" in
  converge) case_converge ;;
  kill) case_kill ;;
  pause) case_pause ;;
  leave) case_leave ;;
  voters) case_voters ;;
  *) echo "unknown case $CASE" >&2; exit 2 ;;
esac
