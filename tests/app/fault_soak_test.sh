#!/usr/bin/env bash
# Fault soak: 1,000 streams for a minute against `inferbench sim` injecting faults, then every
# request is accounted for on both sides and the client's memory has stayed flat.
# Usage: fault_soak_test.sh path/to/inferbench     (SOAK_SECONDS=60: the load's length; CI runs
# the full minute, a developer may run it shorter). Needs jq and curl. Figures measured:
# docs/performance.md, "Fault soak".
#
# Choices (why):
# - Latency profile --ttft-ms 20 --itl-ms 5, 32 output tokens: short streams, so a minute holds
#   about 100,000 requests, and reset_mid_stream (cut at chunk 16 of 32) always comes after the
#   first token, so the client must label it reset_mid_stream, never reset_before_first_token.
# - stall sends the first chunk and then nothing: it must end as the client's timeout_request
#   (--timeout 15). 15 s rather than 5 s: when 1,000 connections open at once on 2 cores, a few
#   dozen of the first requests wait up to ~5 s for their first byte (measured: TTFT max 4.9 s
#   with no fault at all), and those are not faults. --first-token-timeout stays above it (60 s).
# - Rates 1-2 % each (8.5 % in all), so the run stays above the 0.9 success share that marks a
#   load point incomplete.
# - The client retries a request once, on a fresh connection, when a kept-alive connection is
#   closed before any response byte (src/http/client.cpp: it cannot tell a stale keep-alive
#   from a server that dropped this request). So close_before_response on a reused connection
#   is retried and not seen as a failure; the sim counted the fault and then saw the retry.
#   The accounting below therefore checks: sim requests = request lines + retried closes, with
#   retried closes = injected closes - closed_before_response lines = the lines marked
#   "retried", every other label equal to its fault counter exactly.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
BIN=$1
SECONDS_LOAD=${SOAK_SECONDS:-60}
make_work
SIM_PID=""
RUN_PID=""
on_exit() {
  [ -n "$RUN_PID" ] && kill "$RUN_PID" 2>/dev/null
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
  wait 2>/dev/null
}

# The sim keeps each stalled connection open (it does not read it), and 1,000 client sockets
# live at once on top: a soft limit of 1,024 descriptors would make its accept() fail.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 8192 ] || echo "note: open-file limit $(ulimit -n)"

RATES=(http_429=0.015 http_500=0.015 reset_mid_stream=0.015 close_before_response=0.015 error_event=0.015 stall=0.01)
sim_args=(sim --port 0 --ttft-ms 20 --itl-ms 5 --seed 7)
for r in "${RATES[@]}"; do sim_args+=(--fault "$r"); done
"$BIN" "${sim_args[@]}" >"$WORK/sim.out" 2>&1 &
SIM_PID=$!
port=$(sim_port "$WORK/sim.out" 5) || { echo "FAIL: the simulator did not start"; cat "$WORK/sim.out"; exit 1; }
URL="http://127.0.0.1:$port"

start=$(date +%s)
"$BIN" run --endpoint "$URL" --concurrency 1000 --duration "$SECONDS_LOAD" --input-tokens 16 --output-tokens 32 \
  --timeout 15 --workers 2 --exact-samples 10000 --output "$WORK/out" --json >"$WORK/summary.json" 2>"$WORK/run.err" &
RUN_PID=$!
# RSS of inferbench run every 2 s while the load runs (the drain after it, up to the 15 s
# timeout of the last stalls, is left out: the load's memory is what must stay flat). `t` is
# the time since the launch, which the load starts after: a sample is kept only when it was
# taken at least 1 s before the load's end. (Counting 2 s per loop instead drifted: a sample
# labelled 60 s was taken as the 60 s load ended, and caught the end of the run growing 1 MB.)
: >"$WORK/rss"
launched_us=${EPOCHREALTIME/./}
while kill -0 "$RUN_PID" 2>/dev/null; do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$RUN_PID/status" 2>/dev/null)
  t=$(((${EPOCHREALTIME/./} - launched_us) / 1000000))
  if [ -n "$rss" ] && [ "$t" -lt $((SECONDS_LOAD - 1)) ]; then echo "$t $rss" >>"$WORK/rss"; fi
  sleep 2
done
wait "$RUN_PID"
rc=$?
RUN_PID=""
elapsed=$(($(date +%s) - start))
check "run exits 0 (got $rc)" test $rc -eq 0
[ $rc -eq 0 ] || tail -n 20 "$WORK/run.err"

# The simulator's own counters, read after the run (nothing else talks to it now).
curl -sf "$URL/metrics" >"$WORK/metrics" || echo "FAIL: cannot read $URL/metrics"
fault() { awk -v t="type=\"$1\"" '$1 ~ /^inferbench_sim_injected_faults_total\{/ && index($1, t) {print $2}' "$WORK/metrics"; }
successes=$(awk '$1 ~ /^vllm:request_success_total\{/ {s += $2} END {print s + 0}' "$WORK/metrics")
# Open descriptors of the sim once the client is gone: a stalled stream reads its socket while it
# waits, so it sees the client's close and frees the connection (it used to keep every stalled
# socket for an hour: 926 descriptors open after 916 stalls).
sleep 1
sim_fds=$(ls "/proc/$SIM_PID/fd" | wc -l)
check "the simulator freed the stalled connections ($sim_fds descriptors open)" test "$sim_fds" -lt 100

S="$WORK/out/summary.json"
L="$WORK/out/requests.jsonl"
jq -e .runs[0].requests "$S" >/dev/null 2>&1 && [ -s "$L" ] && [ -s "$WORK/metrics" ] ||
  { echo "FAIL: no summary, request lines or sim metrics to check"; tail -n 20 "$WORK/run.err"; exit 1; }
label() { jq -r --arg l "$1" '.runs[0].requests.failures[$l] // 0' "$S"; }
lines=$(wc -l <"$L")
completed=$(jq '.runs[0].requests.completed' "$S")
failed=$(jq '.runs[0].requests.failed' "$S")
cancelled=$(jq '.runs[0].requests.cancelled' "$S")

# Every request line is one request; the summary counts each once.
check "completed + failed + cancelled ($completed + $failed + $cancelled) = request lines ($lines)" \
  test $((completed + failed + cancelled)) -eq "$lines"
check "nothing cancelled (the run ran to its end)" test "$cancelled" -eq 0
check "completed = ok lines" test "$(jq -s 'map(select(.ok)) | length' "$L")" -eq "$completed"
check "no warm-up lines" test "$(jq -s 'map(select(.warmup)) | length' "$L")" -eq 0
# Per label: the summary's count equals the lines carrying it, for every label either one names.
jq -s -c 'map(select(.ok | not)) | group_by(.error) | map({(.[0].error): length}) | add // {}' "$L" >"$WORK/line_labels"
check "per-label counts of requests.jsonl equal the summary's" \
  jq -e --slurpfile lines "$WORK/line_labels" '.runs[0].requests.failures == $lines[0]' "$S" >/dev/null
check "failure labels sum to failed ($failed)" test "$(jq '[.runs[0].requests.failures[]] | add // 0' "$S")" -eq "$failed"
# Only the labels the injected faults make: anything else is a failure the sim did not cause.
check "no failure label beyond the injected faults' ($(jq -c '.runs[0].requests.failures | keys' "$S"))" \
  jq -e '.runs[0].requests.failures | keys - ["http_429","http_500","reset_mid_stream","closed_before_response","stream_error","timeout_request"] | length == 0' "$S" >/dev/null

# Each label against the simulator's own count of the fault it injected.
for pair in http_429:http_429 http_500:http_500 reset_mid_stream:reset_mid_stream error_event:stream_error stall:timeout_request; do
  f=${pair%%:*}
  l=${pair#*:}
  check "$l lines ($(label "$l")) = injected $f ($(fault "$f"))" test "$(label "$l")" -eq "$(fault "$f")"
  check "injected $f > 0 (the fault was exercised)" test "$(fault "$f")" -gt 0
done
closes=$(fault close_before_response)
closed=$(label closed_before_response)
retried=$((closes - closed))
check "closed_before_response lines ($closed) <= injected closes ($closes)" test "$closed" -le "$closes"
# Each injected close either ended a request on a fresh connection (labelled) or was retried
# (the line says so): the retried lines are exactly the rest.
retried_lines=$(jq -s 'map(select(.retried)) | length' "$L")
check "retried lines ($retried_lines) = injected closes - closed_before_response lines ($retried)" \
  test "$retried_lines" -eq "$retried"
check "injected close_before_response > 0" test "$closes" -gt 0
# The sim's generation requests: successes + faults. An error_event stream ends with [DONE] and
# is counted in request_success_total as well, so it is taken out once.
injected=0
for r in "${RATES[@]}"; do injected=$((injected + $(fault "${r%%=*}"))); done
sim_requests=$((successes + injected - $(fault error_event)))
check "sim requests ($sim_requests) = request lines ($lines) + retried closes ($retried)" \
  test "$sim_requests" -eq $((lines + retried))
# The sim's successes (error events taken out) are the client's completed requests.
check "sim successes ($((successes - $(fault error_event)))) = completed ($completed)" \
  test $((successes - $(fault error_event))) -eq "$completed"

# Memory: inferbench run summarizes each request as it ends and keeps none (metrics::SummaryBuilder).
# --exact-samples 10000 folds every distribution into a histogram within the first seconds, so
# what the statistics hold stops growing then; the concurrency sweep keeps the last request
# timeout + 10 s of requests (25 s here) and stops growing once that window is full (about 28 s).
# Checked: RSS grows by at most 4 MB from the first third of the load to the last (the records
# used to add ~0.9 kB per request: ~90 MB a minute here), and, for a load of 45 s or more, by at
# most 1 MB after 30 s, when nothing it holds grows with the run any more.
n=$(wc -l <"$WORK/rss")
first_max=$(awk -v d="$SECONDS_LOAD" '$1 < d / 3 && $2 > m {m = $2} END {print m + 0}' "$WORK/rss")
last_max=$(awk -v d="$SECONDS_LOAD" '$1 >= 2 * d / 3 && $2 > m {m = $2} END {print m + 0}' "$WORK/rss")
check "RSS sampled ($n samples)" test "$n" -ge 3 -a "$first_max" -gt 0 -a "$last_max" -gt 0
check "RSS growth first third -> last third ($((last_max - first_max)) kB) <= 4096 kB" \
  test $((last_max - first_max)) -le 4096
if [ "$SECONDS_LOAD" -ge 45 ]; then
  at_30=$(awk '$1 <= 30 && $1 >= 28 && $2 > m {m = $2} END {print m + 0}' "$WORK/rss")
  after_30=$(awk '$1 > 30 && $2 > m {m = $2} END {print m + 0}' "$WORK/rss")
  check "RSS flat after 30 s ($at_30 kB -> $after_30 kB, <= 1024 kB more)" \
    test "$at_30" -gt 0 -a $((after_30 - at_30)) -le 1024
fi

echo "fault_soak: ${SECONDS_LOAD} s load, ${elapsed} s run; $lines requests ($completed completed, $failed failed)," \
  "sim saw $sim_requests (+$retried retried closes); labels $(jq -c '.runs[0].requests.failures' "$S");" \
  "injected $(for r in "${RATES[@]}"; do printf '%s=%s ' "${r%%=*}" "$(fault "${r%%=*}")"; done)" \
  "RSS first third max $first_max kB, last third max $last_max kB; sim descriptors open $sim_fds"
echo "fault_soak: RSS samples (s kB): $(tr '\n' ',' <"$WORK/rss")"
summary fault_soak
