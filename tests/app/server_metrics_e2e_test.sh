#!/usr/bin/env bash
# End to end: a short load point against the built-in simulator, whose /metrics reports vLLM's
# gauges. The server's running requests must be sampled while the load runs: with only the idle
# scrapes at the start and end, the summary once read "running mean 0.0, max 0.0" with 16
# requests in flight. Usage: server_metrics_e2e_test.sh path/to/inferbench
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
BIN=$1
make_work
# 2 s at 16 users, default --scrape-interval (5 s): the interval must adapt to the load point.
"$BIN" run --concurrency 16 --duration 2 --input-tokens 64 --output-tokens 64 --json \
  >"$WORK/summary.json" 2>"$WORK/run.err"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: run exited $rc"; cat "$WORK/run.err"; exit 1; }
S="$WORK/summary.json"
check_jq "server metrics available" "$S" '.runs[0].server.available'
check_jq "scraped during the load, not only at its start and end" "$S" '.runs[0].server.scrapes_during_load >= 4'
check_jq "running requests seen during the load (max > 0)" "$S" '.runs[0].server.gauges.running_requests.max > 0'
check_jq "running mean known and > 0" "$S" '.runs[0].server.gauges.running_requests.mean > 0'
check_jq "KV-cache usage a fraction in (0, 1]" "$S" '.runs[0].server.gauges.kv_cache_usage.max > 0 and .runs[0].server.gauges.kv_cache_usage.max <= 1'
check_jq "server quantiles are bucket bounds" "$S" '.runs[0].server.latency_ms.ttft.p99 | has("gt") and has("le")'
if [ $failures -ne 0 ]; then jq '.runs[0].server' "$WORK/summary.json"; fi
summary server_metrics_e2e
