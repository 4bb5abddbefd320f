#!/usr/bin/env bash
# Triton's binary tensor data over a real 2-node cluster (docs/inference.md
# "Binary tensor data"): node1 serves mlp, node2 has it unloaded and forwards
# to node1. A request with the input as raw FP32 after the JSON header
# (Inference-Header-Content-Length) that asks for binary outputs is answered
# by either node with the header, application/octet-stream, and the 40 bytes
# of the 10 FP32 probabilities (the same numbers as the JSON answer); bad
# binary requests get their own 400 on both nodes and the nodes keep serving.
# A JSON request that asks for binary outputs with a \u-escaped key gets
# them through node2 too.
# Ports 27500-27599.
set -uo pipefail
CASE=binary
source "$(dirname "$0")/lib.sh"

free_base() {  # this script's own port range
  local span=$(( 10 * $1 )) base p ok
  for ((base = 27500; base + span <= 27600; base += span)); do
    ok=1
    for ((p = base; p < base + span; p++)); do port_free "$p" || { ok=0; break; }; done
    [[ $ok == 1 ]] && { echo "$base"; return; }
  done
  fail "no free ports in 27500-27599"
}

MODELS=$TMP/models
"$SYNOD" models demo "$MODELS" >/dev/null || fail "synod models demo"
REQ=$MODELS/mlp/example_request.json

# binary_body <out file> <binary_data_size delta> <extra bytes>: the example
# request in binary form; prints the JSON header length.
binary_body() {
  python3 - "$REQ" "$1" "$2" "$3" <<'PY'
import json, struct, sys
req = json.load(open(sys.argv[1]))
inp = req["inputs"][0]
flat = []
def walk(v):
    if isinstance(v, list):
        for x in v: walk(x)
    else:
        flat.append(v)
walk(inp["data"])
raw = struct.pack("<%df" % len(flat), *flat)
del inp["data"]
inp["parameters"] = {"binary_data_size": len(raw) + int(sys.argv[3])}
req["parameters"] = {"binary_data_output": True}
head = json.dumps(req).encode()
open(sys.argv[2], "wb").write(head + raw + sys.argv[4].encode())
print(len(head))
PY
}
# post <node index> <body file> <header value>: the HTTP code; body in $TMP/out, headers in $TMP/hdr.
post() {
  curl -s -m 10 -o "$TMP/out" -D "$TMP/hdr" -w '%{http_code}' -X POST \
    -H 'Content-Type: application/octet-stream' -H "Inference-Header-Content-Length: $3" \
    --data-binary @"$2" "http://${HTTP[$1]}/v2/models/mlp/infer"
}
header() { grep -i "^$1:" "$TMP/hdr" | head -1 | cut -d: -f2- | tr -d ' \r'; }

up 2 --models "$MODELS"
wait_ready 0 1
curl -sf -m 60 -X POST "http://${HTTP[1]}/v2/repository/models/mlp/unload" >/dev/null ||
  fail "unload mlp on node2"
curl -s -m 10 -o "$TMP/json_out" --data-binary @"$REQ" "http://${HTTP[0]}/v2/models/mlp/infer" ||
  fail "JSON request to node1"

LEN=$(binary_body "$TMP/good" 0 "") || fail "building the binary request"
for i in 0 1; do
  deadline=$(( SECONDS + 15 ))
  until code=$(post "$i" "$TMP/good" "$LEN"); [[ $code == 200 && $(header x-synod-served-by) == node1 ]]; do
    (( SECONDS < deadline )) || fail "node$(( i + 1 )): binary request gave $code: $(head -c 300 "$TMP/out")"
    sleep 0.2
  done
  n=$(header inference-header-content-length)
  [[ -n $n ]] || fail "node$(( i + 1 )): no Inference-Header-Content-Length in $(cat "$TMP/hdr")"
  [[ $(header content-type) == application/octet-stream ]] || fail "content type $(header content-type)"
  python3 - "$TMP/out" "$n" "$TMP/json_out" <<'PY' || fail "node$(( i + 1 )): bad binary answer"
import json, struct, sys
body = open(sys.argv[1], "rb").read()
n = int(sys.argv[2])
head = json.loads(body[:n])
out = head["outputs"][0]
assert out["parameters"]["binary_data_size"] == 40 and "data" not in out, out
assert len(body) == n + 40, (len(body), n)
p = struct.unpack("<10f", body[n:])
assert out["shape"] == [1, 10] and abs(sum(p) - 1) < 1e-4, p
ref = json.load(open(sys.argv[3]))["outputs"][0]["data"]
assert all(abs(a - b) < 1e-6 for a, b in zip(p, ref)), (p, ref)
PY
done

# A plain JSON request asking for binary outputs with the key spelled with a
# \u escape, sent to node2: forwarded as op 4, so the answer still carries
# its Inference-Header-Content-Length.
python3 - "$REQ" "$TMP/escaped" <<'PY' || fail "building the escaped request"
import json, sys
req = json.load(open(sys.argv[1]))
text = json.dumps(req)[:-1] + ', "parameters": {"\\u0062inary_data_output": true}}'
json.loads(text)  # still valid JSON
open(sys.argv[2], "w").write(text)
PY
code=$(curl -s -m 10 -o "$TMP/out" -D "$TMP/hdr" -w '%{http_code}' -X POST \
  --data-binary @"$TMP/escaped" "http://${HTTP[1]}/v2/models/mlp/infer")
[[ $code == 200 && $(header x-synod-served-by) == node1 ]] ||
  fail "escaped key through node2: $code $(head -c 300 "$TMP/out")"
n=$(header inference-header-content-length)
[[ -n $n && $(( $(stat -c %s "$TMP/out") - n )) == 40 ]] ||
  fail "escaped key through node2: no binary answer (header '$n', $(stat -c %s "$TMP/out") bytes)"

# Bad binary requests: their own 400 on the serving node and through node2.
binary_body "$TMP/short_size" -4 "" >/dev/null
binary_body "$TMP/extra" 0 "xyz" >/dev/null
for i in 0 1; do
  [[ $(post "$i" "$TMP/good" 999999) == 400 ]] && grep -q 'is larger than the' "$TMP/out" ||
    fail "node$(( i + 1 )): header longer than the body: $(cat "$TMP/out")"
  [[ $(post "$i" "$TMP/good" abc) == 400 ]] && grep -q 'is not a number' "$TMP/out" ||
    fail "node$(( i + 1 )): header not a number: $(cat "$TMP/out")"
  [[ $(post "$i" "$TMP/short_size" "$LEN") == 400 ]] && grep -q 'does not match shape' "$TMP/out" ||
    fail "node$(( i + 1 )): wrong binary_data_size: $(cat "$TMP/out")"
  [[ $(post "$i" "$TMP/extra" "$LEN") == 400 ]] && grep -q 'bytes follow the JSON' "$TMP/out" ||
    fail "node$(( i + 1 )): extra bytes: $(cat "$TMP/out")"
  [[ $(post "$i" "$TMP/good" "$LEN") == 200 ]] || fail "node$(( i + 1 )) stopped serving after bad input"
done
pass "binary requests to node1 and through node2 answered in binary (an escaped key too); bad ones 400"
