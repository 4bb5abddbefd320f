#!/usr/bin/env bash
# Inference across a real 3-node cluster (docs/inference.md).
#   forward   mlp on node1 only: requests to node2 and node3 are forwarded
#             (X-Synod-Served-By: node1); bad requests get their own 4xx and
#             the node keeps serving.
#   failover  mlp on node1 and node2: requests to node3 are forwarded; kill -9
#             the node that served them and requests fail over to the other.
#   gossip    each node advertises its ready models in its gossip metadata
#             (GET /v1/agent/members Tags.models), unload/load change it, and
#             routing follows that view.
set -uo pipefail
CASE=${1:?usage: inference_test.sh forward|failover|gossip}
source "$(dirname "$0")/lib.sh"

MODELS=$TMP/models
"$SYNOD" models demo "$MODELS" >/dev/null || fail "synod models demo"
REQ=$MODELS/mlp/example_request.json

# infer <node index> [body file]: prints the HTTP code; body in $TMP/out, headers in $TMP/hdr.
infer() {
  curl -s -m 10 -o "$TMP/out" -D "$TMP/hdr" -w '%{http_code}' -X POST \
    --data-binary @"${2:-$REQ}" "http://${HTTP[$1]}/v2/models/mlp/infer"
}
served_by() { grep -i '^x-synod-served-by:' "$TMP/hdr" | awk '{print $2}' | tr -d '\r'; }
admin() {  # admin <node index> load|unload <model>
  curl -sf -m 60 -X POST "http://${HTTP[$1]}/v2/repository/models/$3/$2" >/dev/null ||
    fail "$2 $3 on node$(( $1 + 1 ))"
}
# wait_served <node index> <seconds> <allowed servers regex>: until a 200 from one of them.
wait_served() {
  local deadline=$(( SECONDS + $2 )) code
  while (( SECONDS < deadline )); do
    code=$(infer "$1")
    [[ $code == 200 && $(served_by) =~ ^($3)$ ]] && return 0
    sleep 0.2
  done
  fail "node$(( $1 + 1 )): no answer served by $3 (last $code: $(head -c 300 "$TMP/out"), by $(served_by))"
}

up 3 --models "$MODELS"
wait_ready 0 1 2

case $CASE in
forward)
  admin 1 unload mlp
  admin 2 unload mlp
  wait_served 0 10 node1
  wait_served 1 10 node1
  wait_served 2 10 node1
  python3 - "$TMP/out" <<'PY' || fail "bad prediction: $(cat "$TMP/out")"
import json, sys
d = json.load(open(sys.argv[1]))
p = d["outputs"][0]["data"]
assert d["outputs"][0]["shape"] == [1, 10] and abs(sum(p) - 1) < 1e-4, d
PY
  for i in 1 2; do
    for n in 1 2 3 4 5; do
      [[ $(infer $i) == 200 && $(served_by) == node1 ]] || fail "request $n to node$(( i + 1 )) not forwarded"
    done
  done
  # Bad input: each its own error, through the forwarding node too.
  printf '{"inputs": [' >"$TMP/bad_json"
  echo '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,15],"data":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}]}' >"$TMP/bad_shape"
  echo '{"inputs":[{"name":"input","datatype":"INT32","shape":[1,16],"data":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}]}' >"$TMP/bad_type"
  for i in 0 1; do
    [[ $(infer $i "$TMP/bad_json") == 400 ]] && grep -q 'malformed JSON' "$TMP/out" || fail "malformed JSON on node$(( i + 1 )): $(cat "$TMP/out")"
    [[ $(infer $i "$TMP/bad_shape") == 400 ]] && grep -q 'does not match' "$TMP/out" || fail "wrong shape: $(cat "$TMP/out")"
    [[ $(infer $i "$TMP/bad_type") == 400 ]] && grep -q 'datatype INT32' "$TMP/out" || fail "wrong datatype: $(cat "$TMP/out")"
  done
  code=$(curl -s -m 5 -o "$TMP/out" -w '%{http_code}' -X POST --data-binary @"$REQ" "http://${HTTP[1]}/v2/models/nosuch/infer")
  [[ $code == 404 ]] || fail "unknown model gave $code"
  [[ $(infer 1) == 200 ]] || fail "node stopped serving after bad input"
  meta=$(curl -sf -m 5 "http://${HTTP[2]}/v2/models/mlp") || fail "metadata through node3"
  grep -q '"probabilities"' <<<"$meta" || fail "metadata: $meta"
  pass "requests to node2 and node3 forwarded to node1; bad input answered 400/404"
  ;;
failover)
  admin 2 unload mlp
  wait_served 2 10 'node1|node2'
  first=$(served_by)
  other=$([[ $first == node1 ]] && echo node2 || echo node1)
  kill -9 "$(pid_of "$first")"
  ok=0 failed=0
  for n in $(seq 1 20); do
    if [[ $(infer 2) == 200 ]]; then
      [[ $(served_by) == "$other" ]] || fail "after killing $first, served by $(served_by)"
      ok=$(( ok + 1 ))
    else
      failed=$(( failed + 1 ))
    fi
  done
  (( failed == 0 )) || fail "$failed of 20 requests failed after killing $first: $(cat "$TMP/out")"
  pass "killed $first; all 20 requests to node3 failed over to $other"
  ;;
gossip)
  # tags <node index> <member name>: that member's "models" tag as seen by the node.
  tags() {
    curl -sf -m 2 "http://${HTTP[$1]}/v1/agent/members" |
      python3 -c "import json,sys; print(next((m['Tags'].get('models','') for m in json.load(sys.stdin) if m['Name']=='$2'), 'absent'))"
  }
  # wait_tags <node index> <member> <python condition on t (a list)> <what>
  wait_tags() {
    local deadline=$(( SECONDS + 15 )) t
    while (( SECONDS < deadline )); do
      t=$(tags "$1" "$2")
      python3 -c "t='$t'.split(','); import sys; sys.exit(0 if ($3) else 1)" && return 0
      sleep 0.2
    done
    fail "node$(( $1 + 1 )) sees $2 models '$t', expected $4"
  }
  wait_tags 2 node1 "'mlp' in t and 'cnn' in t" "mlp and cnn"
  versions=$(curl -sf -m 2 "http://${HTTP[2]}/v1/agent/members" |
    python3 -c "import json,sys; print([m['Tags'].get('model_versions') for m in json.load(sys.stdin) if m['Name']=='node1'][0])")
  [[ $versions == *mlp@1* ]] || fail "node1 model_versions tag: $versions"
  deadline=$(( SECONDS + 10 ))
  until curl -sf -m 2 "http://${HTTP[2]}/v1/agent/members" | python3 -c "
import json, sys
t = [m['Tags'] for m in json.load(sys.stdin) if m['Name'] == 'node1'][0]
float(t['load']); assert int(t['inflight']) >= 0" 2>/dev/null; do
    (( SECONDS < deadline )) || fail "node1 never advertised load and inflight tags"
    sleep 0.2
  done
  admin 1 unload mlp
  admin 2 unload mlp
  wait_tags 0 node2 "'mlp' not in t and 'cnn' in t" "cnn without mlp"
  wait_tags 0 node3 "'mlp' not in t" "no mlp"
  src=$(curl -sf -m 2 "http://${HTTP[2]}/v1/synod/inference/models" | json 'd["source"]')
  [[ $src == gossip ]] || fail "routing view source is $src, not gossip"
  wait_served 2 10 node1
  admin 0 unload mlp
  admin 1 load mlp
  wait_tags 2 node2 "'mlp' in t" "mlp back on node2"
  wait_tags 2 node1 "'mlp' not in t" "mlp gone from node1"
  wait_served 2 10 node2
  pass "models tags follow load/unload in /v1/agent/members; node3 routes by them"
  ;;
*) fail "unknown case $CASE" ;;
esac
