#!/usr/bin/env bash
# The history commands as a user runs them, against the built-in simulator: two runs of the same
# server and one of a slower one recorded into a temporary --history; `history` lists and filters
# them; `compare` passes the same server (exit 0) and fails the slower one (exit 3, TTFT
# REGRESSED), by result directory and by run id; --no-history records nothing; bad input is a
# one-line error with exit 2. Usage: history_e2e_test.sh path/to/inferbench
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"

inferbench=${1:?usage: history_e2e_test.sh path/to/inferbench}
command -v jq >/dev/null || { echo "history_e2e_test: jq not found; run scripts/setup.sh" >&2; exit 1; }
make_work
db="$WORK/history.sqlite"

# Latencies long beside a busy machine's timer jitter (a ms or two under a parallel ctest): the
# same server twice must stay within compare's 5 % even then.
run() {  # run NAME TTFT_MS
  "$inferbench" run --history "$db" --sim-ttft-ms "$2" --sim-itl-ms 10 --input-tokens 16 --output-tokens 8 \
    --concurrency 4 --num-requests 60 --no-server-metrics --output "$WORK/$1" >/dev/null 2>"$WORK/$1.err" ||
    { cat "$WORK/$1.err" >&2; fail "run $1 failed"; }
  grep -q "recorded as run [0-9]* in $db" "$WORK/$1.err" || fail "run $1 did not say where it was recorded"
}
run base 100
run same 100
run slow 300
"$inferbench" run --no-history --sim-ttft-ms 5 --num-requests 4 >/dev/null 2>"$WORK/none.err" || fail "--no-history run failed"
grep -q "recorded as run" "$WORK/none.err" && fail "--no-history recorded the run"

[ "$("$inferbench" history --history "$db" --json | jq length)" -eq 3 ] || fail "history does not list 3 runs"
[ "$("$inferbench" history --history "$db" --json --profile sanity | jq length)" -eq 0 ] || fail "--profile sanity before"
model=$("$inferbench" history --history "$db" --json | jq -r '.[0].model')
[ "$("$inferbench" history --history "$db" --json --model "$model" | jq length)" -eq 3 ] || fail "--model $model"
[ "$("$inferbench" history --history "$db" --json --model nope | jq length)" -eq 0 ] || fail "--model nope"
[ "$("$inferbench" history --history "$db" --json --limit 1 | jq '.[0].results_dir')" = "\"$WORK/slow\"" ] ||
  fail "newest first, with its results directory"
[ "$("$inferbench" history --history "$db" --json --since 2999-01-01 | jq length)" -eq 0 ] || fail "--since"
"$inferbench" history --history "$db" | grep -q "$WORK/same" || fail "the table lists the results directory"
ids=($("$inferbench" history --history "$db" --json | jq -r '.[].id'))  # newest first: slow same base
# --profile: the runs started from a profile (recorded as config.profile).
"$inferbench" run --history "$db" --profile sanity --sim-ttft-ms 2 >/dev/null 2>&1 || fail "--profile sanity run failed"
[ "$("$inferbench" history --history "$db" --json --profile sanity | jq -r '.[0].summary.config.profile')" = sanity ] ||
  fail "--profile sanity finds its run"
[ "$("$inferbench" history --history "$db" --json --profile sanity | jq length)" -eq 1 ] || fail "--profile: one run"

set +e
"$inferbench" compare "$WORK/base" "$WORK/same" >"$WORK/cmp.txt" 2>&1; rc=$?
[ $rc -eq 0 ] || { cat "$WORK/cmp.txt" >&2; fail "the same server twice: exit $rc"; }
"$inferbench" compare "$WORK/base" "$WORK/slow" --json >"$WORK/cmp.json" 2>"$WORK/cmp.err"; rc=$?
[ $rc -eq 3 ] || { cat "$WORK/cmp.json" "$WORK/cmp.err" >&2; fail "a slower server: exit $rc, not 3"; }
jq -e '.metrics[] | select(.metric == "ttft") | .verdict == "REGRESSED" and .p < 0.01' "$WORK/cmp.json" >/dev/null ||
  fail "TTFT of the slower server is not a significant regression"
grep -q "gate failed" "$WORK/cmp.err" || fail "no gate line on stderr"
"$inferbench" compare --history "$db" "${ids[2]}" "${ids[0]}" >/dev/null 2>&1; rc=$?
[ $rc -eq 3 ] || fail "by run id: exit $rc, not 3"
"$inferbench" compare --history "$db" "${ids[2]}" "${ids[1]}" >/dev/null 2>&1; rc=$?
[ $rc -eq 0 ] || fail "by run id, the same server: exit $rc"
"$inferbench" compare "$WORK/base" "$WORK/slow" --threshold ttft=500 --threshold e2e=500 \
  --threshold requests_per_s=90 --threshold output_tokens_per_s=90 >/dev/null 2>&1; rc=$?
[ $rc -eq 0 ] || fail "generous thresholds: exit $rc"

# Hostile input: one line, exit 2.
for args in "compare $WORK/nowhere $WORK/base" "compare --history $db 999 ${ids[0]}" \
            "compare $WORK/base $WORK/slow --threshold ttfb=5" "compare $WORK/base $WORK/slow --threshold ttft=abc" \
            "history --history $WORK/missing.sqlite" "history --history $db --until yesterday" \
            "history --history $db --label novalue"; do
  # shellcheck disable=SC2086
  "$inferbench" $args >/dev/null 2>"$WORK/err"; rc=$?
  [ $rc -eq 2 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "inferbench $args: exit $rc, $(cat "$WORK/err")"
done
echo "not a database" >"$WORK/bad.sqlite"
"$inferbench" run --history "$WORK/bad.sqlite" --sim-ttft-ms 5 --num-requests 4 >/dev/null 2>"$WORK/err"; rc=$?
[ $rc -eq 0 ] && grep -q "warning: the run is not in the history" "$WORK/err" || fail "a bad history file cost the run: exit $rc"
set -e
echo "history_e2e_test: ok"
