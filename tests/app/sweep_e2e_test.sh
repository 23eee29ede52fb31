#!/usr/bin/env bash
# --sweep and --slo-search end to end against the simulator (docs/sweeps.md). Needs jq.
# Usage: sweep_e2e_test.sh path/to/inferbench [sweep|search-concurrency|search-rate]
#   sweep:  a sweep of the built-in simulator behind a cap of 1 request in flight stops at its
#           first rate above what one request at a time serves; a geometric sweep runs its plan.
#   search-*: an SLO search (of a concurrency or a rate) against an engine-model simulator of 4 sequences,
#           whose answers must agree with what the probes measured and with that engine.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
BIN=$1
PART=${2:-sweep}
make_work
SIM=
on_exit() { [ -n "$SIM" ] && kill "$SIM" 2>/dev/null; }
SMALL=(--input-tokens 32 --output-tokens 16 --no-server-metrics --no-history)

if [ "$PART" = sweep ]; then
  # 1. The simulator's engine sustains every rate up to its burst throughput, so the system under
  # test is given a known sustained rate below it: the open-loop cap of 1 request in flight serves
  # the synchronous rate at most. The first rate of a 6-point sweep lies a quarter of the way from
  # the synchronous to the throughput rate (24 requests at once): far above it, so it trips.
  "$BIN" run --sweep 6 --num-requests 24 --max-concurrency 1 --arrival constant "${SMALL[@]}" --output "$WORK/capped" \
    >"$WORK/capped.txt" 2>"$WORK/capped.err"
  rc=$?
  [ $rc -eq 0 ] || { echo "FAIL: capped sweep exited $rc"; cat "$WORK/capped.err"; exit 1; }
  S="$WORK/capped/summary.json"
  check_jq "synchronous, throughput, then rates" "$S" '[.runs[].sweep.role] | .[0:3] == ["synchronous", "throughput", "rate"]'
  check_jq "synchronous point is 1 user" "$S" '.runs[0].load.concurrency == 1 and .runs[0].load.mode == "closed"'
  check_jq "throughput point is 24 users at once" "$S" '.runs[1].load.concurrency == 24'
  check_jq "4 rates planned, linear, the last the throughput rate" "$S" \
    '(.sweep.rates | length) == 4 and (.sweep.rates[3] / .sweep.throughput_rate - 1 | fabs) < 1e-3 and
     ((.sweep.rates[1] - .sweep.rates[0]) / (.sweep.rates[2] - .sweep.rates[1]) - 1 | fabs) < 1e-2'
  check_jq "stopped early at the first rate" "$S" '.sweep.stopped_early and .sweep.stopped_at == 2 and (.runs | length) == 3'
  check_jq "the tripping point says why" "$S" \
    '.runs[2].sweep.saturated and .runs[2].sweep.served_ratio < 0.9 and (.runs[2].sweep.reason | test("served .* of the .* scheduled"))'
  check_jq "served about the synchronous rate" "$S" \
    '(.runs[2].sweep.served_requests_per_s / .sweep.synchronous_rate) as $r | $r > 0.7 and $r < 1.3'
  check "the printed sweep table names the tripping point" grep -q "^sweep: rate .* is over-saturated: served" "$WORK/capped.txt"
  sed -n '/^load /,$p' "$WORK/capped.txt"

  # 2. Without a cap the engine keeps up: a geometric 4-point sweep runs all its points.
  "$BIN" run --sweep 4 --sweep-spacing geometric --num-requests 24 --arrival constant "${SMALL[@]}" --json \
    >"$WORK/geo.json" 2>"$WORK/geo.err"
  rc=$?
  [ $rc -eq 0 ] || { echo "FAIL: geometric sweep exited $rc"; cat "$WORK/geo.err"; exit 1; }
  G="$WORK/geo.json"
  check_jq "geometric rates: a constant ratio" "$G" \
    '.sweep.rates as $r | .sweep.synchronous_rate as $s | (($r[0] / $s) / ($r[1] / $r[0]) - 1 | fabs) < 1e-2'
  check_jq "every point run, none over-saturated" "$G" \
    '(.runs | length) == 4 and .sweep.stopped_at == null and ([.runs[2:][].sweep.saturated] | all(. == false))'

  # 3. Bad combinations are refused before anything runs.
  for bad in "--sweep 2" "--sweep 5 --rate 3" "--sweep 5 --concurrency 2" "--slo-search rate" \
    "--slo-search rate --slo ttft=100 --sweep 4" "--sweep 4 --shard 0/2 --output $WORK/shard"; do
    # shellcheck disable=SC2086
    "$BIN" run $bad --no-history >/dev/null 2>"$WORK/bad.err"
    check "accepted: $bad" test $? -ne 0
  done
else
  # An engine-model simulator that runs 4 sequences at once: beyond 4 requests in flight, requests
  # wait for a slot, and their TTFT grows by about a whole request's latency.
  "$BIN" sim --port 0 --model-preset Llama-3.1-8B --hardware H100 --max-num-seqs 4 >"$WORK/sim.out" 2>"$WORK/sim.err" &
  SIM=$!
  PORT=$(sim_port "$WORK/sim.out" 30) || { echo "FAIL: the simulator did not start"; cat "$WORK/sim.err"; exit 1; }
  EP=(--endpoint "http://127.0.0.1:$PORT")

  if [ "$PART" = search-concurrency ]; then
  # Up to 4 users nobody waits (TTFT a few ms); from 8, every other request
  # waits a whole request (~90 ms > the 50 ms SLO). So the answer is 4 to 7 users.
  "$BIN" run "${EP[@]}" --slo-search concurrency --slo ttft=50 --num-requests 32 "${SMALL[@]}" --json \
    >"$WORK/conc.json" 2>"$WORK/conc.err"
  rc=$?
  [ $rc -eq 0 ] || { echo "FAIL: concurrency search exited $rc"; cat "$WORK/conc.err"; exit 1; }
  C="$WORK/conc.json"
  check_jq "concurrency answer within what the engine allows (4..7 users)" "$C" '.slo_search.answer >= 4 and .slo_search.answer <= 7'
  check_jq "converged to 1 user" "$C" '.slo_search.converged and (.slo_search.bracket[1] - .slo_search.bracket[0]) == 1'
  check_jq "every probe reported with its p99 and verdict" "$C" \
    '(.slo_search.probes | length) == (.runs | length) and all(.slo_search.probes[]; has("p99") and has("pass"))'
  check_jq "the answer's probe passed, the bracket's top failed" "$C" \
    '.slo_search as $s | ([$s.probes[] | select(.load == $s.answer)][0].pass) and
     ([$s.probes[] | select(.load == $s.bracket[1])][0].pass | not)'
  check_jq "the answer is the highest passing probe" "$C" '.slo_search.answer == ([.slo_search.probes[] | select(.pass) | .load] | max)'
  jq -r '.slo_search.probes[] | "probe \(.probe): \(.load) users p99 TTFT \(.p99.ttft_ms) ms \(if .pass then "pass" else "FAIL" end)"' "$C"
  else

  # The answer must meet the SLO as measured, the bracket's top must not, and the bracket
  # must be within the tolerance.
  "$BIN" run "${EP[@]}" --slo-search rate --search-start 8 --search-tolerance 0.1 --slo ttft=50 --num-requests 32 \
    --arrival constant "${SMALL[@]}" --output "$WORK/rate" >"$WORK/rate.txt" 2>"$WORK/rate.err"
  rc=$?
  [ $rc -eq 0 ] || { echo "FAIL: rate search exited $rc"; cat "$WORK/rate.err"; exit 1; }
  R="$WORK/rate/summary.json"
  check_jq "an answer, bracketed within 10 %" "$R" \
    '.slo_search.answer > 0 and .slo_search.converged and (.slo_search.bracket[1] - .slo_search.bracket[0]) <= 0.1 * .slo_search.bracket[0]'
  check_jq "the answer's probe meets p99 TTFT <= 50 ms" "$R" \
    '.slo_search as $s | [$s.probes[] | select(.load == $s.answer)][0] | .pass and .p99.ttft_ms <= 50'
  check_jq "the bracket's top failed as measured" "$R" \
    '.slo_search as $s | [$s.probes[] | select(.load == $s.bracket[1])][0] | .pass | not'
  # The engine's capacity, 4 sequences at a time, is what it serves when overloaded: the served
  # rate of the over-saturated probes. A short probe may run a little above it before its queue
  # shows in the p99, never far above; nor should the answer be far below it.
  check_jq "the answer is 50 to 110 % of the engine's capacity" "$R" \
    '([.slo_search.probes[] | select(.saturation.saturated) | .saturation.served_requests_per_s] | max) as $cap |
     $cap > 0 and .slo_search.answer <= 1.1 * $cap and .slo_search.answer >= 0.5 * $cap'
  check_jq "each probe's load point carries its verdict" "$R" 'all(.runs[]; .slo_search | has("pass") and has("load"))'
  check "the printed answer" grep -q "^highest rate meeting the SLOs at p99: " "$WORK/rate.txt"
  sed -n '/^SLO search/,$p' "$WORK/rate.txt"
  fi
fi
summary "sweep_e2e $PART"
