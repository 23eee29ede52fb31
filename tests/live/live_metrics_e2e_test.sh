#!/usr/bin/env bash
# `inferbench run --metrics-port` against the built-in simulator, scraped while it runs: every
# scrape passes `promtool check metrics`; the ok count grows and never passes summary.json's;
# requests are seen in flight. deploy/prometheus passes `promtool check config`, and every metric
# the Grafana dashboard queries is served. Bad ports are one-line errors with exit 2.
# Usage: live_metrics_e2e_test.sh path/to/inferbench path/to/deploy
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"

inferbench=${1:?usage: live_metrics_e2e_test.sh path/to/inferbench path/to/deploy}
deploy=${2:?usage: live_metrics_e2e_test.sh path/to/inferbench path/to/deploy}
for tool in promtool curl jq; do
  command -v $tool >/dev/null || { echo "live_metrics_e2e_test: $tool not found; run scripts/setup.sh" >&2; exit 1; }
done
make_work
run_pid=""
on_exit() {
  if [ -n "$run_pid" ]; then kill "$run_pid" 2>/dev/null || true; wait "$run_pid" 2>/dev/null || true; fi
}

promtool check config "$deploy/prometheus/prometheus.yml" >/dev/null || fail "deploy/prometheus/prometheus.yml"

"$inferbench" run --metrics-port 0 --sim-ttft-ms 20 --sim-itl-ms 5 --output-tokens 32 --input-tokens 32 \
  --concurrency 4,8 --duration 2 --no-server-metrics --history "$WORK/history.sqlite" --output "$WORK/out" >/dev/null 2>"$WORK/run.err" &
run_pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's|.*live metrics at http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$WORK/run.err")
  [ -n "$port" ] && break
  kill -0 "$run_pid" 2>/dev/null || { cat "$WORK/run.err" >&2; fail "the run ended before serving its metrics"; }
  sleep 0.1
done
[ -n "$port" ] || fail "the run did not say where its metrics are"

# The port is taken now: a second run on it is a one-line error, exit 2.
set +e
"$inferbench" run --metrics-port "$port" --num-requests 1 --no-history >/dev/null 2>"$WORK/err"; rc=$?
set -e
[ $rc -eq 2 ] && tail -1 "$WORK/err" | grep -q "^inferbench: --metrics-port: cannot listen on 127.0.0.1:$port" ||
  fail "a port in use: exit $rc, $(cat "$WORK/err")"

scrapes=0
last_ok=0
max_in_flight=0
for i in $(seq 1 100); do
  kill -0 "$run_pid" 2>/dev/null || break
  if curl -sf "http://127.0.0.1:$port/metrics" -o "$WORK/scrape.txt"; then
    promtool check metrics <"$WORK/scrape.txt" >"$WORK/promtool.out" 2>&1 ||
      { cat "$WORK/promtool.out" "$WORK/scrape.txt" >&2; fail "scrape $i rejected by promtool"; }
    ok=$(awk '$1 == "inferbench_requests_total{outcome=\"ok\"}" {print $2}' "$WORK/scrape.txt")
    in_flight=$(awk '$1 == "inferbench_requests_in_flight" {print $2}' "$WORK/scrape.txt")
    [ -n "$ok" ] && [ -n "$in_flight" ] || fail "scrape $i lacks the request count or in-flight gauge"
    [ "$ok" -ge "$last_ok" ] || fail "the ok count went back from $last_ok to $ok"
    last_ok=$ok
    [ "$in_flight" -gt "$max_in_flight" ] && max_in_flight=$in_flight
    cp "$WORK/scrape.txt" "$WORK/last.txt"
    scrapes=$((scrapes + 1))
  fi
  sleep 0.2
done
wait "$run_pid" || { cat "$WORK/run.err" >&2; fail "the run failed"; }
run_pid=""
[ "$scrapes" -ge 5 ] || fail "only $scrapes scrapes succeeded during the run"
[ "$last_ok" -gt 0 ] || fail "no successful request was ever exposed"
[ "$max_in_flight" -gt 0 ] || fail "no request was ever seen in flight"
total_ok=$(jq '[.runs[].requests.completed] | add' "$WORK/out/summary.json")
[ "$last_ok" -le "$total_ok" ] || fail "exposed $last_ok ok requests, summary.json has $total_ok"

# Every metric the dashboard queries is one the run serves.
jq -r '.panels[].targets[].expr' "$deploy/grafana/inferbench-live.json" | grep -o 'inferbench_[a-z0-9_]*' | sort -u >"$WORK/wanted"
[ -s "$WORK/wanted" ] || fail "the dashboard queries no inferbench metric"
while read -r name; do
  grep -q "^# TYPE $name " "$WORK/last.txt" || grep -q "^# TYPE ${name%_bucket} histogram" "$WORK/last.txt" ||
    fail "the dashboard queries $name, which the run does not serve"
done <"$WORK/wanted"

# Bad ports: one line, exit 2.
set +e
"$inferbench" run --metrics-port 70000 --num-requests 1 --no-history >/dev/null 2>"$WORK/err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "--metrics-port 70000: exit $rc, $(cat "$WORK/err")"
set -e
echo "live_metrics_e2e_test: ok ($scrapes scrapes, $last_ok ok requests exposed at the last, up to $max_in_flight in flight)"
