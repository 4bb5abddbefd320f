#!/usr/bin/env bash
# Secure peer channels on real processes (docs/crypto.md).
#   rotate     3 nodes under write load; the replicated cluster keyring is
#              rotated live with ONE API call per step (install NEW on node1,
#              use NEW on node2, remove OLD on node3): no write fails, every
#              node's keyring.json converges, refused ops answer 400, and a
#              follower restarted after OLD is gone reconnects and catches up.
#   bad_input  handshake garbage and a non-synod stream at a peer port: each
#              connection is refused with its reason and metric, the node
#              keeps serving.
# Usage: SYNOD_BINARY=build/bin/synod tests/integration/crypto_test.sh <case>
set -uo pipefail
CASE=${1:?case}
source "$(dirname "$0")/lib.sh"


keyring_api() {  # keyring_api <node index> <method> <base64 key>: prints "<http code> <body>"
  curl -s -m 30 -X "$2" --data-binary "{\"Key\": \"$3\"}" -w ' %{http_code}' \
    "http://${HTTP[$1]}/v1/operator/keyring" | awk '{ code = $NF; $NF = ""; print code, $0 }'
}
# The keyring.json of node $1 as "<primary> <sorted keys, comma-separated>".
keyring_file() {
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["primary"], ",".join(sorted(d["keys"])))' \
    "$DIR/$1/data/keyring.json"
}

progress() { local p; p=$(cat "$TMP/progress" 2>/dev/null); echo "${p:-0}"; }  # last put started

case_rotate() {
  up 3
  wait_leader 30 "" 0 1 2 || fail "no leader"
  [[ "$(stat -c %a "$DIR/cluster.key")" == 600 ]] || fail "cluster.key is not mode 0600"
  [[ "$(stat -c %a "$DIR/node1/data/node.key")" == 600 ]] || fail "node.key is not mode 0600"
  grep -q "channel xchacha20poly1305" "$DIR"/node1/agent.log || fail "peer channels are not encrypted"
  local old new reply
  old=$(cat "$DIR/cluster.key")
  new=$("$SYNOD" keys gen)
  # Load alternates between the two nodes named in $TMP/targets (never the
  # follower that is restarted at the end).
  echo "0 1" >"$TMP/targets"
  (
    i=0; failures=0
    while [[ -d "$TMP" && ! -f "$TMP/stop" ]]; do  # a failed case removes TMP
      read -r a b <"$TMP/targets"
      node=$a; (( i % 2 )) && node=$b
      put "$node" "rot/$i" "v$i" || { failures=$((failures + 1)); echo "put $i failed" >&2; }
      echo "$i" >"$TMP/progress"
      i=$((i + 1))
    done
    echo "$i $failures" >"$TMP/load"
  ) &
  local loader=$!
  trap 'kill "$loader" 2>/dev/null; cleanup' EXIT  # a failing case must not leave the loader
  sleep 1
  # One call per step, each through a different node (forwarded to the leader).
  reply=$(keyring_api 0 POST "$new"); [[ "$reply" == 200* ]] || fail "install via node1: $reply"
  reply=$(keyring_api 1 PUT "$new"); [[ "$reply" == 200* ]] || fail "use via node2: $reply"
  reply=$(keyring_api 2 DELETE "$new")
  [[ "$reply" == 400*primary* ]] || fail "removing the primary was not refused with 400: $reply"
  [[ "$reply" != *"$new"* ]] || fail "an error message quoted the key"
  reply=$(keyring_api 2 PUT "$("$SYNOD" keys gen)")
  [[ "$reply" == 400*"not installed"* ]] || fail "use of an unknown key was not refused: $reply"
  reply=$(keyring_api 2 DELETE "$old"); [[ "$reply" == 200* ]] || fail "remove via node3: $reply"
  # Every node applied the rotation: keyring.json (0600) holds NEW only.
  local want="$new $new" n converged
  for n in node1 node2 node3; do
    converged=0
    for _ in $(seq 1 100); do
      [[ "$(keyring_file "$n" 2>/dev/null)" == "$want" ]] && { converged=1; break; }
      sleep 0.1
    done
    [[ $converged == 1 ]] || fail "$n keyring.json did not converge: $(keyring_file "$n")"
    [[ "$(stat -c %a "$DIR/$n/data/keyring.json")" == 600 ]] || fail "$n keyring.json not 0600"
  done
  # A follower restarted now has only keyring.json's NEW in common with its
  # peers (its config still names OLD): it must reconnect and catch up while
  # the load keeps running. It is chosen now, from the leader all nodes see
  # (restarting a leader may legitimately fail writes in flight), and the
  # load moves off it first.
  local leader follower idx mark caught=0 started
  leader=$(wait_leader 10 "" 0 1 2) || fail "no leader before the restart"
  follower=node3; [[ "$leader" == node3 ]] && follower=node2
  idx=$(( ${follower#node} - 1 ))
  echo "$(( idx == 0 ? 1 : 0 )) $(( idx == 2 ? 1 : 2 ))" >"$TMP/targets"
  mark=$(( $(progress) + 2 ))
  for _ in $(seq 1 200); do (( $(progress) >= mark )) && break; sleep 0.05; done  # none in flight
  started=$(date +%s.%N)
  "$SYNOD" cluster restart "$follower" --dir "$DIR" >/dev/null 2>&1 || fail "restart $follower"
  mark=$(progress)
  for _ in $(seq 1 150); do
    get "$idx" "rot/$mark" >/dev/null 2>&1 && { caught=1; break; }
    sleep 0.1
  done
  [[ $caught == 1 ]] || fail "$follower did not catch up after restarting with the new key"
  local caught_after
  caught_after=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
  sleep 1  # a little more load on the restarted cluster
  touch "$TMP/stop"
  wait "$loader"
  local total failures
  read -r total failures <"$TMP/load"
  [[ "$failures" == 0 ]] || fail "$failures of $total writes failed during the rotation"
  [[ "$total" -gt 20 ]] || fail "only $total writes ran"
  for _ in $(seq 1 50); do get "$idx" "rot/$(( total - 1 ))" >/dev/null 2>&1 && break; sleep 0.1; done
  [[ "$(get "$idx" "rot/$(( total - 1 ))")" == "v$(( total - 1 ))" ]] ||
    fail "$follower did not catch up after restarting with the new key"
  [[ "$(keyring_file "$follower")" == "$want" ]] || fail "$follower keyring.json after restart"
  local list
  list=$(SYNOD_HTTP_ADDR=${HTTP[$idx]} "$SYNOD" keys list)
  [[ "$list" == "$new  (primary)  [3/3]" ]] || fail "keys list on $follower: $list"
  pass "$total writes, 0 failed, across a replicated cluster-key rotation; $follower restarted and caught up in ${caught_after}s"
}

case_bad_input() {
  up 3
  wait_leader 30 "" 0 1 2 || fail "no leader"
  local before_malformed before_magic
  before_malformed=$(metric 0 'synod_peer_handshake_rejections_total{reason="malformed"}')
  before_magic=$(metric 0 'synod_peer_decode_errors_total{reason="bad_magic"}')
  python3 - "${PEER[0]}" <<'PY'
import socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
def send(data):
    s = socket.create_connection((host, int(port)), timeout=3)
    s.sendall(data)
    try:
        s.recv(4096)
    except Exception:
        pass
    s.close()
# A secure HELLO frame (type 2) whose payload is garbage.
payload = b"\x01garbage that is no hello"
send(b"SY\x01\x00" + struct.pack("<H", 2) + b"\x00\x00" + struct.pack("<I", 0) +
     struct.pack("<I", len(payload)) + struct.pack("<Q", 0) + payload)
send(b"GET / HTTP/1.1\r\n\r\n")
PY
  sleep 1
  local after_malformed after_magic
  after_malformed=$(metric 0 'synod_peer_handshake_rejections_total{reason="malformed"}')
  after_magic=$(metric 0 'synod_peer_decode_errors_total{reason="bad_magic"}')
  python3 -c "import sys; sys.exit(0 if float('$after_malformed') > float('$before_malformed') else 1)" ||
    fail "handshake garbage was not counted as malformed"
  python3 -c "import sys; sys.exit(0 if float('$after_magic') > float('$before_magic') else 1)" ||
    fail "a non-synod stream was not counted as bad_magic"
  put 0 after/bad "still-serving" || fail "node stopped serving after bad input"
  [[ "$(get 1 after/bad)" == still-serving ]] || fail "write did not replicate"
  pass "garbage refused with reasons, node kept serving"
}

"case_$CASE"
