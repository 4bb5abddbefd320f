#!/usr/bin/env bash
# Side-by-side: a 3-node synod cluster against a 3-node etcd 3.4 on loopback,
# both syncing to disk before acknowledging, measured by the same client
# (`synod bench kv`). Prints one table: writes/s, p50, p99 at 1/16/64
# connections (256 B values), linearizable reads/s, failover after SIGKILL of
# the leader, idle RSS per node, and the synod/etcd ratios.
#
#   bench/compare_etcd.sh [BUILD_DIR]      (default: build)
#   DURATION=10 bench/compare_etcd.sh build   (seconds per load, default 10)
#
# Everything it starts is stopped by pid on exit, also on error or Ctrl-C.
set -euo pipefail

BUILD_DIR=${1:-build}
SYNOD=$(cd "$BUILD_DIR" && pwd)/bin/synod
DURATION=${DURATION:-10}
ETCD=$(command -v etcd || true)
[[ -z "$ETCD" && -x /usr/bin/etcd ]] && ETCD=/usr/bin/etcd
[[ -x "$SYNOD" ]] || { echo "error: $SYNOD not found (build target synod)" >&2; exit 1; }
[[ -n "$ETCD" ]] || { echo "error: etcd not found (apt-get install etcd-server)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/synod-compare.XXXXXX)
ETCD_PIDS=()
cleanup() {
  set +e
  for pid in "${ETCD_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
  if [[ -f "$TMP/synod/cluster.json" ]]; then
    "$SYNOD" cluster down --dir "$TMP/synod" >/dev/null 2>&1
    for f in "$TMP"/synod/*/agent.pid; do [[ -f "$f" ]] && kill -9 "$(cat "$f")" 2>/dev/null; done
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! ss -ltnH "sport = :$1" | grep -q .; }
# A base port whose next $2 ports are all free.
free_base() {
  local span=$1 base p ok
  for _ in $(seq 1 200); do
    base=$(( 20000 + (RANDOM % 1200) * 10 ))  # below the ephemeral range (32768+)
    ok=1
    for ((p = base; p < base + span; p++)); do port_free "$p" || { ok=0; break; }; done
    [[ $ok == 1 ]] && { echo "$base"; return; }
  done
  echo "error: no free ports" >&2; exit 1
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# ---------------------------------------------------------------- etcd
EBASE=$(free_base 6)
CLUSTER=""
for i in 1 2 3; do CLUSTER+="${CLUSTER:+,}e$i=http://127.0.0.1:$((EBASE + 2 * i - 1))"; done
ETCD_EPS=""
for i in 1 2 3; do
  cport=$((EBASE + 2 * i - 2)); pport=$((EBASE + 2 * i - 1))
  ETCD_EPS+="${ETCD_EPS:+,}127.0.0.1:$cport"
  mkdir -p "$TMP/etcd/e$i"
  "$ETCD" --name "e$i" --data-dir "$TMP/etcd/e$i" \
    --listen-client-urls "http://127.0.0.1:$cport" --advertise-client-urls "http://127.0.0.1:$cport" \
    --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
    --initial-cluster "$CLUSTER" --initial-cluster-state new --initial-cluster-token "cmp-$EBASE" \
    --logger zap --log-level error >"$TMP/etcd/e$i.log" 2>&1 &
  ETCD_PIDS+=($!)
  disown $!  # stopped by pid in cleanup; no job notices
done
IFS=, read -r -a ETCD_LIST <<<"$ETCD_EPS"
for _ in $(seq 1 100); do
  curl -sf "http://${ETCD_LIST[0]}/health" 2>/dev/null | grep -q true && break
  sleep 0.2
done
curl -sf "http://${ETCD_LIST[0]}/health" | grep -q true || { echo "error: etcd did not start" >&2; exit 1; }
echo "etcd 3-node cluster up on $ETCD_EPS" >&2

# ---------------------------------------------------------------- synod
SBASE=$(free_base 23)
"$SYNOD" cluster up -n 3 --dir "$TMP/synod" --base-port "$SBASE" -o json >"$TMP/synod-up.json"
SYNOD_EPS=$(json '",".join(n["http"] for n in d["nodes"])' <"$TMP/synod-up.json")
IFS=, read -r -a SYNOD_LIST <<<"$SYNOD_EPS"
echo "synod 3-node cluster up on $SYNOD_EPS" >&2
sleep 2
RSS=""
for f in "$TMP"/synod/node*/agent.pid; do
  kb=$(awk '/VmRSS/ {print $2}' "/proc/$(cat "$f")/status")
  RSS+="${RSS:+ }$((kb / 1024))"
done

# ---------------------------------------------------------------- loads
declare -A R
bench() {  # bench <target> <endpoints> <conns> <mode> -> sets R[target/mode/conns/field]
  local out
  out=$("$SYNOD" bench kv --target "$1" --endpoints "$2" -c "$3" --mode "$4" -d "$DURATION" \
    --value-size 256 --keys 10000 --threads 2 -o json) || true
  R[$1/$4/$3/tput]=$(json 'round(d["throughput"])' <<<"$out")
  R[$1/$4/$3/p50]=$(json 'round(d["latency_ms"]["p50"],2)' <<<"$out")
  R[$1/$4/$3/p99]=$(json 'round(d["latency_ms"]["p99"],2)' <<<"$out")
  R[$1/$4/$3/err]=$(json 'd["errors"]' <<<"$out")
  echo "  $1 $4 c=$3: ${R[$1/$4/$3/tput]}/s p50 ${R[$1/$4/$3/p50]} ms p99 ${R[$1/$4/$3/p99]} ms errors ${R[$1/$4/$3/err]}" >&2
}
for c in 1 16 64; do
  bench etcd "$ETCD_EPS" "$c" write
  bench synod "$SYNOD_EPS" "$c" write
done
bench etcd "$ETCD_EPS" 64 read
bench synod "$SYNOD_EPS" 64 read

# ---------------------------------------------------------------- failover
etcd_put() {  # etcd_put <endpoint>: one write, 1 s timeout
  curl -sf -m 1 -X POST "http://$1/v3/kv/put" -d '{"key":"ZmFpbG92ZXI=","value":"MQ=="}' >/dev/null
}
etcd_failover() {
  local leader_id="" i member status victim=-1 t0 t1
  for i in 0 1 2; do
    status=$(curl -sf -X POST "http://${ETCD_LIST[$i]}/v3/maintenance/status" -d '{}')
    member=$(json 'd["header"]["member_id"]' <<<"$status")
    leader_id=$(json 'd["leader"]' <<<"$status")
    [[ "$member" == "$leader_id" ]] && victim=$i
  done
  [[ $victim -ge 0 ]] || { echo "-"; return; }
  local survivor=$(( (victim + 1) % 3 ))
  t0=$(now_ms)
  kill -9 "${ETCD_PIDS[$victim]}"
  until etcd_put "${ETCD_LIST[$survivor]}"; do sleep 0.01; done
  t1=$(now_ms)
  echo $((t1 - t0))
}
synod_failover() {
  local leader pid survivor t0 t1 n
  local address
  address=$("$SYNOD" leader --http-addr "${SYNOD_LIST[0]}" -o json | json 'd["address"]')
  leader=$(python3 -c "import json,sys; print(next((n['name'] for n in json.load(open(sys.argv[1]))['nodes'] if n['peer']==sys.argv[2]), ''))" "$TMP/synod/cluster.json" "$address")
  [[ -n "$leader" ]] || { echo "-"; return; }
  pid=$(cat "$TMP/synod/$leader/agent.pid")
  n=${leader#node}
  survivor=${SYNOD_LIST[$(( n % 3 ))]}
  t0=$(now_ms)
  kill -9 "$pid"
  until "$SYNOD" kv put --http-addr "$survivor" failover 1 >/dev/null 2>&1; do sleep 0.01; done
  t1=$(now_ms)
  echo $((t1 - t0))
}
FO_ETCD=$(etcd_failover)
FO_SYNOD=$(synod_failover)
echo "  failover: etcd ${FO_ETCD} ms, synod ${FO_SYNOD} ms" >&2

# ---------------------------------------------------------------- table
ratio() { python3 -c "import sys; a,b=sys.argv[1],sys.argv[2]; print('-' if a in ('','-') or b in ('','-') or float(b)==0 else '%.2fx' % (float(a)/float(b)))" "$1" "$2"; }
printf '\n%-28s %12s %12s %10s\n' "METRIC" "SYNOD" "ETCD" "SYNOD/ETCD"
row() { printf '%-28s %12s %12s %10s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
for c in 1 16 64; do
  row "writes/s  c=$c" "${R[synod/write/$c/tput]}" "${R[etcd/write/$c/tput]}"
  row "write p50 ms  c=$c" "${R[synod/write/$c/p50]}" "${R[etcd/write/$c/p50]}"
  row "write p99 ms  c=$c" "${R[synod/write/$c/p99]}" "${R[etcd/write/$c/p99]}"
done
row "lin. reads/s  c=64" "${R[synod/read/64/tput]}" "${R[etcd/read/64/tput]}"
row "read p99 ms  c=64" "${R[synod/read/64/p99]}" "${R[etcd/read/64/p99]}"
row "failover ms (SIGKILL)" "$FO_SYNOD" "$FO_ETCD"
printf '%-28s %12s\n' "idle RSS MB per synod node" "$RSS"
