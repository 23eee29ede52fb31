#!/usr/bin/env bash
# report.html in a real browser. Two runs against the built-in simulator (a closed-loop and an
# open-loop sweep, each writing report.html at its end), a hostile copy of one (model, labels and
# error text that try to script the page), then `inferbench report` over all three; headless
# Chromium opens both kinds of report (tests/report/browser/report_browser_test.mjs).
# Usage: report_browser_test.sh path/to/inferbench ARTIFACT_DIR (the screenshots stay there).
# Fails, never skips, when chromium or puppeteer-core is missing: scripts/setup.sh installs them.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"

inferbench=${1:?usage: report_browser_test.sh path/to/inferbench ARTIFACT_DIR}
artifacts=${2:?usage: report_browser_test.sh path/to/inferbench ARTIFACT_DIR}
repo=$(cd "$(dirname "$0")/../.." && pwd)
oracle=$repo/tests/report/browser

if [ ! -d "$oracle/node_modules/puppeteer-core" ]; then
  echo "report_browser_test: $oracle/node_modules/puppeteer-core is missing;" \
       "run scripts/setup.sh (or: cd tests/report/browser && npm ci)" >&2
  exit 1
fi
command -v "${CHROMIUM:-chromium}" >/dev/null || { echo "report_browser_test: chromium not found; run scripts/setup.sh" >&2; exit 1; }
command -v jq >/dev/null || { echo "report_browser_test: jq not found; run scripts/setup.sh" >&2; exit 1; }

make_work
mkdir -p "$artifacts"

common=(--sim-ttft-ms 5 --sim-itl-ms 1 --input-tokens 32 --output-tokens 16 --history "$WORK/history.sqlite")
"$inferbench" run "${common[@]}" --no-server-metrics --concurrency 1,4 --num-requests 24 --output "$WORK/closed" >/dev/null 2>"$WORK/closed.err" ||
  { cat "$WORK/closed.err" >&2; fail "the closed-loop run failed"; }
# The open-loop run scrapes the simulator's /metrics: its gauges are drawn over each load point.
"$inferbench" run "${common[@]}" --rate 20,60 --num-requests 30 --output "$WORK/open" \
  >/dev/null 2>"$WORK/open.err" ||
  { cat "$WORK/open.err" >&2; fail "the open-loop run failed"; }
for run in closed open; do
  [ -s "$WORK/$run/report.html" ] || fail "$run: no report.html beside the results"
done

# A hostile copy: every string the page shows from the results tries to end the data element,
# open a tag or run a script.
hostile_model='</script><img src=x onerror=alert(1)><script>alert(2)</script>'
hostile_label='<!-- "quoted" & \u2028 --><b>tp</b>'
cp -r "$WORK/closed" "$WORK/hostile"
rm "$WORK/hostile/report.html"
jq --arg m "$hostile_model" --arg l "$hostile_label" \
  '.config.target.model = $m | .labels = {"framework": $l} | .runs[0].requests.failures = {($m): 1}' \
  "$WORK/closed/summary.json" >"$WORK/hostile/summary.json"
jq -c --arg m "$hostile_model" '.error = $m | .error_detail = $m' "$WORK/closed/requests.jsonl" >"$WORK/hostile/requests.jsonl"

title='<b>inferbench</b> & "report"'
"$inferbench" report "$WORK/closed" "$WORK/open" "$WORK/hostile" --title "$title" --output "$WORK/all.html" 2>"$WORK/report.err" ||
  { cat "$WORK/report.err" >&2; fail "inferbench report failed"; }

# What the page must show, from the result files: one curve per series (the labels, else the
# model) with a point per load point, and per run a TTFT CDF line per load point and ITL and
# inter-chunk CDF lines as long as the summary's sample counts (up to 400).
expect() {
  jq -n --arg title "$1" --arg m "$hostile_model" --arg l "$hostile_label" '
    [inputs] as $runs
    | {title: $title,
       texts: (if ($runs | length) > 2 then [$m, ("framework=" + $l)] else [] end),
       curves: (reduce $runs[] as $r ({};
                 (if ($r.labels // {}) == {} then $r.config.target.model
                  else ($r.labels | to_entries | map(.key + "=" + .value) | join(", ")) end) as $s
                 | .[$s] += ($r.runs | length))),
       runs: [$runs[] | {points: [.runs[].requests.completed], itl: [.runs[].latency.itl_ms.count],
                         gaps: [.runs[].latency.inter_chunk_ms.count],
                         server: ((([.runs[] | (.server.gauges.running_requests.series // []),
                                     (.server.gauges.waiting_requests.series // [])] | add | length) > 0 | if . then 1 else 0 end)
                                  + (([.runs[] | (.server.gauges.kv_cache_usage.series // [])] | add | length) > 0
                                     | if . then 1 else 0 end))}]}' "${@:2}"
}
expect "$title" "$WORK/closed/summary.json" "$WORK/open/summary.json" "$WORK/hostile/summary.json" >"$WORK/all.expect.json"
expect "inferbench report" "$WORK/closed/summary.json" >"$WORK/closed.expect.json"

node "$oracle/report_browser_test.mjs" "$WORK/all.html" "$artifacts/report.png" "$WORK/all.expect.json"
node "$oracle/report_browser_test.mjs" "$WORK/closed/report.html" "$artifacts/report-run.png" "$WORK/closed.expect.json"

# The command as a hostile user meets it: one line and exit 2.
set +e
"$inferbench" report "$WORK/nowhere" >/dev/null 2>"$WORK/err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "a missing directory: exit $rc, $(cat "$WORK/err")"
"$inferbench" report "$WORK/closed" "$WORK/open" >/dev/null 2>"$WORK/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--output" "$WORK/err" || fail "two directories without --output: exit $rc, $(cat "$WORK/err")"
echo '{"tool": "inferbench", "runs": [' >"$WORK/closed/summary.json"
"$inferbench" report "$WORK/closed" >/dev/null 2>"$WORK/err"; rc=$?
[ $rc -eq 2 ] && grep -q "not valid JSON" "$WORK/err" || fail "a torn summary.json: exit $rc, $(cat "$WORK/err")"
set -e
echo "report_browser_test: ok"
