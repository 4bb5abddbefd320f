# Shared helpers of the integration scripts (sourced, not run).
# The sourcing script sets CASE (the case name) before sourcing; SYNOD_BINARY
# must name the synod binary. Provides: TMP and DIR (a temp dir removed on
# exit, logs kept with KEEP_ON_FAIL=1), fail/pass, free_base, json, up
# (cluster up into DIR; fills HTTP[] and PEER[]), pid_of, leader_seen_by,
# role_of, wait_leader, all_indexes, put/get (KV through node index), metric.

SYNOD=${SYNOD_BINARY:?set SYNOD_BINARY to the synod binary}
TMP=$(mktemp -d /tmp/synod-it.XXXXXX)
DIR=$TMP/cluster

cleanup() {
  if [[ -f "$DIR/cluster.json" ]]; then
    for f in "$DIR"/*/agent.pid; do [[ -f "$f" ]] && kill -CONT "$(cat "$f")" 2>/dev/null; done
    timeout 30 "$SYNOD" cluster down --dir "$DIR" >/dev/null 2>&1
    for f in "$DIR"/*/agent.pid; do [[ -f "$f" ]] && kill -9 "$(cat "$f")" 2>/dev/null; done
  fi
  if [[ -n "${KEEP_ON_FAIL:-}" && "${FAILED:-0}" == 1 ]]; then
    echo "logs kept in $TMP" >&2
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT  # run cleanup on these too

# ctest's timeout SIGKILLs the script (no trap runs) and its process tree,
# but agents detach from it. A detached watchdog waits for this script to
# go and then stops any agent of this case that is still up.
setsid bash -c '
  while kill -0 "$1" 2>/dev/null; do sleep 1; done
  for f in "$2"/*/agent.pid; do
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    grep -q synod "/proc/$pid/cmdline" 2>/dev/null && kill -9 "$pid"
  done' watchdog "$$" "$DIR" </dev/null >/dev/null 2>&1 &

FAILED=0
fail() {
  FAILED=1
  echo "FAIL [$CASE]: $*" >&2
  for log in "$DIR"/*/agent.log; do
    [[ -f "$log" ]] && { echo "--- tail of $log" >&2; tail -n 15 "$log" >&2; }
  done
  exit 1
}
pass() { echo "PASS [$CASE]: $*"; }

port_free() { ! ss -ltnH "sport = :$1" | grep -q .; }
free_base() {  # free_base <nodes>: a base port with 10*nodes free ports above it
  local span=$(( 10 * $1 )) base p ok
  for _ in $(seq 1 200); do
    base=$(( 20000 + (RANDOM % 1200) * 10 ))  # below the ephemeral range (32768+)
    ok=1
    for ((p = base; p < base + span; p++)); do port_free "$p" || { ok=0; break; }; done
    [[ $ok == 1 ]] && { echo "$base"; return; }
  done
  fail "no free ports"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

up() {  # up <nodes> [extra cluster-up args...]
  local n=$1; shift
  BASE=$(free_base "$n")
  "$SYNOD" cluster up -n "$n" --dir "$DIR" --base-port "$BASE" --timeout 60 -o json "$@" \
    >"$TMP/up.json" || fail "cluster up -n $n failed"
  mapfile -t HTTP < <(json '"\n".join(n["http"] for n in d["nodes"])' <"$TMP/up.json")
  mapfile -t PEER < <(python3 -c "import json; print('\n'.join(n['peer'] for n in json.load(open('$DIR/cluster.json'))['nodes']))")
}
pid_of() { cat "$DIR/$1/agent.pid"; }
wait_ready() {  # wait_ready <indexes...>: each node answers /v2/health/ready (60 s each)
  local i deadline
  for i in "$@"; do
    deadline=$(( SECONDS + 60 ))
    until curl -sf -m 2 "http://${HTTP[$i]}/v2/health/ready" >/dev/null; do
      (( SECONDS < deadline )) || fail "node$(( i + 1 )) never became ready"
      sleep 0.2
    done
  done
}
# The name of the node that `node index` $1 reports as leader ("" if none).
leader_seen_by() {
  local address
  address=$(curl -sf -m 1 "http://${HTTP[$1]}/v1/status/leader" | json 'd') || return 0
  for i in "${!PEER[@]}"; do [[ "${PEER[$i]}" == "$address" ]] && echo "node$((i + 1))"; done
}
role_of() { curl -sf -m 1 "http://${HTTP[$1]}/v1/agent/self" | json 'd["Synod"]["Role"]' 2>/dev/null; }
# Waits until every listed node index reports the same leader; echoes its name.
wait_leader() {  # wait_leader <seconds> <exclude-name> <indexes...>
  local secs=$1 exclude=$2; shift 2
  local deadline=$(( SECONDS + secs )) first l ok
  while (( SECONDS < deadline )); do
    ok=1; first=""
    for i in "$@"; do
      l=$(leader_seen_by "$i")
      if [[ -z "$l" || "$l" == "$exclude" || ( -n "$first" && "$l" != "$first" ) ]]; then ok=0; break; fi
      first=$l
    done
    [[ $ok == 1 ]] && { echo "$first"; return 0; }
    sleep 0.1
  done
  return 1
}
all_indexes() { seq 0 $(( ${#HTTP[@]} - 1 )); }
put() { curl -sf -m 5 -X PUT --data-binary "$3" "http://${HTTP[$1]}/v1/kv/$2" | grep -q true; }
metric() {  # metric <node index> <name{labels}>: its value in /metrics, or 0
  curl -sf -m 2 "http://${HTTP[$1]}/metrics" | awk -v m="$2" '$1 == m { print $2 }' | tail -1 |
    sed 's/^$/0/' | grep . || echo 0
}
get() { curl -sf -m 5 "http://${HTTP[$1]}/v1/kv/$2?raw"; }
