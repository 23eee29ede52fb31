#!/usr/bin/env bash
# Shards from the command line, as a user runs them: bad scale-out flags get one line and exit 2;
# `run --processes 3` merges three local shard processes into one result; shards taken from
# $JOB_COMPLETION_INDEX merge; `merge` reports missing shards (exit 1) and refuses mixtures (2).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
IB=$(readlink -f "$1")
make_work

expect() {
  local want_rc=$1 want=$2
  shift 2
  set +e
  out=$("$@" 2>&1 >/dev/null)
  rc=$?
  set -e
  [ $rc -eq "$want_rc" ] || fail "exit $rc (want $want_rc) for: $* ($out)"
  [[ "$out" == *"$want"* ]] || fail "for: $*: expected '$want', got: $out"
  [ "$(printf '%s\n' "$out" | grep -c .)" -eq 1 ] || fail "not one line for: $*: $out"
}

SMALL=(--rate 200 --num-requests 20 --input-tokens 16 --output-tokens 4 --sim-ttft-ms 5 --sim-itl-ms 1 --no-server-metrics)
expect 2 "not below the shard count 4" "$IB" run --shard 4/4 --output "$WORK/x" "${SMALL[@]}"
expect 2 "must be K/N" "$IB" run --shard 1of4 --output "$WORK/x" "${SMALL[@]}"
expect 2 "must be K/N" "$IB" run --shard -1/4 --output "$WORK/x" "${SMALL[@]}"
expect 2 "SLURM_PROCID is not set" env -u SLURM_PROCID "$IB" run --shard auto --output "$WORK/x" "${SMALL[@]}"
expect 2 "SLURM_NTASKS is not a whole number" env SLURM_PROCID=0 SLURM_NTASKS=x "$IB" run --shard auto --output "$WORK/x" "${SMALL[@]}"
expect 2 "JOB_COMPLETION_INDEX is not set" env -u JOB_COMPLETION_INDEX "$IB" run --shards 3 --output "$WORK/x" "${SMALL[@]}"
expect 2 "needs --output" "$IB" run --shard 0/2 "${SMALL[@]}"
expect 2 "one load point" "$IB" run --shard 0/2 --output "$WORK/x" --rate 5,10 --num-requests 4
expect 2 "gives some shards no user" "$IB" run --shard 0/4 --output "$WORK/x" --concurrency 2 --num-requests 4
expect 2 "s in the past" "$IB" run --start-at 2020-01-01T00:00:00Z "${SMALL[@]}"
expect 2 "must be an ISO 8601 UTC time" "$IB" run --start-at "tomorrow" "${SMALL[@]}"
expect 2 "must be an ISO 8601 UTC time" "$IB" run --start-at 2030-01-01T00:00:00+02:00 "${SMALL[@]}"
expect 2 "more than 24 h away" "$IB" run --start-at 4102444800 "${SMALL[@]}"
expect 2 "cannot be given with --shard" "$IB" run --shard 0/2 --processes 2 --output "$WORK/x" "${SMALL[@]}"
expect 2 "must be 1 to 128 letters" "$IB" run --run-id 'a b' "${SMALL[@]}"

# One process's results read back and summarized again (merge of one whole run) give its own
# summary.json, every statistic, through the app's real writer.
"$IB" run --concurrency 3 --num-requests 30 --warmup 2 --input-tokens 16 --output-tokens 8 --sim-ttft-ms 5 \
  --sim-itl-ms 1 --no-server-metrics --slo ttft=6,e2e=20 --output "$WORK/one" > /dev/null 2>&1 || fail "single run"
"$IB" merge "$WORK/one" --output "$WORK/one-again" > /dev/null 2>&1 || fail "merge of one run"
diff <(jq -S '.runs[0]' "$WORK/one/summary.json") <(jq -S '.runs[0]' "$WORK/one-again/summary.json") \
  || fail "a run's records summarized again differ from its summary.json"

# Three local shard processes, one simulator (the parent's), one merged result.
"$IB" run --processes 3 --rate 150 --num-requests 60 --warmup 3 --input-tokens 16 --output-tokens 8 \
  --sim-ttft-ms 10 --sim-itl-ms 1 --no-server-metrics --output "$WORK/p" > "$WORK/p.out" 2> "$WORK/p.err" \
  || fail "run --processes 3: $(cat "$WORK/p.err")"
[ "$(jq -r '.runs[0].requests.completed' "$WORK/p/summary.json")" = 60 ] || fail "merged completed $(jq '.runs[0].requests' "$WORK/p/summary.json")"
[ "$(jq -r '.runs[0].requests.warmup' "$WORK/p/summary.json")" = 3 ] || fail "merged warm-up"
[ "$(jq -r '.merged.shards, .merged.same_clock' "$WORK/p/summary.json" | paste -sd,)" = "3,true" ] || fail "merged block"
[ "$(jq -r .id "$WORK/p/requests.jsonl" | sort -n | uniq | wc -l)" = 63 ] || fail "not 63 distinct requests"
for k in 0 1 2; do
  [ -f "$WORK/p/shard-$k/requests.jsonl" ] || fail "no shard-$k results"
  [ -f "$WORK/p/shards/shard-$k/summary.json" ] || fail "no shard-$k summary beside the merged one"
done
grep -q "TTFT" "$WORK/p.out" || fail "no table printed: $(cat "$WORK/p.out")"
# Re-merging the shards gives the same statistics (the merge reads only the raw records).
"$IB" merge "$WORK/p/shard-0" "$WORK/p/shard-1" "$WORK/p/shard-2" --output "$WORK/again" --json > "$WORK/again.json" 2>/dev/null
diff <(jq -S '.runs[0] | del(.client)' "$WORK/p/summary.json") <(jq -S '.runs[0] | del(.client)' "$WORK/again.json") \
  || fail "a second merge differs"
expect 1 "missing: 2" "$IB" merge "$WORK/p/shard-0" "$WORK/p/shard-1" --output "$WORK/m1"
expect 2 "shard 1/3 is given twice" "$IB" merge "$WORK/p/shard-0" "$WORK/p/shard-1" "$WORK/p/shard-1" "$WORK/p/shard-2" --output "$WORK/m2"
expect 2 "no such folder" "$IB" merge "$WORK/nope" --output "$WORK/m3"

# Kubernetes style: the index from $JOB_COMPLETION_INDEX, one run id given.
for k in 0 1; do
  JOB_COMPLETION_INDEX=$k "$IB" run --shards 2 --run-id job-1 "${SMALL[@]}" --seed 4 --output "$WORK/k" > /dev/null 2>&1 \
    || fail "shard $k of 2"
done
"$IB" merge "$WORK/k" --output "$WORK/k-merged" > /dev/null 2>&1 || fail "merge of the JOB_COMPLETION_INDEX shards"
[ "$(jq -r '.runs[0].requests.completed' "$WORK/k-merged/summary.json")" = 20 ] || fail "k8s-style shards do not add up to 20"
# Shards of another run are refused.
JOB_COMPLETION_INDEX=1 "$IB" run --shards 2 --run-id job-2 "${SMALL[@]}" --seed 4 --output "$WORK/k2" > /dev/null 2>&1
expect 2 "shards of different runs do not merge" "$IB" merge "$WORK/k/shard-0" "$WORK/k2/shard-1" --output "$WORK/m4"
echo "PASS: shard flags, run --processes 3, JOB_COMPLETION_INDEX shards, merge refusals"
