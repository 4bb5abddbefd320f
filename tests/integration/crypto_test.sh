#!/usr/bin/env bash
# Secure peer channels on real processes (docs/crypto.md).
#   rotate     3 nodes under write load; the cluster key is rotated live
#              (install NEW everywhere, use NEW everywhere, remove OLD,
#              restart a follower so it must handshake with NEW): no write fails.
#   bad_input  handshake garbage and a non-synod stream at a peer port: each
#              connection is refused with its reason and metric, the node
#              keeps serving.
# Usage: SYNOD_BINARY=build/bin/synod tests/integration/crypto_test.sh <case>
set -uo pipefail
CASE=${1:?case}
source "$(dirname "$0")/lib.sh"

metric() {  # metric <node index> <name{labels}>: value or 0
  curl -sf -m 2 "http://${HTTP[$1]}/metrics" | awk -v m="$2" '$1 == m { print $2 }' | tail -1 |
    sed 's/^$/0/' | grep . || echo 0
}

case_rotate() {
  up 3
  wait_leader 30 "" 0 1 2 || fail "no leader"
  [[ "$(stat -c %a "$DIR/cluster.key")" == 600 ]] || fail "cluster.key is not mode 0600"
  [[ "$(stat -c %a "$DIR/node1/data/node.key")" == 600 ]] || fail "node.key is not mode 0600"
  grep -q "channel xchacha20poly1305" "$DIR"/node1/agent.log || fail "peer channels are not encrypted"
  local old new
  old=$(cat "$DIR/cluster.key")
  new=$("$SYNOD" keys gen)
  # The follower restarted at the end; load goes through the other two nodes.
  local follower=node3 a=0 b=1
  [[ "$(role_of 2)" == leader ]] && { follower=node2; b=2; }
  (
    i=0; failures=0
    while [[ ! -f "$TMP/stop" ]]; do
      node=$a; (( i % 2 )) && node=$b
      put "$node" "rot/$i" "v$i" || { failures=$((failures + 1)); echo "put $i failed" >&2; }
      i=$((i + 1))
    done
    echo "$i $failures" >"$TMP/load"
  ) &
  local loader=$!
  sleep 1
  for verb in install use; do
    for n in node1 node2 node3; do
      "$SYNOD" keys "$verb" "$new" --data-dir "$DIR/$n/data" >/dev/null || fail "keys $verb on $n"
    done
  done
  printf '%s\n' "$new" >"$DIR/cluster.key"  # what the configs name for restarts
  for n in node1 node2 node3; do
    "$SYNOD" keys remove "$old" --data-dir "$DIR/$n/data" >/dev/null || fail "keys remove on $n"
  done
  # A restarted node must connect with the new key only.
  "$SYNOD" cluster restart "$follower" --dir "$DIR" >/dev/null 2>&1 || fail "restart $follower"
  sleep 3
  touch "$TMP/stop"
  wait "$loader"
  read -r total failures <"$TMP/load"
  [[ "$failures" == 0 ]] || fail "$failures of $total writes failed during the rotation"
  [[ "$total" -gt 20 ]] || fail "only $total writes ran"
  local idx=$(( ${follower#node} - 1 ))
  for _ in $(seq 1 50); do get "$idx" "rot/$(( total - 1 ))" >/dev/null 2>&1 && break; sleep 0.2; done
  [[ "$(get "$idx" "rot/$(( total - 1 ))")" == "v$(( total - 1 ))" ]] ||
    fail "$follower did not catch up after restarting with the new key"
  "$SYNOD" keys list --data-dir "$DIR/node1/data" | grep -q "$new  (primary)" || fail "NEW is not primary"
  ! "$SYNOD" keys list --data-dir "$DIR/node1/data" | grep -q "$old" || fail "OLD still installed"
  pass "$total writes, 0 failed, across a live cluster-key rotation and a restart"
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
