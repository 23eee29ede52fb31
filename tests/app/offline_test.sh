#!/usr/bin/env bash
# inferbench offline as a user runs it: in-process (the engine model's own accounting), over HTTP
# against `inferbench sim` (token totals equal to the simulator's own counters), with --launch,
# Ctrl-C and bad input; and inferbench loadtime on a fixture. Usage: offline_test.sh path/to/inferbench
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
BIN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
make_work
SIM_PID=
on_exit() { [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null; wait 2>/dev/null; }
BATCH=(--num-prompts 32 --input-len 64 --output-len 32 --seed 3)

# 1. In-process: the blueprint's keys, exact token totals, labels, both JSON files.
"$BIN" offline "${BATCH[@]}" --tensor-parallel-size 2 --dtype bfloat16 --max-model-len 4096 --model my-label \
  --output "$WORK/inproc" --output-json "$WORK/vllm.json" --json >"$WORK/inproc.json" 2>"$WORK/inproc.err"
check "in-process offline exits 0" test $? -eq 0
R="$WORK/inproc/offline.json"
check "stdout is offline.json" jq -e --slurpfile f "$R" '. == $f[0]' "$WORK/inproc.json" >/dev/null
check "the blueprint's keys" jq -e 'has("requests_per_second") and has("input_tokens_per_second") and has("output_tokens_per_second")
  and has("total_tokens_per_second") and has("elapsed_time") and has("total_input_tokens") and has("total_output_tokens")' "$R" >/dev/null
check "every token accounted" jq -e '.completed == 32 and .failed == 0 and .total_input_tokens == 32 * 64 and .total_output_tokens == 32 * 32' "$R" >/dev/null
check "rates are totals over elapsed_time" jq -e '.elapsed_time > 0
  and ((.requests_per_second - 32 / .elapsed_time) | fabs) < 1e-6
  and ((.total_tokens_per_second - (32 * 96) / .elapsed_time) | fabs) < 1e-3' "$R" >/dev/null
check "labels recorded" jq -e '.config.tensor_parallel_size == 2 and .config.dtype == "bfloat16" and .config.max_model_len == 4096
  and .config.model == "my-label" and .config.backend == "inferbench-sim" and .config.num_prompts == 32' "$R" >/dev/null
check "vLLM's offline JSON" jq -e --slurpfile r "$R" 'keys == ["elapsed_time","num_requests","requests_per_second","tokens_per_second","total_num_tokens"]
  and .num_requests == 32 and .total_num_tokens == 32 * 96 and .elapsed_time == $r[0].elapsed_time' "$WORK/vllm.json" >/dev/null
check "requests.jsonl: one line per request" test "$(wc -l <"$WORK/inproc/requests.jsonl")" -eq 32
"$BIN" offline "${BATCH[@]}" --json >"$WORK/tp1.json" 2>/dev/null
check "TP 2 is faster than TP 1 on the engine model" jq -e --slurpfile a "$WORK/tp1.json" '.elapsed_time < $a[0].elapsed_time' "$R" >/dev/null

# 2. Over HTTP against the simulator's engine model: totals equal its own counters, and the real
#    elapsed time is close to the in-process virtual one.
P=$(free_port)
"$BIN" sim --port "$P" --model-preset Llama-3.1-8B --hardware H100 >"$WORK/sim.out" 2>&1 &
SIM_PID=$!
wait_health "$P" 10
"$BIN" offline "${BATCH[@]}" --endpoint "http://127.0.0.1:$P" --json >"$WORK/http.json" 2>"$WORK/http.err"
check "HTTP offline exits 0" test $? -eq 0
curl -sf "http://127.0.0.1:$P/metrics" >"$WORK/metrics.txt"
prompt_total=$(awk '$1 ~ /^vllm:prompt_tokens_total/ {s += $2} END {print s + 0}' "$WORK/metrics.txt")
gen_total=$(awk '$1 ~ /^vllm:generation_tokens_total/ {s += $2} END {print s + 0}' "$WORK/metrics.txt")
check "input tokens = the simulator's vllm:prompt_tokens_total ($prompt_total)" jq -e ".total_input_tokens == $prompt_total and .completed == 32" "$WORK/http.json" >/dev/null
check "output tokens = its vllm:generation_tokens_total ($gen_total)" jq -e ".total_output_tokens == $gen_total" "$WORK/http.json" >/dev/null
check "backend label defaults to openai" jq -e '.config.backend == "openai" and (.target | startswith("http://127.0.0.1"))' "$WORK/http.json" >/dev/null
check "HTTP elapsed close to the engine's virtual time" jq -e --slurpfile v "$WORK/tp1.json" \
  '.elapsed_time >= 0.9 * $v[0].elapsed_time and .elapsed_time <= 1.5 * $v[0].elapsed_time + 0.2' "$WORK/http.json" >/dev/null \
  || echo "  (http $(jq .elapsed_time "$WORK/http.json") s, in-process $(jq .elapsed_time "$WORK/tp1.json") s)"
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null; SIM_PID=

# 3. --launch: the server started and stopped around the batch.
P=$(free_port)
"$BIN" offline --num-prompts 8 --input-len 16 --output-len 8 --launch "exec '$BIN' sim --port $P" \
  --endpoint "http://127.0.0.1:$P" --output "$WORK/launched" >/dev/null 2>"$WORK/launched.err"
check "offline --launch exits 0" test $? -eq 0
check "launch recorded" jq -e '.completed == 8 and .launch.startup_time_s > 0 and .launch.exited_during_run == null' "$WORK/launched/offline.json" >/dev/null
check "server.log beside it" grep -q "inferbench sim: serving" "$WORK/launched/server.log"
check "launched server gone" bash -c "! pgrep -f -- '^$BIN sim --port $P' >/dev/null"

# 4. Ctrl-C over HTTP: exit 130, the result written and marked.
P=$(free_port)
"$BIN" sim --port "$P" --itl-ms 50 >/dev/null 2>&1 &
SIM_PID=$!
wait_health "$P" 10
"$BIN" offline --num-prompts 20 --input-len 8 --output-len 400 --endpoint "http://127.0.0.1:$P" --output "$WORK/int" \
  >/dev/null 2>&1 &
pid=$!
sleep 1
kill -INT $pid
wait $pid
check "Ctrl-C is exit 130" test $? -eq 130
check "interrupted result: cancelled requests counted" jq -e '.interrupted == true and .failures.cancelled == 20' "$WORK/int/offline.json" >/dev/null
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null; SIM_PID=

# 5. Bad input: one line, exit 2.
for args in "--num-prompts 0" "--input-len -5" "--output-len x" "--tensor-parallel-size 0" \
            "--endpoint http://127.0.0.1:1 --num-prompts 2" "--tokenizer /nonexistent/tokenizer.json" \
            "--timeout 1e300" "--timeout nan"; do
  # shellcheck disable=SC2086
  "$BIN" offline $args >/dev/null 2>"$WORK/bad.err"
  rc=$?
  check "offline $args: exit 2 (got $rc)" test $rc -eq 2
  check "offline $args: one line" test "$(wc -l <"$WORK/bad.err")" -eq 1
done

# 6. inferbench loadtime on a fixture, as a table and as JSON; refusals.
LOGS="$HERE/../loadtime/data"
"$BIN" loadtime "$LOGS/vllm-custom-format-ms.log" >"$WORK/lt.txt" 2>&1
check "loadtime exits 0" test $? -eq 0
check "loadtime table" bash -c "grep -q 'Pytorch Compilation' '$WORK/lt.txt' && grep -q 'Inductor' '$WORK/lt.txt' && grep -q 'GiB/s' '$WORK/lt.txt'"
"$BIN" loadtime "$LOGS/vllm-custom-format-ms.log" --json --output "$WORK/lt2.json" >"$WORK/lt.json"
check "loadtime JSON" jq -e '.facts.model_load_s == 18.506763 and .categories[5].title == "Pytorch Compilation"' "$WORK/lt.json" >/dev/null
check "loadtime --output equals stdout" cmp -s "$WORK/lt.json" "$WORK/lt2.json"
"$BIN" loadtime "$WORK/sim.out" >/dev/null 2>"$WORK/lt.err"
check "a non-vLLM log is exit 1" test $? -eq 1
"$BIN" loadtime "$WORK/nope.log" >/dev/null 2>"$WORK/lt.err"
check "a missing log is exit 2, one line" bash -c "[ $? -eq 2 ] && [ \$(wc -l <'$WORK/lt.err') -eq 1 ]"

summary offline_test
