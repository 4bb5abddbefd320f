#!/usr/bin/env bash
# 3-node cluster write throughput with encryption+compression on versus off,
# side by side in one run (docs/crypto.md). Both clusters stay up for the
# whole run; the load (`synod bench kv --mode write`) alternates between them
# in rounds (on, off, on, off, ...) so that the noise of a shared machine
# falls on both alike. Per round it prints writes/s and the CPU the three
# agents spent per write (from /proc, which is far less sensitive to other
# load on the box than throughput), then the totals and the on/off ratios.
#   bench/crypto/cluster_bench.sh [build dir, default build] [seconds per round, default 8]
#                                 [rounds, default 3]
set -uo pipefail
BUILD=${1:-build}
SECS=${2:-8}
ROUNDS=${3:-3}
SYNOD=$BUILD/bin/synod
CONNS=${CONNS:-32}
TMP=$(mktemp -d /tmp/synod-crypto-bench.XXXXXX)
trap 'for d in "$TMP"/on "$TMP"/off; do [[ -f $d/cluster.json ]] && "$SYNOD" cluster down --dir "$d" >/dev/null 2>&1; done; rm -rf "$TMP"' EXIT

up() {  # up <on|off> <base port> [extra cluster-up args]
  local name=$1 port=$2
  shift 2
  "$SYNOD" cluster up -n 3 --dir "$TMP/$name" --base-port "$port" --timeout 60 "$@" -o json \
    >"$TMP/$name-up.json" 2>"$TMP/$name-up.log" || { echo "cluster up ($name) failed" >&2; exit 1; }
  python3 -c "import json; print(','.join('http://'+n['http'] for n in json.load(open('$TMP/$name-up.json'))['nodes']))" \
    >"$TMP/$name-endpoints"
}

cpu_ticks() {  # utime+stime of the three agents of cluster $1, in clock ticks
  local total=0 pid f
  for f in "$TMP/$1"/node*/agent.pid; do
    pid=$(cat "$f")
    set -- $(cut -d' ' -f14,15 "/proc/$pid/stat")
    total=$((total + $1 + $2))
  done
  echo "$total"
}

up on 27000
up off 27100 --set crypto.enabled=false
for name in on off; do
    sealer=$(grep -ho 'channel [a-z0-9+]*)' "$TMP/$name"/node*/agent.log | sort -u | tr -d ')' | paste -sd' ')
  echo "cluster $name: $(cat "$TMP/$name-endpoints"), peer channels: ${sealer:-?}"
done

HZ=$(getconf CLK_TCK)
declare -A OPS=([on]=0 [off]=0) CPU=([on]=0 [off]=0)
printf '%-6s %-4s %10s %14s\n' round mode writes/s "cpu us/write"
for ((r = 1; r <= ROUNDS; r++)); do
  for name in on off; do
    t0=$(cpu_ticks "$name")
    "$SYNOD" bench kv --endpoints "$(cat "$TMP/$name-endpoints")" --mode write -c "$CONNS" \
      -d "$SECS" --value-size 256 --key-prefix "bench$r/" -o json >"$TMP/$name-$r.json" 2>/dev/null
    t1=$(cpu_ticks "$name")
    read -r ops errors rate < <(python3 -c "import json; d=json.load(open('$TMP/$name-$r.json')); print(d['ok'], d['errors'], d['throughput'])")
    us=$(python3 -c "print('%.1f' % (($t1-$t0)*1e6/$HZ/max(1,$ops)))")
    printf '%-6s %-4s %10.0f %14s   errors %s\n' "$r" "$name" "$rate" "$us" "$errors"
    OPS[$name]=$((OPS[$name] + ops))
    CPU[$name]=$((CPU[$name] + t1 - t0))
  done
done
python3 - "${OPS[on]}" "${OPS[off]}" "${CPU[on]}" "${CPU[off]}" "$HZ" "$SECS" "$ROUNDS" "$CONNS" <<'EOF'
import sys
on, off, con, coff, hz, secs, rounds, conns = (float(x) for x in sys.argv[1:])
t = secs * rounds
print("| cluster writes (3 nodes, %d conns, 256 B values) | on | off | on/off |" % conns)
print("|---|---|---|---|")
print("| writes/s (all rounds) | %.0f | %.0f | %.1f%% (target >= 90%%) |" % (on / t, off / t, 100 * on / off))
cu_on, cu_off = con * 1e6 / hz / on, coff * 1e6 / hz / off
print("| agent CPU us per write | %.1f | %.1f | %.1f%% more CPU |" % (cu_on, cu_off, 100 * (cu_on / cu_off - 1)))
EOF
