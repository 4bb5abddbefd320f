#!/usr/bin/env bash
# Builds every libFuzzer target (peer frame decoder, each decompressor, the
# secure handshake parser and frame opener, the inference request decoder)
# with clang into its own build dir and runs each for a bounded time from
# its seed corpus.
#   scripts/fuzz.sh [seconds per target, default 15]
# Env: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_JOBS (default 2).
# A crash leaves crash-* / leak-* files in the build dir and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-15}
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${FUZZ_JOBS:-2}
if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ not found (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSYNOD_FUZZ=ON >/dev/null
fi
declare -A CORPUS=(
  [transport_frame_fuzz]=tests/fuzz/transport/corpus
  [compression_lz4_fuzz]=tests/fuzz/compression/corpus
  [compression_zstd_fuzz]=tests/fuzz/compression/corpus
  [compression_snappy_fuzz]=tests/fuzz/compression/corpus
  [compression_gzip_fuzz]=tests/fuzz/compression/corpus
  [crypto_handshake_fuzz]=tests/fuzz/crypto/corpus/handshake
  [crypto_frame_fuzz]=tests/fuzz/crypto/corpus/frame
  [inference_request_fuzz]=tests/fuzz/inference/corpus
)
targets=()
all_targets=$(ninja -C "$BUILD" -t targets all 2>/dev/null)
for t in "${!CORPUS[@]}"; do
  if grep -q "^$t: " <<<"$all_targets"; then targets+=("$t"); fi
done
[[ ${#targets[@]} -gt 0 ]] || { echo "fuzz.sh: no fuzz targets configured" >&2; exit 1; }
ninja -C "$BUILD" -j "$JOBS" "${targets[@]}"
status=0
for t in $(printf '%s\n' "${targets[@]}" | sort); do
  bin=$(find "$BUILD" -type f -name "$t" -perm -u+x | head -1)
  work=$(mktemp -d)
  # Seeds are read from the repo's corpus; new inputs go to a scratch dir.
  seeds=()
  while IFS= read -r -d '' d; do seeds+=("$d"); done < <(find "${CORPUS[$t]}" -type d -print0)
  echo "== $t (${SECONDS_PER_TARGET}s)"
  if ! (cd "$BUILD" && "$OLDPWD/$bin" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 \
          -print_final_stats=0 "$work" "${seeds[@]/#/$OLDPWD/}" 2>"$work.log"); then
    echo "FAILED: $t (log: $work.log)" >&2
    tail -30 "$work.log" >&2
    status=1
  else
    grep -E "^#[0-9]+ *DONE" "$work.log" | tail -1 || true
  fi
  rm -rf "$work"
done
exit $status
