#!/usr/bin/env bash
# report.html in a real browser. Two runs against the built-in simulator (a closed-loop and an
# open-loop sweep, each writing report.html at its end), a hostile copy of one (model, labels and
# error text that try to script the page), then `inferbench report` over all three; headless
# Chromium opens both kinds of report (tests/report/browser/report_browser_test.mjs).
# Usage: report_browser_test.sh path/to/inferbench ARTIFACT_DIR (the screenshots stay there).
# Fails, never skips, when chromium or puppeteer-core is missing: scripts/setup.sh installs them.
set -euo pipefail

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

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
fail() { echo "report_browser_test: FAIL: $*" >&2; exit 1; }

common=(--sim-ttft-ms 5 --sim-itl-ms 1 --input-tokens 32 --output-tokens 16 --history "$work/history.sqlite")
"$inferbench" run "${common[@]}" --no-server-metrics --concurrency 1,4 --num-requests 24 --output "$work/closed" >/dev/null 2>"$work/closed.err" ||
  { cat "$work/closed.err" >&2; fail "the closed-loop run failed"; }
# The open-loop run scrapes the simulator's /metrics: its gauges are drawn over each load point.
"$inferbench" run "${common[@]}" --rate 20,60 --num-requests 30 --output "$work/open" \
  >/dev/null 2>"$work/open.err" ||
  { cat "$work/open.err" >&2; fail "the open-loop run failed"; }
for run in closed open; do
  [ -s "$work/$run/report.html" ] || fail "$run: no report.html beside the results"
done

# A hostile copy: every string the page shows from the results tries to end the data element,
# open a tag or run a script.
hostile_model='</script><img src=x onerror=alert(1)><script>alert(2)</script>'
hostile_label='<!-- "quoted" & \u2028 --><b>tp</b>'
cp -r "$work/closed" "$work/hostile"
rm "$work/hostile/report.html"
jq --arg m "$hostile_model" --arg l "$hostile_label" \
  '.config.target.model = $m | .labels = {"framework": $l} | .runs[0].requests.failures = {($m): 1}' \
  "$work/closed/summary.json" >"$work/hostile/summary.json"
jq -c --arg m "$hostile_model" '.error = $m | .error_detail = $m' "$work/closed/requests.jsonl" >"$work/hostile/requests.jsonl"

title='<b>inferbench</b> & "report"'
"$inferbench" report "$work/closed" "$work/open" "$work/hostile" --title "$title" --output "$work/all.html" 2>"$work/report.err" ||
  { cat "$work/report.err" >&2; fail "inferbench report failed"; }

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
expect "$title" "$work/closed/summary.json" "$work/open/summary.json" "$work/hostile/summary.json" >"$work/all.expect.json"
expect "inferbench report" "$work/closed/summary.json" >"$work/closed.expect.json"

node "$oracle/report_browser_test.mjs" "$work/all.html" "$artifacts/report.png" "$work/all.expect.json"
node "$oracle/report_browser_test.mjs" "$work/closed/report.html" "$artifacts/report-run.png" "$work/closed.expect.json"

# The command as a hostile user meets it: one line and exit 2.
set +e
"$inferbench" report "$work/nowhere" >/dev/null 2>"$work/err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$work/err")" -eq 1 ] || fail "a missing directory: exit $rc, $(cat "$work/err")"
"$inferbench" report "$work/closed" "$work/open" >/dev/null 2>"$work/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--output" "$work/err" || fail "two directories without --output: exit $rc, $(cat "$work/err")"
echo '{"tool": "inferbench", "runs": [' >"$work/closed/summary.json"
"$inferbench" report "$work/closed" >/dev/null 2>"$work/err"; rc=$?
[ $rc -eq 2 ] && grep -q "not valid JSON" "$work/err" || fail "a torn summary.json: exit $rc, $(cat "$work/err")"
set -e
echo "report_browser_test: ok"
