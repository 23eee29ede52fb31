#!/usr/bin/env bash
# Client CPU of `inferbench run` against the raw cost of reading the same bytes with h2load
# (nghttp2-client), both against one `inferbench sim` process with the same settings.
#
#   bench/compare_h2load.sh [BUILD_DIR]        (default build dir: ./build)
#
# Environment (defaults): CONC=1000 NUM=2000 IN=64 OUT=128 TTFT=50 ITL=20 SIM_THREADS=1
#                         WORKERS=1 (inferbench --workers) H2LOAD_THREADS=1 PORT=18931
# Prints, for each client: its CPU (user+sys, from /usr/bin/time), the simulator's CPU over the
# same run (from /proc/PID/stat), wall time, requests completed, output tokens/s and client CPU
# per output token. h2load only reads HTTP/1.1 (chunked) bytes; inferbench also parses SSE,
# decodes every chunk's JSON and stamps it, so the difference is the cost of measuring.
# Needs: h2load (nghttp2-client), /usr/bin/time (package `time`), jq.
set -euo pipefail

BUILD=${1:-build}
BIN="$BUILD/src/app/inferbench"
CONC=${CONC:-1000}
NUM=${NUM:-2000}
IN=${IN:-64}
OUT=${OUT:-128}
TTFT=${TTFT:-50}
ITL=${ITL:-20}
SIM_THREADS=${SIM_THREADS:-1}
WORKERS=${WORKERS:-1}
H2LOAD_THREADS=${H2LOAD_THREADS:-1}
PORT=${PORT:-18931}

for tool in h2load jq /usr/bin/time "$BIN"; do
  command -v "$tool" >/dev/null || { echo "compare_h2load: missing $tool" >&2; exit 2; }
done

TMP=$(mktemp -d)
source "$(dirname "$0")/sim_process.sh"
trap 'sim_stop; rm -rf "$TMP"' EXIT

sim_start "$PORT" "$BIN" sim --port "$PORT" --ttft-ms "$TTFT" --itl-ms "$ITL" --threads "$SIM_THREADS"

# The request body inferbench sends for --api chat (prompt of IN one-token words).
prompt=$(for i in $(seq "$IN"); do printf 'word%d ' "$i"; done)
jq -cn --arg p "${prompt% }" --argjson out "$OUT" \
  '{model:"inferbench-sim",messages:[{role:"user",content:$p}],max_completion_tokens:$out,max_tokens:$out,
    stream:true,stream_options:{include_usage:true},ignore_eos:true}' >"$TMP/body.json"

echo "compare_h2load: $CONC concurrent streams, $NUM requests, chat, $IN input / $OUT output tokens," \
     "sim ttft $TTFT ms itl $ITL ms ($SIM_THREADS thread), inferbench --workers $WORKERS, h2load -t $H2LOAD_THREADS"

# --- inferbench run ---
s0=$(sim_cpu)
/usr/bin/time -f '%U %S %e' -o "$TMP/ib.time" \
  "$BIN" run --endpoint "http://127.0.0.1:$PORT" --api chat --concurrency "$CONC" --num-requests "$NUM" \
  --input-tokens "$IN" --output-tokens "$OUT" --workers "$WORKERS" --json >"$TMP/ib.json" 2>"$TMP/ib.err" || {
  echo "inferbench run failed:" >&2; cat "$TMP/ib.err" >&2; exit 1; }
s1=$(sim_cpu)
read -r ib_user ib_sys ib_wall <"$TMP/ib.time"
ib_ok=$(jq '.runs[0].requests.completed' "$TMP/ib.json")
ib_tps=$(jq '.runs[0].throughput.output_tokens_per_s' "$TMP/ib.json")
ib_itl=$(jq '.runs[0].latency.itl_ms.p99' "$TMP/ib.json")

sleep 1
# --- h2load (HTTP/1.1, one stream per connection) ---
s2=$(sim_cpu)
/usr/bin/time -f '%U %S %e' -o "$TMP/h2.time" \
  h2load --h1 -c "$CONC" -n "$NUM" -m 1 -t "$H2LOAD_THREADS" -d "$TMP/body.json" \
  -H 'content-type: application/json' "http://127.0.0.1:$PORT/v1/chat/completions" >"$TMP/h2.out" 2>&1 || {
  echo "h2load failed:" >&2; cat "$TMP/h2.out" >&2; exit 1; }
s3=$(sim_cpu)
read -r h2_user h2_sys h2_wall <"$TMP/h2.time"
h2_ok=$(awk '/^requests:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^succeeded/) print $i }' "$TMP/h2.out")
h2_secs=$(awk '/^finished in/ { sub(/s,$/, "", $3); print $3 }' "$TMP/h2.out")
h2_tps=$(awk -v ok="$h2_ok" -v out="$OUT" -v s="$h2_secs" 'BEGIN { printf "%.1f", ok * out / s }')

row() { printf '%-34s %16s %16s\n' "$@"; }
per_tok() { awk -v u="$1" -v s="$2" -v n="$3" -v o="$OUT" 'BEGIN { if (n > 0) printf "%.2f", 1e6 * (u + s) / (n * o); else print "n/a" }'; }
echo
row "" "inferbench run" "h2load --h1"
row "requests completed" "$ib_ok" "$h2_ok"
row "wall time, whole process (s)" "$ib_wall" "$h2_wall"
row "output tokens/s" "$(printf '%.0f' "$ib_tps")" "$(printf '%.0f' "$h2_tps")"
row "client CPU user (s)" "$ib_user" "$h2_user"
row "client CPU sys (s)" "$ib_sys" "$h2_sys"
row "client CPU per output token (us)" "$(per_tok "$ib_user" "$ib_sys" "$ib_ok")" "$(per_tok "$h2_user" "$h2_sys" "$h2_ok")"
row "sim CPU during the run (s)" "$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }')" \
    "$(awk -v a="$s2" -v b="$s3" 'BEGIN { printf "%.2f", b - a }')"
row "ITL p99 (ms), inferbench only" "$(printf "%.2f" "$ib_itl")" "-"
echo
echo "(inferbench's CPU includes its start-up, /v1/models probe, prompt generation and report; h2load's its start-up.)"
