#!/usr/bin/env bash
# Wire bytes of small log entries with zstd versus zstd + the shared
# dictionary (docs/compression.md), two 3-node clusters side by side in one
# run, same workload: sequential KV writes of ~200-byte JSON-like values (so
# most AppendEntries frames carry one small entry, the case a dictionary is
# for). Prints, per cluster, the zstd bytes in/out summed over the three
# agents for the measured writes (after a warm-up that lets the leader train).
# Adaptive mode is off in both, so plain zstd is measured on every frame too.
#   bench/compression/dictionary_bench.sh [build dir, default build] [writes, default 1000]
set -uo pipefail
BUILD=${1:-build}
WRITES=${2:-1000}
SYNOD=$BUILD/bin/synod
TMP=$(mktemp -d /tmp/synod-dict-bench.XXXXXX)
trap 'for d in "$TMP"/plain "$TMP"/dict; do [[ -f $d/cluster.json ]] && "$SYNOD" cluster down --dir "$d" >/dev/null 2>&1; done; [[ -n ${KEEP:-} ]] || rm -rf "$TMP"' EXIT

value_of() {
  echo "{\"service\":\"web-$1\",\"address\":\"10.0.$(( $1 % 250 )).$(( $1 % 7 ))\",\"port\":$(( 8000 + $1 % 100 )),\"tags\":[\"primary\",\"v2\",\"zone-$(( $1 % 3 ))\"],\"meta\":{\"owner\":\"team-$(( $1 % 5 ))\",\"build\":\"2026.11.$(( $1 % 28 ))\"}}"
}

free_base() {  # a base port with 30 free ports above it, from $1 upward
  local b=$1
  while ss -ltnH | awk '{print $4}' | grep -qE ":($b|$((b + 1))|$((b + 2))|$((b + 10))|$((b + 11))|$((b + 12))|$((b + 20))|$((b + 21))|$((b + 22)))\$"; do
    b=$((b + 100))
  done
  echo "$b"
}

up() {  # up <name> <base port> <zstd_dictionary true|false>
  "$SYNOD" cluster up -n 3 --dir "$TMP/$1" --base-port "$2" --timeout 60 -o json \
    --set compression.codec=zstd --set compression.min_bytes=64 --set compression.adaptive=false \
    --set compression.zstd_dictionary="$3" --set compression.zstd_dictionary_samples=200 \
    >"$TMP/$1-up.json" 2>"$TMP/$1-up.log" || { echo "cluster up ($1) failed" >&2; exit 1; }
  python3 -c "import json; print(' '.join(n['http'] for n in json.load(open('$TMP/$1-up.json'))['nodes']))" >"$TMP/$1-http"
}

sum_metric() {  # sum_metric <cluster> <metric line prefix>
  local total=0 h v
  for h in $(cat "$TMP/$1-http"); do
    v=$(curl -sf "http://$h/metrics" | awk -v m="$2" '$1 == m { print $2 }' | tail -1)
    total=$(python3 -c "print($total + float('${v:-0}'))")
  done
  echo "$total"
}

sum_prefix() {  # sum_prefix <cluster> <metric name>: summed over every label set and agent
  local total=0 h v
  for h in $(cat "$TMP/$1-http"); do
    v=$(curl -sf "http://$h/metrics" | awk -v m="$2" 'index($1, m "{") == 1 { s += $2 } END { print s + 0 }')
    total=$(python3 -c "print($total + float('${v:-0}'))")
  done
  echo "$total"
}

writes() {  # writes <cluster> <from> <to>
  local hosts=($(cat "$TMP/$1-http")) i
  for ((i = $2; i < $3; i++)); do
    curl -sf -m 5 -X PUT --data-binary "$(value_of "$i")" "http://${hosts[0]}/v1/kv/bench/$i" >/dev/null ||
      echo "write $i failed on $1" >&2
  done
}

up plain "$(free_base 27200)" false
up dict "$(free_base 27700)" true
IN='synod_compression_bytes_in_total{codec="zstd"}'
OUT='synod_compression_bytes_out_total{codec="zstd"}'
printf '| cluster | writes | zstd bytes in | zstd bytes out | out/in | dictionary frames | peer frames (all) | seconds | peer bytes sent per write |\n|---|---|---|---|---|---|---|---|---|\n'
for c in plain dict; do
  writes "$c" 0 300  # warm-up: 200 samples are enough for the leader to train
  if [[ $c == dict ]]; then
    for _ in $(seq 1 100); do
      [[ "$(sum_metric dict synod_compression_dictionary_id)" != 0 ]] && break
      sleep 0.1
    done
  fi
  in0=$(sum_metric "$c" "$IN"); out0=$(sum_metric "$c" "$OUT")
  d0=$(sum_metric "$c" 'synod_compression_dictionary_frames_total{direction="sent"}')
  w0=$(sum_prefix "$c" synod_peer_bytes_sent_total); f0=$(sum_prefix "$c" synod_peer_frames_sent_total); t0=$(date +%s.%N)
  writes "$c" 1000 $((1000 + WRITES))
  in1=$(sum_metric "$c" "$IN"); out1=$(sum_metric "$c" "$OUT")
  d1=$(sum_metric "$c" 'synod_compression_dictionary_frames_total{direction="sent"}')
  w1=$(sum_prefix "$c" synod_peer_bytes_sent_total); f1=$(sum_prefix "$c" synod_peer_frames_sent_total); t1=$(date +%s.%N)
  python3 -c "
i, o, d, w, f, t = $in1 - $in0, $out1 - $out0, $d1 - $d0, $w1 - $w0, $f1 - $f0, $t1 - $t0
print('| zstd%s | $WRITES | %.0f | %.0f | %.3f | %.0f | %.0f | %.1f | %.0f |' % (' + dictionary' if '$c' == 'dict' else '', i, o, o / i if i else 0, d, f, t, w / $WRITES))"
done
