#!/usr/bin/env bash
# 3-node cluster write throughput with encryption+compression on versus off,
# in the same run (docs/crypto.md). Two clusters run one after the other on
# the same machine with the same load (`synod bench kv --mode write`).
#   bench/crypto/cluster_bench.sh [build dir, default build] [seconds, default 10]
set -uo pipefail
BUILD=${1:-build}
SECS=${2:-10}
SYNOD=$BUILD/bin/synod
TMP=$(mktemp -d /tmp/synod-crypto-bench.XXXXXX)
trap 'for d in "$TMP"/on "$TMP"/off; do [[ -f $d/cluster.json ]] && "$SYNOD" cluster down --dir "$d" >/dev/null 2>&1; done; rm -rf "$TMP"' EXIT

run() {  # run <on|off> <base port>
  local dir=$TMP/$1
  "$SYNOD" cluster up -n 3 --dir "$dir" --base-port "$2" --timeout 60 -o json >"$TMP/$1-up.json" || {
    echo "cluster up failed" >&2; exit 1; }
  if [[ $1 == off ]]; then
    "$SYNOD" cluster down --dir "$dir" >/dev/null 2>&1
    for y in "$dir"/node*/node.yaml; do
      sed -i 's/^crypto:$/crypto:\n  enabled: false/' "$y"
    done
    for n in node1 node2 node3; do "$SYNOD" cluster restart "$n" --dir "$dir" >/dev/null 2>&1; done
    sleep 5
  fi
  local eps
  eps=$(python3 -c "import json; print(','.join('http://'+n['http'] for n in json.load(open('$TMP/$1-up.json'))['nodes']))")
  "$SYNOD" bench kv --endpoints "$eps" --mode write -c 32 -d "$SECS" --value-size 256 -o json \
    >"$TMP/$1.json" 2>/dev/null
  "$SYNOD" cluster down --dir "$dir" >/dev/null 2>&1
  python3 -c "import json; d=json.load(open('$TMP/$1.json')); print(d.get('throughput', d.get('ops_per_sec', d)))"
}

on=$(run on 27000)
off=$(run off 27100)
echo "| cluster writes (3 nodes, 32 conns, 256 B) | ops/s |"
echo "|---|---|"
echo "| encryption+compression on | $on |"
echo "| off | $off |"
python3 -c "print('| on/off | %.0f%% (target 90%%) |' % (100*float('$on')/float('$off')))" 2>/dev/null || true
