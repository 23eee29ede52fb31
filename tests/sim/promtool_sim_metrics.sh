#!/usr/bin/env bash
# Real Prometheus tooling on the simulator's /metrics: `promtool check metrics` (Debian package
# `prometheus`) after a short load, so counters and histograms are non-empty. Parse errors fail;
# of promtool's lint remarks only those inherent to vLLM's own names are accepted (the ':' in
# vLLM's `vllm:` names, and vLLM's histogram `vllm:iteration_tokens_total`); our own names
# (`inferbench_sim_*`) must pass the lint, so a ':' in one of them fails.
# The same text must also read as available through `inferbench run`'s scraper.
# Registered in tests/sim/CMakeLists.txt as ctest `promtool_sim_metrics` once the simulator serves
# /metrics: bash promtool_sim_metrics.sh $<TARGET_FILE:inferbench>.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
BIN=$1
command -v promtool >/dev/null || { echo "FAIL: promtool not found (Debian package prometheus, scripts/setup.sh)"; exit 1; }
command -v jq >/dev/null || { echo "FAIL: jq not found (scripts/setup.sh)"; exit 1; }
make_work
SIM=""
on_exit() { [ -n "$SIM" ] && kill "$SIM" 2>/dev/null; wait 2>/dev/null; }

"$BIN" sim --port 0 >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM=$!
PORT=$(sim_port "$WORK/sim.out" 10) || { echo "FAIL: inferbench sim printed no port"; cat "$WORK/sim.err"; exit 1; }

"$BIN" run --endpoint "http://127.0.0.1:$PORT" --concurrency 2 --num-requests 6 --input-tokens 16 \
  --output-tokens 8 --json >"$WORK/run.json" 2>"$WORK/run.err"
available=$(jq -r '.runs[0].server.available' "$WORK/run.json")
[ "$available" = "true" ] || { echo "FAIL: inferbench's scraper could not read the simulator's /metrics:"; jq '.runs[0].server' "$WORK/run.json"; exit 1; }

# GET /metrics without curl: HTTP/1.0 over bash's /dev/tcp, headers stripped.
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
cat <&3 >"$WORK/raw"
exec 3>&-
head -1 "$WORK/raw" | grep -q ' 200 ' || { echo "FAIL: GET /metrics answered: $(head -1 "$WORK/raw")"; exit 1; }
sed '1,/^\r$/d' "$WORK/raw" >"$WORK/metrics.prom"
[ -s "$WORK/metrics.prom" ] || { echo "FAIL: empty /metrics body"; exit 1; }

rc=0
promtool check metrics <"$WORK/metrics.prom" >"$WORK/lint" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
  echo "FAIL: promtool rejected the exposition (exit $rc):"; cat "$WORK/lint"; exit 1
fi
grep -q '^# TYPE inferbench_sim_injected_faults_total counter$' "$WORK/metrics.prom" ||
  { echo "FAIL: no inferbench_sim_injected_faults_total counter in /metrics"; exit 1; }
unexpected=$(grep -v -e "^vllm:[a-z0-9_]* metric names should not contain ':'" \
  -e '^vllm:iteration_tokens_total non-counter metrics should not have "_total" suffix$' "$WORK/lint" || true)
if [ -n "$unexpected" ]; then
  echo "FAIL: promtool lint problems beyond vLLM's own naming:"; echo "$unexpected"; exit 1
fi
echo "ok: promtool accepts the simulator's /metrics ($(grep -vc '^#' "$WORK/metrics.prom") samples)"
