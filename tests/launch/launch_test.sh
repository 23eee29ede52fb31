#!/usr/bin/env bash
# --launch as a user runs it: `inferbench sim` as the launched server (ready, measured, stopped),
# a server that never becomes ready, one that exits before it is ready, one that dies during the
# run, Ctrl-C, SIGKILL of inferbench, a server that ignores SIGTERM and one that daemonizes a
# child. After each, the process table must hold nothing the launch started.
# Usage: launch_test.sh path/to/inferbench
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
BIN=$(realpath "$1")
make_work
# No process whose command line holds $1 (the launch's unique marker) is left.
gone() { ! pgrep -f -- "$1" >/dev/null; }
# Waits up to $2 seconds for gone "$1".
wait_gone() { wait_until "$2" gone "$1"; }
RUN_FLAGS=(--input-tokens 8 --output-tokens 4 --no-server-metrics)

# 1. Lifecycle: launched, ready, measured, stopped; start-up time and server.log recorded.
P=$(free_port)
"$BIN" run --launch "sleep 1; exec '$BIN' sim --port $P" --endpoint "http://127.0.0.1:$P" --concurrency 2 \
  --num-requests 6 "${RUN_FLAGS[@]}" --output "$WORK/ok" --json >"$WORK/ok.json" 2>"$WORK/ok.err"
check "launched run exits 0" test $? -eq 0
check "6 requests completed against the launched server" jq -e '.runs[0].requests.completed == 6' "$WORK/ok.json" >/dev/null
check "start-up time recorded (the command sleeps 1 s first)" jq -e '.launch.startup_time_s >= 1 and .launch.startup_time_s < 30
  and .launch.exited_during_run == null' "$WORK/ok/summary.json" >/dev/null
check "server.log holds the server's output" grep -q "inferbench sim: serving" "$WORK/ok/server.log"
check "the server was stopped (SIGTERM: it said so)" grep -q "inferbench sim: stopped" "$WORK/ok/server.log"
check "no process left (1)" wait_gone "^$BIN sim --port $P" 2
check "the command is never written out" bash -c "! grep -r -e 'sleep 1; exec' '$WORK/ok' '$WORK/ok.json' --exclude=server.log"
check "a sim log is not analysed as vLLM" jq -e '.launch | has("loadtime") | not' "$WORK/ok/summary.json" >/dev/null

# 2. Never ready: a one-line error with the log's tail, at the timeout, nothing left.
start=$(date +%s.%N)
"$BIN" run --launch "echo still-loading-marker; exec sleep 3017" --endpoint "http://127.0.0.1:$(free_port)" \
  --launch-timeout 2 --launch-stop-grace 1 "${RUN_FLAGS[@]}" --output "$WORK/never" >/dev/null 2>"$WORK/never.err"
rc=$?
took=$(echo "$(date +%s.%N) - $start" | bc)
check "never ready exits 2" test $rc -eq 2
check "the error is one line naming the timeout and the log's tail" bash -c "tail -n 1 '$WORK/never.err' | grep 'not ready after 2 s' | grep -q 'still-loading-marker'"
check "gave up at the timeout (took $took s)" bash -c "(( \$(echo '$took < 8' | bc) ))"
check "no process left (2)" wait_gone "^sleep 3017" 2

# 3. Exits before it is ready: its status and its last words.
"$BIN" run --launch "echo boom-marker >&2; exit 3" --endpoint "http://127.0.0.1:$(free_port)" "${RUN_FLAGS[@]}" \
  >/dev/null 2>"$WORK/exit.err"
check "early exit is exit 2" test $? -eq 2
check "says how it ended and quotes the log" bash -c "grep -q 'exited with status 3 before it was ready' '$WORK/exit.err' && grep -q boom-marker '$WORK/exit.err'"

# 4. Dies during the run: the run stops at once, says so, exit 1; nothing left.
P=$(free_port)
"$BIN" run --launch "'$BIN' sim --port $P --itl-ms 20 & sleep 2; kill -9 \$!; echo killed-marker; wait" \
  --endpoint "http://127.0.0.1:$P" --concurrency 4 --num-requests 100000 --input-tokens 8 --output-tokens 50 \
  --no-server-metrics --output "$WORK/died" >/dev/null 2>"$WORK/died.err"
check "a server dying mid-run is exit 1" test $? -eq 1
check "it says the server died during the run" grep -q "during the run; last lines of .*killed-marker" "$WORK/died.err"
check "recorded in summary.json" jq -e '.launch.exited_during_run | test("exited with status")' "$WORK/died/summary.json" >/dev/null
check "no process left (4)" wait_gone "^$BIN sim --port $P" 2

# 5. Ctrl-C: the run ends (130), the server is stopped, nothing left.
P=$(free_port)
"$BIN" run --launch "exec '$BIN' sim --port $P --itl-ms 20" --endpoint "http://127.0.0.1:$P" --concurrency 2 \
  --num-requests 100000 --input-tokens 8 --output-tokens 50 --no-server-metrics --output "$WORK/int" \
  >/dev/null 2>"$WORK/int.err" &
pid=$!
wait_until 10 test -s "$WORK/int/requests.jsonl"
kill -INT $pid
wait $pid
check "Ctrl-C is exit 130" test $? -eq 130
check "summary written, interrupted, launch recorded" jq -e '.interrupted == true and .launch.startup_time_s > 0' "$WORK/int/summary.json" >/dev/null
check "no process left (5)" wait_gone "^$BIN sim --port $P" 2

# 6. SIGKILL of inferbench: the watchdog stops the server within the grace period.
P=$(free_port)
"$BIN" run --launch "exec '$BIN' sim --port $P --itl-ms 20" --endpoint "http://127.0.0.1:$P" --concurrency 2 \
  --num-requests 100000 --input-tokens 8 --output-tokens 50 --no-server-metrics --launch-stop-grace 1 \
  --output "$WORK/kill" >/dev/null 2>&1 &
pid=$!
wait_until 10 test -s "$WORK/kill/requests.jsonl"
check "the server runs while inferbench does" bash -c "pgrep -f -- '^$BIN sim --port $P' >/dev/null"
kill -KILL $pid
wait $pid 2>/dev/null
check "no process left after SIGKILL of inferbench" wait_gone "^$BIN sim --port $P" 3
check "it got SIGTERM first (it said so)" grep -q "inferbench sim: stopped" "$WORK/kill/server.log"

# 7. A child ignoring SIGTERM and one that left the process group (setsid): SIGKILL after the grace.
P=$(free_port)
start=$(date +%s.%N)
"$BIN" run --launch "trap '' TERM; sleep 3019 & setsid sleep 3023 & exec '$BIN' sim --port $P" \
  --endpoint "http://127.0.0.1:$P" --concurrency 1 --num-requests 2 "${RUN_FLAGS[@]}" --launch-stop-grace 1 \
  >/dev/null 2>"$WORK/stubborn.err"
rc=$?
took=$(echo "$(date +%s.%N) - $start" | bc)
check "stubborn children: exit 0" test $rc -eq 0
check "no SIGTERM-deaf child left" gone "^sleep 3019"
check "no child that left the group left" gone "^sleep 3023"
check "stopping waited for the grace period, not much longer (took $took s)" bash -c "(( \$(echo '$took >= 1 && $took < 10' | bc) ))"

# 8. A vLLM-looking server.log is analysed by itself: loadtime.json beside it, launch.loadtime.
P=$(free_port)
LOG="$(cd "$(dirname "$0")" && pwd)/../loadtime/data/vllm-custom-format-ms.log"
"$BIN" run --launch "cat '$LOG'; exec '$BIN' sim --port $P" --endpoint "http://127.0.0.1:$P" --concurrency 1 \
  --num-requests 2 "${RUN_FLAGS[@]}" --output "$WORK/vllm" >/dev/null 2>"$WORK/vllm.err"
check "vLLM-like launch exits 0" test $? -eq 0
check "loadtime.json written" jq -e '.facts.model_load_s == 18.506763 and .categories[5].elapsed > 25' "$WORK/vllm/loadtime.json" >/dev/null
check "summary.json carries it" jq -e '.launch.loadtime.facts.torch_compile_s == 27.26' "$WORK/vllm/summary.json" >/dev/null
check "the table went to stderr" grep -q "Pytorch Compilation" "$WORK/vllm.err"

pkill -KILL -f -- "^sleep 3017" 2>/dev/null; pkill -KILL -f -- "^sleep 3019" 2>/dev/null; pkill -KILL -f -- "^sleep 3023" 2>/dev/null
summary launch_test
