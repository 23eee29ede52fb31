#!/usr/bin/env bash
# File descriptors, as a user on a stock machine meets them: each connection holds one, two when
# the built-in simulator in the same process holds the other end.
# - A soft limit below the hard one is raised at start-up: 200 users against the built-in
#   simulator under `ulimit -Sn 300` all complete (Debian's default soft limit is 1,024).
# - Under a hard limit too low for the run, it warns before the load, and the connects that find
#   no descriptor fail as "out of file descriptors", not as Beast's bare "Operation canceled".
set -uo pipefail
source "$(dirname "$0")/../lib.sh"
IB=$(readlink -f "$1")
make_work
T=$WORK
RUN=(run --num-requests 400 --input-tokens 16 --output-tokens 8 --sim-ttft-ms 50 --sim-itl-ms 5
  --no-server-metrics --no-history)

if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt 1000 ]; then
  echo "skipped: the hard descriptor limit ($(ulimit -Hn)) is below what the raised-limit case needs"
  exit 77
fi
(ulimit -Sn 300 && "$IB" "${RUN[@]}" --concurrency 200 --output "$T/raised" >/dev/null 2>"$T/raised.err") || true
check "soft limit raised: every request completed" \
  test "$(jq '.runs[0].requests.completed' "$T/raised/summary.json")" = 400
check "soft limit raised: no warning" bash -c "! grep -q 'file descriptors' '$T/raised.err'"

# 400 users: more sockets than the limit on the client's side alone, whatever the simulator has
# accepted meanwhile (with 200, whether the client or the simulator ran out first was a race).
(ulimit -n 300 && "$IB" "${RUN[@]}" --concurrency 400 --timeout 3 --output "$T/short" >/dev/null 2>"$T/short.err") ||
  true
check "hard limit: one warning before the load" \
  grep -q "warning: 400 connections to the built-in simulator in this process need about 864 file descriptors, and this process may open 300" "$T/short.err"
check "hard limit: some connects failed" \
  test "$(jq -s 'map(select(.error == "connect_failed")) | length' "$T/short/requests.jsonl")" -gt 0
check "hard limit: each says out of file descriptors" \
  test "$(jq -s 'map(select(.error == "connect_failed" and (.error_detail | contains("out of file descriptors") | not))) | length' "$T/short/requests.jsonl")" = 0
check "hard limit: no bare 'Operation canceled'" bash -c "! grep -q 'Operation canceled' '$T/short/requests.jsonl'"
check "hard limit: every request accounted" \
  test "$(wc -l <"$T/short/requests.jsonl")" = "$(jq '.runs[0].requests | .completed + .failed + .warmup' "$T/short/summary.json")"

summary descriptors_test
