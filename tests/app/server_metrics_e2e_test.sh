#!/usr/bin/env bash
# End to end: a short load point against the built-in simulator, whose /metrics reports vLLM's
# gauges. The server's running requests must be sampled while the load runs: with only the idle
# scrapes at the start and end, the summary once read "running mean 0.0, max 0.0" with 16
# requests in flight. Usage: server_metrics_e2e_test.sh path/to/inferbench
set -uo pipefail
BIN=$1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# 2 s at 16 users, default --scrape-interval (5 s): the interval must adapt to the load point.
"$BIN" run --concurrency 16 --duration 2 --input-tokens 64 --output-tokens 64 --json \
  >"$WORK/summary.json" 2>"$WORK/run.err"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: run exited $rc"; cat "$WORK/run.err"; exit 1; }
failures=0
passes=0
check() {
  if jq -e "$2" "$WORK/summary.json" >/dev/null; then passes=$((passes + 1)); else echo "FAIL: $1"; failures=$((failures + 1)); fi
}
check "server metrics available" '.runs[0].server.available'
check "scraped during the load, not only at its start and end" '.runs[0].server.scrapes_during_load >= 4'
check "running requests seen during the load (max > 0)" '.runs[0].server.gauges.running_requests.max > 0'
check "running mean known and > 0" '.runs[0].server.gauges.running_requests.mean > 0'
check "KV-cache usage a fraction in (0, 1]" '.runs[0].server.gauges.kv_cache_usage.max > 0 and .runs[0].server.gauges.kv_cache_usage.max <= 1'
check "server quantiles are bucket bounds" '.runs[0].server.latency_ms.ttft.p99 | has("gt") and has("le")'
if [ $failures -ne 0 ]; then jq '.runs[0].server' "$WORK/summary.json"; fi
echo "server_metrics_e2e: $passes passed, $failures failed"
[ $failures -eq 0 ]
