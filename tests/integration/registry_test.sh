#!/usr/bin/env bash
# Registry integration cases (issue 6) on a real 3-node cluster:
#   lock      two `synod lock` clients contend; the holder's process dies; the
#             lock frees only after 2 x TTL + lock-delay; other locks stay held.
#   failover  kill -9 the leader while a session and a TTL-checked service are
#             live: the session does not expire early (timers restart at full
#             length on the new leader) and no registration is lost.
# Usage: registry_test.sh <case>   (SYNOD_BINARY must name the synod binary)
set -u
CASE=${1:?usage: registry_test.sh <case>}
source "$(dirname "$0")/lib.sh"

api() {  # api <node index> <method> <path> [body]
  curl -sf -m 10 -X "$2" ${4:+--data-binary "$4"} "http://${HTTP[$1]}$3"
}
session_create() { api "$1" PUT /v1/session/create "$2" | json 'd["ID"]'; }
session_exists() { [[ "$(api "$1" GET "/v1/session/info/$2?stale" | json 'len(d)')" == 1 ]]; }
holder_of() { api "$1" GET "/v1/kv/$2?stale" | json 'd[0].get("Session") or ""' 2>/dev/null; }

case_lock() {
  up 3
  wait_leader 30 "" 0 1 2 >/dev/null || fail "no leader"
  # Wait for the agents to register themselves (sessions bind serfHealth).
  for _ in $(seq 1 100); do
    [[ "$(api 0 GET /v1/catalog/nodes | json 'len(d)')" == 3 ]] && break; sleep 0.2
  done
  # An unrelated lock that must survive everything below.
  other=$(session_create 1 '{"Name":"other","LockDelay":"1s"}') || fail "create other session"
  [[ "$(api 1 PUT "/v1/kv/other/.lock?acquire=$other" held)" == true ]] || fail "other lock"

  "$SYNOD" --http-addr "${HTTP[0]}" lock --ttl 10s locks/app -- sleep 600 &
  holder=$!
  for _ in $(seq 1 100); do [[ -n "$(holder_of 0 locks/app/.lock)" ]] && break; sleep 0.1; done
  first=$(holder_of 0 locks/app/.lock)
  [[ -n "$first" ]] || fail "first client never got the lock"

  "$SYNOD" --http-addr "${HTTP[2]}" lock --ttl 10s locks/app -- true &
  waiter=$!
  sleep 1
  # The holder dies first: killing its child first would let it release the
  # lock and destroy its session cleanly before its own SIGKILL lands.
  children=$(pgrep -P "$holder")
  kill -9 "$holder"
  [[ -n "$children" ]] && kill -9 $children 2>/dev/null
  died=$SECONDS
  # Not before 2 x TTL (minus the up to 5 s since the last renew).
  sleep 12
  [[ "$(holder_of 0 locks/app/.lock)" == "$first" ]] || fail "lock freed early (<15s after death)"
  kill -0 "$waiter" 2>/dev/null || fail "second client finished while the lock was held"
  deadline=$(( SECONDS + 90 ))
  while kill -0 "$waiter" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.5; done
  kill -0 "$waiter" 2>/dev/null && { kill "$waiter"; fail "second client never got the lock"; }
  wait "$waiter" || fail "second client's command failed"
  session_exists 0 "$first" && fail "the dead holder's session still exists"
  [[ "$(holder_of 0 other/.lock)" == "$other" ]] || fail "an unrelated lock was released"
  pass "lock freed $(( SECONDS - died ))s after the holder died (TTL 10s x2 + lock-delay 15s); other lock kept"
}

case_failover() {
  up 3
  leader=$(wait_leader 30 "" 0 1 2) || fail "no leader"
  li=$(( ${leader#node} - 1 ))
  other=$(( (li + 1) % 3 ))
  for _ in $(seq 1 100); do
    [[ "$(api "$other" GET /v1/catalog/nodes | json 'len(d)')" == 3 ]] && break; sleep 0.2
  done
  api "$other" PUT /v1/agent/service/register \
    '{"ID":"web-1","Name":"web","Port":80,"Check":{"TTL":"120s"}}' >/dev/null || fail "register"
  api "$other" PUT /v1/agent/check/pass/service:web-1 >/dev/null || fail "pass"
  sid=$(session_create "$other" '{"TTL":"10s","LockDelay":"0s"}') || fail "create session"
  created=$SECONDS
  sleep 8
  kill -9 "$(pid_of "$leader")"
  survivors=()
  for i in 0 1 2; do [[ $i != "$li" ]] && survivors+=("$i"); done
  wait_leader 30 "$leader" "${survivors[@]}" >/dev/null || fail "no new leader"
  # The old leader's timer would fire at created+20s; the new one's later.
  while (( SECONDS < created + 22 )); do sleep 0.5; done
  session_exists "$other" "$sid" || fail "session expired early after failover"
  [[ "$(api "$other" GET '/v1/health/service/web?passing' | json 'len(d)')" == 1 ]] \
    || fail "registration or check status lost"
  # And it does expire without renews.
  for _ in $(seq 1 120); do session_exists "$other" "$sid" || break; sleep 0.5; done
  session_exists "$other" "$sid" && fail "session never expired on the new leader"
  pass "session outlived the failover and expired later; web-1 still passing"
}

case "$CASE" in
  lock) case_lock ;;
  failover) case_failover ;;
  *) echo "unknown case $CASE" >&2; exit 2 ;;
esac
