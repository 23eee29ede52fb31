#!/usr/bin/env bash
# The simulator's CPU per streamed token with many concurrent streams (issue target: >= 200,000
# tokens per second on one core with 1,000 streams, i.e. <= 5 us of simulator CPU per token).
#
#   bench/sim_throughput.sh [BUILD_DIR]        (default build dir: ./build)
#
# Environment (defaults): CONC=1000 NUM=4000 IN=16 OUT=128 TTFT=20 ITL=5 PER_CHUNK=1
#                         CLIENT=h2load (or inferbench) CLIENT_THREADS=1 PORT=18941
#                         PIN=1 (0: no taskset)
# One `inferbench sim --threads 1` process pinned to CPU 0, the client pinned to CPU 1; the client
# opens CONC connections and streams NUM requests of OUT tokens. Reported:
#  * tokens streamed per second (wall clock of the client);
#  * the simulator's CPU (utime+stime from /proc/PID/stat), per token and as tokens per
#    CPU-second. On loopback it includes much of the receiving side's TCP processing (run in the
#    sender's context), which a real network would put on the client's host;
#  * how late the simulator was against its own schedule (--trace: each chunk's send time minus
#    request arrival + TTFT + k x ITL), p50 / p99 / max. "Sustains the rate" means this stays small.
# Needs: h2load (nghttp2-client), jq.
set -euo pipefail

BUILD=${1:-build}
BIN="$BUILD/src/app/inferbench"
CONC=${CONC:-1000}
NUM=${NUM:-4000}
IN=${IN:-16}
OUT=${OUT:-128}
TTFT=${TTFT:-20}
ITL=${ITL:-5}
PER_CHUNK=${PER_CHUNK:-1}
CLIENT=${CLIENT:-h2load}
CLIENT_THREADS=${CLIENT_THREADS:-1}
PORT=${PORT:-18941}
PIN=${PIN:-1}
SIM_ON=(); CLIENT_ON=()
if [[ "$PIN" == 1 ]]; then SIM_ON=(taskset -c 0); CLIENT_ON=(taskset -c 1); fi

for tool in h2load jq taskset "$BIN"; do
  command -v "$tool" >/dev/null || { echo "sim_throughput: missing $tool" >&2; exit 2; }
done

TMP=$(mktemp -d)
source "$(dirname "$0")/sim_process.sh"
trap 'sim_stop; rm -rf "$TMP"' EXIT

sim_start "$PORT" "${SIM_ON[@]}" "$BIN" sim --port "$PORT" --ttft-ms "$TTFT" --itl-ms "$ITL" \
  --tokens-per-chunk "$PER_CHUNK" --threads 1 --trace "$TMP/trace.jsonl"



prompt=$(for i in $(seq "$IN"); do printf 'word%d ' "$i"; done)
jq -cn --arg p "${prompt% }" --argjson out "$OUT" \
  '{model:"inferbench-sim",prompt:$p,max_tokens:$out,stream:true,ignore_eos:true}' >"$TMP/body.json"

c0=$(sim_cpu)
t0=$(date +%s.%N)
if [[ "$CLIENT" == h2load ]]; then
  "${CLIENT_ON[@]}" h2load --h1 -c "$CONC" -n "$NUM" -m 1 -t "$CLIENT_THREADS" -d "$TMP/body.json" \
    -H 'content-type: application/json' "http://127.0.0.1:$PORT/v1/completions" >"$TMP/client.out" 2>&1 || {
    echo "h2load failed:" >&2; cat "$TMP/client.out" >&2; exit 1; }
  ok=$(awk '/^requests:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^succeeded/) print $i }' "$TMP/client.out")
else
  "${CLIENT_ON[@]}" "$BIN" run --endpoint "http://127.0.0.1:$PORT" --concurrency "$CONC" --num-requests "$NUM" \
    --input-tokens "$IN" --output-tokens "$OUT" --workers "$CLIENT_THREADS" --no-server-metrics --json \
    >"$TMP/client.json" 2>"$TMP/client.err" || { echo "inferbench run failed:" >&2; cat "$TMP/client.err" >&2; exit 1; }
  ok=$(jq '.runs[0].requests.completed' "$TMP/client.json")
fi
t1=$(date +%s.%N)
c1=$(sim_cpu)
sim_stop  # flushes the trace

late=$(jq -r --argjson ttft "$TTFT" --argjson itl "$ITL" --argjson per "$PER_CHUNK" \
  '.received_ns as $r | .chunk_ns | to_entries[] | (.value - $r - ($ttft + .key * $per * $itl) * 1e6) / 1e3' \
  "$TMP/trace.jsonl" | sort -n | awk '{ v[NR] = $1 } END {
    printf "%.0f / %.0f / %.0f", v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1], v[NR] }')

awk -v ok="$ok" -v out="$OUT" -v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" \
    -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" -v conc="$CONC" -v itl="$ITL" \
    -v per="$PER_CHUNK" -v client="$CLIENT" -v late="$late" '
  BEGIN {
    tokens = ok * out
    printf "sim_throughput: %d streams, %d requests x %d tokens (%d per chunk), itl %s ms, client %s\n", conc, ok, out, per, itl, client
    printf "  streamed %.0f tokens/s (wall %.2f s)\n", tokens / w, w
    printf "  simulator CPU %.2f s (%.0f%% of one core): %.2f us per token, %.0f tokens per CPU-second\n", c, 100 * c / w, 1e6 * c / tokens, tokens / c
    printf "  lateness against its schedule, p50 / p99 / max: %s us\n", late
  }'
